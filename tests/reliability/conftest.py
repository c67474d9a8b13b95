"""Fixtures for the reliability suite: a dedicated on-disk Azurite (the matrix takes it down),
the session's emulators, and a terminal/JSON report of the fault × invariant table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.acs import AcsEmulator
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher
from tests.reliability.burst import Burst, render_burst
from tests.reliability.matrix import Result, Stack, render, write_json
from tests.reliability.persistent_azurite import PersistentAzurite

ARTEFACTS = Path(__file__).resolve().parents[2] / ".local"
RESULTS: list[Result] = []
BURSTS: list[Burst] = []


@pytest.fixture(scope="module")
def reliability_stack(
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("reliability")
    azurite = PersistentAzurite(workdir).start()
    launcher = HostLauncher(azurite.info, workdir)
    try:
        yield Stack(azurite, graph_emulator, acs_emulator, launcher)
    finally:
        launcher.stop_all()
        azurite.stop()
        graph_emulator.control.clear_faults()
        acs_emulator.control.reset()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RESULTS:
        terminalreporter.section("fault matrix (reduced)")
        terminalreporter.write_line(render(RESULTS))
        write_json(RESULTS, ARTEFACTS / "fault-matrix.json")
    if BURSTS:
        terminalreporter.section("burst (reduced)")
        for burst in BURSTS:
            terminalreporter.write_line(render_burst(burst))
        ARTEFACTS.mkdir(exist_ok=True)
        (ARTEFACTS / "burst.json").write_text(json.dumps([b.as_json() for b in BURSTS], indent=2))
