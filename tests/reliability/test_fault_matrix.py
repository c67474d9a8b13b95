"""Reduced fault matrix (make test): each fault on a batch of 3 joiners, every invariant held.

The full matrix with more joiners per fault runs in `python -m bench.soak` (docs/reliability.md).
"""

from __future__ import annotations

import pytest

from tests.reliability import conftest
from tests.reliability.matrix import INVARIANTS, REDUCED, Stack, all_scenarios, run_scenario

SCENARIOS = {s.name: s for s in all_scenarios()}

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("name", REDUCED)
def test_every_invariant_holds_under(name: str, reliability_stack: Stack) -> None:
    result = run_scenario(reliability_stack, SCENARIOS[name], joiners=3, timeout=60)
    conftest.RESULTS.append(result)
    failed = [i for i in INVARIANTS if not result.checks[i]]
    assert failed == [], f"{name}: {failed}; {result.details}"
