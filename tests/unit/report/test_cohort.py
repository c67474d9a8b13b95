from __future__ import annotations

from dataclasses import replace
from datetime import date

from shared.domain.joiner import JoinerEvent
from shared.domain.passwordless import Stage
from shared.domain.record import JoinerRecord, Status
from shared.report.cohort import CohortAggregator, nearest_rank
from tests.fakes import accepted_record
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
        ("Signed in with the TAP", 6),
        ("Authenticator registered", 5),
        ("Passwordless (target reached)", 4),
    ]
    assert cohort.in_progress == 3
    funnel = cohort.to_json()["funnel"]
    assert [(f["stage"], f["count"]) for f in funnel] == [
        ("accepted", 13),
        ("tap_issued", 7),
        ("delivered", 6),
        ("tap_used", 6),
        ("authenticator", 5),
        ("target", 4),
    ]


def test_time_to_enrol_starts_when_the_tap_became_usable() -> None:
    cohort = _cohort()

    # 2, 6 (pre-hire: counted from the TAP start, not the delivery), 10, 50 hours.
    assert cohort.median_hours_to_enrol == 6.0
    assert cohort.p90_hours_to_enrol == 50.0


def test_joiners_stuck_at_a_stage_past_the_threshold_are_named_with_the_stage_and_fix() -> None:
    cohort = _cohort(overdue_days=7)

    # Counted from when joiner 4 reached "Authenticator" (9 days), not from delivery (10).
    assert [
        (o.name, o.delivered_to_masked, o.waiting_days, o.reminders_sent, o.stage)
        for o in cohort.overdue
    ] == [("Joiner 04", "m***r@contoso.example", 9, 2, Stage.AUTHENTICATOR)]
    assert "phone sign-in" in cohort.overdue[0].fix
    assert cohort.to_json()["stuckByStage"] == {"authenticator": 1}
    one_day = _cohort(overdue_days=1)
    assert [(s, [o.name for o in js]) for s, js in one_day.stuck()] == [
        (Stage.TAP_USED, ["Joiner 05"]),
        (Stage.AUTHENTICATOR, ["Joiner 04"]),
    ]
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


def test_one_person_counts_once_and_a_withdrawn_offer_is_counted_as_cancelled() -> None:
    def record(event_id: str, status: Status, kind: str = "hire") -> JoinerRecord:
        event = JoinerEvent(event_id, NOW, "E77", date(2026, 12, 1), kind=kind)
        return replace(accepted_record(event, NOW), status=status)

    aggregator = CohortAggregator(NOW, 7)
    aggregator.add_all(
        [
            record("first", Status.SUPERSEDED),  # carried on by "moved"
            record("moved", Status.CANCELLED),  # then withdrawn
            record("cancel", Status.CANCELLED, kind="cancel"),  # the cancel's own record
        ]
    )
    cohort = aggregator.result()

    assert cohort.funnel()[0] == ("Accepted from HR", 1)
    assert cohort.cancelled == 1 and cohort.to_json()["cancelled"] == 1
