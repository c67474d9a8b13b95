"""End-to-end fixtures: one local host per module, the tenant and outbox reset per test."""

from __future__ import annotations

import pytest

from tests.e2e.stack import Tapstart, launch, module_launcher  # noqa: F401 - fixture
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher


@pytest.fixture(scope="module")
def tapstart_module(module_launcher: HostLauncher, azurite: Azurite, graph_emulator: EmulatedGraph, acs_emulator: AcsEmulator) -> Tapstart:
    return launch(module_launcher, azurite, graph_emulator, acs_emulator)


@pytest.fixture
def tapstart(tapstart_module: Tapstart, graph: EmulatedGraph, acs: AcsEmulator) -> Tapstart:
    """The module's running stack with a freshly seeded tenant and an empty outbox."""
    return tapstart_module
