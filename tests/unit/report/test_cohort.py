from __future__ import annotations

from shared.report.cohort import CohortAggregator, nearest_rank
from tests.unit.report.conftest import NOW, cohort_records


def _cohort(overdue_days: int = 7):  # type: ignore[no-untyped-def]
    aggregator = CohortAggregator(NOW, overdue_days)
    aggregator.add_all(cohort_records())
    return aggregator.result()


def test_funnel_is_cumulative_and_matches_the_hand_count() -> None:
    cohort = _cohort()

    assert cohort.funnel() == [
        ("Accepted from HR", 13),
        ("TAP issued", 7),
        ("TAP delivered", 6),
        ("Enrolled", 4),
    ]
    assert cohort.in_progress == 3


def test_time_to_enrol_starts_when_the_tap_became_usable() -> None:
    cohort = _cohort()

    # 2, 6 (pre-hire: counted from the TAP start, not the delivery), 10, 50 hours.
    assert cohort.median_hours_to_enrol == 6.0
    assert cohort.p90_hours_to_enrol == 50.0


def test_joiners_past_the_overdue_threshold_are_named_with_a_masked_recipient() -> None:
    cohort = _cohort(overdue_days=7)

    assert [
        (o.name, o.delivered_to_masked, o.waiting_days, o.reminders_sent) for o in cohort.overdue
    ] == [("Joiner 04", "m***r@contoso.example", 10, 2)]
    assert len(_cohort(overdue_days=1).overdue) == 2
    assert _cohort(overdue_days=30).overdue == ()


def test_refusals_failures_and_reminders_by_reason() -> None:
    cohort = _cohort()

    assert cohort.refused_by_reason == {"admin_role": 2, "guest_account": 1}
    assert list(cohort.refused_by_reason) == ["admin_role", "guest_account"]  # most frequent first
    assert cohort.failed_by_reason == {"tap_policy_disabled": 1}
    assert (cohort.reminders_sent, cohort.reminders_skipped, cohort.reminders_failed) == (2, 1, 1)


def test_an_empty_ledger_has_no_times() -> None:
    cohort = CohortAggregator(NOW, 7).result()

    assert cohort.accepted == 0
    assert cohort.median_hours_to_enrol is None
    assert cohort.p90_hours_to_enrol is None


def test_nearest_rank_percentile() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]

    assert nearest_rank(values, 50) == 5.0
    assert nearest_rank(values, 90) == 9.0
    assert nearest_rank([7.0], 90) == 7.0
    assert nearest_rank([], 50) is None
