"""The hourly TAP cap split into shards: the allowances always add up to the cap exactly."""

import pytest

from shared.domain.tap_cap import (
    MAX_SHARDS,
    hour_range,
    shard_allowances,
    shard_row,
)


@pytest.mark.parametrize("cap", [*range(0, 40), 50, 99, 1000, 100000])
def test_the_allowances_add_up_to_the_cap_and_differ_by_one_at_most(cap: int) -> None:
    allowances = shard_allowances(cap)
    assert sum(allowances) == cap
    assert len(allowances) <= MAX_SHARDS
    assert all(a >= 1 for a in allowances)
    if allowances:
        assert max(allowances) - min(allowances) <= 1


def test_a_small_cap_has_one_shard_per_pass() -> None:
    assert shard_allowances(3) == (1, 1, 1)
    assert shard_allowances(1, shards=1) == (1,)
    assert shard_allowances(10, shards=1) == (10,)


def test_an_hours_shards_sort_inside_its_range_and_before_the_next_hour() -> None:
    first, end = hour_range("2026112809")
    rows = [shard_row("2026112809", shard) for shard in range(MAX_SHARDS)]
    assert all(first <= row < end for row in rows)
    assert all(row < "2026112810" for row in rows)  # pruning `RowKey lt <hour>` takes them
    assert not first <= shard_row("2026112810", 0) < end
    assert not first <= "2026112808" < end
