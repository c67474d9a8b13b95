"""Reduced burst (make test): 100 signed events at once, none lost, none doubled, ≤ 4 Graph
requests per joiner, no TAP outside the emails. The 2,000-event run is `python -m bench.soak`."""

from __future__ import annotations

import pytest

from tests.reliability import conftest
from tests.reliability.burst import run_burst
from tests.reliability.matrix import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_burst_of_100_events_onboards_everyone_once(reliability_stack: Stack) -> None:
    burst = run_burst(reliability_stack, 100, timeout=120)
    conftest.BURSTS.append(burst)
    assert (burst.refused, burst.lost, burst.duplicates) == (0, 0, 0)
    assert burst.leaked == []
    assert burst.per_joiner <= 4, burst.by_endpoint
