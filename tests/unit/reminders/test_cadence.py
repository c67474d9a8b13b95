from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.config import Settings
from shared.domain.cadence import (
    CadencePolicy,
    DueSlot,
    due_slot,
    final_notice_key,
    is_slot_done,
    next_due_at,
    reminder_due,
    slot_key,
)
from shared.domain.joiner import JoinerEvent
from shared.domain.record import JoinerRecord, ReminderLog, Status
from shared.services import cadence_policy, reminder_policy
from tests.fakes import accepted_record

DEFAULT = CadencePolicy(days=(1, 3, 7, 14), max_count=4, manager_cc_from=3)
TAP_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _sent(slot: int, outcome: str = "sent") -> ReminderLog:
    return ReminderLog(slot, TAP_START + timedelta(days=slot), outcome)


def _simulate(
    policy: CadencePolicy, days: int, *, hour: int = 9
) -> list[tuple[int, int, bool, bool]]:
    """Run one timer a day for `days` days, sending whatever is due: (day, slot, cc, last)."""
    log: list[ReminderLog] = []
    sent: list[tuple[int, int, bool, bool]] = []
    for day in range(days + 1):
        now = TAP_START.replace(hour=hour) + timedelta(days=day)
        if due := due_slot(policy, TAP_START, now, log):
            log.append(ReminderLog(due.slot, now, "sent"))
            sent.append((day, due.slot, due.cc_manager, due.is_last))
    return sent


def test_default_cadence_over_simulated_days() -> None:
    assert _simulate(DEFAULT, 30) == [
        (1, 1, False, False),
        (3, 2, False, False),
        (7, 3, True, False),
        (14, 4, True, True),
    ]


def test_timer_running_twice_a_day_still_sends_each_slot_once() -> None:
    log: list[ReminderLog] = []
    sends = 0
    for half_days in range(0, 40):
        now = TAP_START + timedelta(hours=12 * half_days)
        if due := due_slot(DEFAULT, TAP_START, now, log):
            log.append(ReminderLog(due.slot, now, "sent"))
            sends += 1
    assert sends == 4
    assert [entry.slot for entry in log] == [1, 2, 3, 4]


def test_max_count_cuts_the_cadence_short_and_marks_the_last() -> None:
    policy = CadencePolicy(days=(1, 3, 7, 14), max_count=2, manager_cc_from=2)

    assert _simulate(policy, 30) == [(1, 1, False, False), (3, 2, True, True)]


def test_zero_max_count_sends_nothing() -> None:
    assert _simulate(CadencePolicy(days=(1, 3), max_count=0, manager_cc_from=1), 30) == []


def test_nothing_is_due_before_the_first_day() -> None:
    assert due_slot(DEFAULT, TAP_START, TAP_START + timedelta(hours=23, minutes=59)) is None
    due = due_slot(DEFAULT, TAP_START, TAP_START + timedelta(days=1))
    assert due is not None and due.slot == 1


def test_missed_slots_are_superseded_not_sent_in_a_burst() -> None:
    # The timer did not run between day 1 and day 8: only slot 3 is sent, slot 2 never.
    log = [_sent(1)]
    due = due_slot(DEFAULT, TAP_START, TAP_START + timedelta(days=8), log)
    assert due is not None and due.slot == 3 and due.cc_manager

    log.append(ReminderLog(3, TAP_START + timedelta(days=8), "sent"))
    assert due_slot(DEFAULT, TAP_START, TAP_START + timedelta(days=9), log) is None


def test_a_failed_slot_may_be_retried_a_sent_or_skipped_one_not() -> None:
    now = TAP_START + timedelta(days=1, hours=2)

    assert due_slot(DEFAULT, TAP_START, now, [_sent(1, "failed")]) is not None
    assert due_slot(DEFAULT, TAP_START, now, [_sent(1, "sent")]) is None
    assert is_slot_done([_sent(1, "failed")], 1) is False
    assert is_slot_done([_sent(1, "sent")], 1) is True


@pytest.mark.parametrize("outcome", ["skipped_enrolled", "final_notice"])
def test_enrolled_or_finished_joiners_get_nothing_more(outcome: str) -> None:
    log = [_sent(1), ReminderLog(1, TAP_START + timedelta(days=2), outcome)]

    assert due_slot(DEFAULT, TAP_START, TAP_START + timedelta(days=10), log) is None
    assert next_due_at(DEFAULT, TAP_START, TAP_START + timedelta(days=2), log) is None


def test_no_tap_no_reminder() -> None:
    assert due_slot(DEFAULT, None, TAP_START + timedelta(days=30)) is None


def test_next_due_at_for_status_pages() -> None:
    assert next_due_at(DEFAULT, TAP_START, TAP_START + timedelta(days=2)) == TAP_START + timedelta(
        days=3
    )
    assert next_due_at(DEFAULT, TAP_START, TAP_START + timedelta(days=15)) is None


def test_days_count_in_the_joiners_calendar_across_dst() -> None:
    # 09:00 in Berlin on 27 March (UTC+1); DST starts on 29 March. Seven calendar days later it
    # is 09:00 again in Berlin, which is 07:00 UTC, not 08:00.
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    policy = CadencePolicy(days=(7,), max_count=1, manager_cc_from=1)

    assert policy.due_at(1, start, berlin) == datetime(2026, 4, 3, 7, 0, tzinfo=UTC)
    assert policy.due_at(1, start) == datetime(2026, 4, 3, 8, 0, tzinfo=UTC)


def test_policy_from_settings_defaults() -> None:
    settings = Settings.from_env(
        {
            "ACS_ENDPOINT": "https://acs.example",
            "MAIL_SENDER": "noreply@fabrikam.example",
            "ADMIN_EMAILS": "admin@fabrikam.example",
            "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
            "PASSWORDLESS_GROUP_IDS": "11111111-2222-3333-4444-555555555555",
        }
    )

    assert cadence_policy(settings) == DEFAULT
    policy = reminder_policy(settings)
    assert policy.cadence == DEFAULT and policy.quiet_hours == (20, 7)
    assert policy.default_time_zone == "UTC" and policy.reissue_tap is False


def test_policy_from_settings_sorts_the_days() -> None:
    settings = Settings.from_env(
        {
            "ACS_ENDPOINT": "https://acs.example",
            "MAIL_SENDER": "noreply@fabrikam.example",
            "ADMIN_EMAILS": "admin@fabrikam.example",
            "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
            "PASSWORDLESS_GROUP_IDS": "11111111-2222-3333-4444-555555555555",
            "REMINDER_DAYS": "7,1,3",
            "REMINDER_MAX_COUNT": "2",
            "REMINDER_MANAGER_CC_FROM": "2",
        }
    )

    assert cadence_policy(settings) == CadencePolicy(days=(1, 3, 7), max_count=2, manager_cc_from=2)


def test_idempotency_keys_are_per_joiner_and_slot() -> None:
    assert slot_key("t-1", 2) == slot_key("t-1", 2)
    assert len({slot_key("t-1", 1), slot_key("t-1", 2), slot_key("t-2", 1)}) == 3
    assert final_notice_key("t-1") not in {slot_key("t-1", s) for s in range(1, 21)}


# --- reminder_due: what the daily run's fan-out asks for each ledger record -------------------

BERLIN = ZoneInfo("Europe/Berlin")


def _delivered(tap_start: datetime | None, delivered_at: datetime) -> JoinerRecord:
    event = JoinerEvent("evt-1", delivered_at, "E1", date(2026, 3, 27), time_zone="Europe/Berlin")
    return replace(
        accepted_record(event, delivered_at),
        status=Status.DELIVERED,
        tap_start=tap_start,
        tap_lifetime_minutes=480,
        delivered_at=delivered_at,
    )


@pytest.mark.parametrize(
    ("tap_start", "due_utc", "utc_due"),
    [
        # 09:00 CET on 27 March; the reminder day is 29 March, the day DST starts (CEST, UTC+2)
        (
            datetime(2026, 3, 27, 8, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 8, 0, tzinfo=UTC),
        ),
        # 09:00 CEST on 23 October; the reminder day is 25 October, the day DST ends (CET, UTC+1)
        (
            datetime(2026, 10, 23, 7, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 8, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 7, 0, tzinfo=UTC),
        ),
    ],
    ids=["spring forward", "fall back"],
)
def test_reminder_due_on_the_dst_change_day_falls_at_the_same_local_time(
    tap_start: datetime, due_utc: datetime, utc_due: datetime
) -> None:
    policy = CadencePolicy(days=(2,), max_count=1, manager_cc_from=1)
    record = _delivered(tap_start, tap_start)
    second = timedelta(seconds=1)

    assert reminder_due(record, policy, due_utc - second, zone=BERLIN) is None
    due = reminder_due(record, policy, due_utc, zone=BERLIN)
    assert due == DueSlot(slot=1, due_at=due_utc, cc_manager=True, is_last=True)
    assert due.due_at.astimezone(BERLIN).hour == 9  # 09:00 in Berlin, as on the TAP's day
    # Counted in UTC days instead, the reminder would come an hour early or late.
    assert utc_due != due_utc
    utc = reminder_due(record, policy, max(due_utc, utc_due))
    assert utc is not None and utc.due_at == utc_due


def test_reminder_due_counts_from_the_delivery_when_the_tap_started_at_once() -> None:
    policy = CadencePolicy(days=(1, 3), max_count=2, manager_cc_from=2)
    delivered = datetime(2026, 3, 28, 9, 30, tzinfo=UTC)
    record = _delivered(None, delivered)

    # 10:30 CET on 28 March; one calendar day later, 10:30 CEST on 29 March, is only 23 h on.
    day_later = delivered + timedelta(hours=23)
    assert reminder_due(record, policy, day_later - timedelta(seconds=1), zone=BERLIN) is None
    due = reminder_due(record, policy, day_later, zone=BERLIN)
    assert due is not None and (due.slot, due.due_at) == (1, day_later)


def test_reminder_due_only_for_delivered_joiners_not_enrolled() -> None:
    start = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    record = _delivered(start, start)
    later = start + timedelta(days=2)

    assert reminder_due(record, DEFAULT, later) is not None
    for status in Status:
        if status is not Status.DELIVERED:
            assert reminder_due(replace(record, status=status), DEFAULT, later) is None
    assert reminder_due(replace(record, enrolled_at=later), DEFAULT, later) is None


def test_reminder_due_for_a_pre_hire_waits_for_the_tap_start() -> None:
    start = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    record = _delivered(start, start - timedelta(days=3))  # delivered three days before

    assert reminder_due(record, DEFAULT, start + timedelta(hours=12)) is None
    due = reminder_due(record, DEFAULT, start + timedelta(days=1))
    assert due is not None and due.slot == 1


def test_reminder_due_drops_a_slot_that_fell_due_before_stale_before() -> None:
    start = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    record = _delivered(start, start)
    now = start + timedelta(days=10)  # slot 3 (day 7) fell due 3 days ago
    due_at = start + timedelta(days=7)

    assert reminder_due(record, DEFAULT, now, stale_before=due_at - timedelta(days=1)) is not None
    kept = reminder_due(record, DEFAULT, now, stale_before=due_at)
    assert kept is not None and kept.slot == 3
    assert reminder_due(record, DEFAULT, now, stale_before=due_at + timedelta(hours=1)) is None


def test_reminder_due_skips_the_slots_already_in_the_record() -> None:
    start = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    record = replace(
        _delivered(start, start),
        reminders=(ReminderLog(1, start + timedelta(days=1), "sent"),),
    )

    assert reminder_due(record, DEFAULT, start + timedelta(days=2)) is None
    due = reminder_due(record, DEFAULT, start + timedelta(days=3))
    assert due is not None and due.slot == 2
