"""End-to-end fixtures: one local host per module, the tenant and outbox reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Tapstart, launch
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher


@pytest.fixture(scope="module")
def module_launcher(
    azurite: Azurite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostLauncher]:
    launcher = HostLauncher(azurite, tmp_path_factory.mktemp("hosts"))
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="module")
def tapstart_module(
    module_launcher: HostLauncher,
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
) -> Tapstart:
    return launch(module_launcher, azurite, graph_emulator, acs_emulator)


@pytest.fixture
def tapstart(tapstart_module: Tapstart, graph: EmulatedGraph, acs: AcsEmulator) -> Tapstart:
    """The module's running stack with a freshly seeded tenant and an empty outbox."""
    return tapstart_module
