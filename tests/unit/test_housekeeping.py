from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.domain.housekeeping import claim_retention, claims_cutoff, tap_counter_cutoff

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def test_claims_are_kept_at_least_thirty_days() -> None:
    assert claim_retention([1, 3, 7, 14]) == timedelta(days=44)
    assert claim_retention([0]) == timedelta(days=30)
    assert claim_retention([]) == timedelta(days=30)


def test_a_long_cadence_keeps_claims_a_month_past_its_last_reminder() -> None:
    assert claim_retention([1, 90]) == timedelta(days=120)
    assert claims_cutoff(NOW, [1, 90]) == NOW - timedelta(days=120)


def test_flood_cap_counters_older_than_two_days_go() -> None:
    assert tap_counter_cutoff(NOW) == "2026112609"
    # Hour keys sort like the hours they name, so "older" is a string comparison.
    assert "2026112608" < tap_counter_cutoff(NOW) <= "2026112609"
