"""API-level fixtures: one local Tapstart host per module on the full local stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Tapstart, launch
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher


@pytest.fixture(scope="module")
def api_launcher(
    azurite: Azurite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostLauncher]:
    launcher = HostLauncher(azurite, tmp_path_factory.mktemp("api-hosts"))
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="module")
def api_stack(
    api_launcher: HostLauncher,
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
) -> Tapstart:
    # The API tests are not about the email budget: schemathesis builds the report dozens of
    # times a minute, and a spent budget would answer 503 (tested in tests/unit/mail).
    return launch(
        api_launcher,
        azurite,
        graph_emulator,
        acs_emulator,
        EMAIL_RATE_PER_MINUTE="10000",
        EMAIL_RATE_PER_HOUR="100000",
    )


@pytest.fixture
def stack(api_stack: Tapstart, graph: EmulatedGraph, acs: AcsEmulator) -> Tapstart:
    """The module's host with a freshly seeded tenant and an empty outbox."""
    return api_stack
