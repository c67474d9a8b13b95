from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.config import Settings
from shared.domain.cadence import (
    CadencePolicy,
    due_slot,
    final_notice_key,
    is_slot_done,
    next_due_at,
    slot_key,
)
from shared.domain.record import ReminderLog

DEFAULT = CadencePolicy(days=(1, 3, 7, 14), max_count=4, manager_cc_from=3)
TAP_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _sent(slot: int, outcome: str = "sent") -> ReminderLog:
    return ReminderLog(slot, TAP_START + timedelta(days=slot), outcome)


def _simulate(
    policy: CadencePolicy, days: int, *, hour: int = 9
) -> list[tuple[int, int, bool, bool]]:
    """Run one timer a day for `days` days, sending whatever is due: (day, slot, cc, last)."""
    log: list[ReminderLog] = []
    sent = []
    for day in range(days + 1):
        now = TAP_START.replace(hour=hour) + timedelta(days=day)
        if due := due_slot(policy, TAP_START, now, log):
            log.append(ReminderLog(due.slot, now, "sent"))
            sent.append((day, due.slot, due.cc_manager, due.is_last))
    return sent


def test_default_cadence_over_simulated_days():
    assert _simulate(DEFAULT, 30) == [
        (1, 1, False, False),
        (3, 2, False, False),
        (7, 3, True, False),
        (14, 4, True, True),
    ]


def test_timer_running_twice_a_day_still_sends_each_slot_once():
    log: list[ReminderLog] = []
    sends = 0
    for half_days in range(0, 40):
        now = TAP_START + timedelta(hours=12 * half_days)
        if due := due_slot(DEFAULT, TAP_START, now, log):
            log.append(ReminderLog(due.slot, now, "sent"))
            sends += 1
    assert sends == 4
    assert [entry.slot for entry in log] == [1, 2, 3, 4]


def test_max_count_cuts_the_cadence_short_and_marks_the_last():
    policy = CadencePolicy(days=(1, 3, 7, 14), max_count=2, manager_cc_from=2)

    assert _simulate(policy, 30) == [(1, 1, False, False), (3, 2, True, True)]


def test_zero_max_count_sends_nothing():
    assert _simulate(CadencePolicy(days=(1, 3), max_count=0, manager_cc_from=1), 30) == []


def test_nothing_is_due_before_the_first_day():
    assert due_slot(DEFAULT, TAP_START, TAP_START + timedelta(hours=23, minutes=59)) is None
    due = due_slot(DEFAULT, TAP_START, TAP_START + timedelta(days=1))
    assert due is not None and due.slot == 1


def test_missed_slots_are_superseded_not_sent_in_a_burst():
    # The timer did not run between day 1 and day 8: only slot 3 is sent, slot 2 never.
    log = [_sent(1)]
    due = due_slot(DEFAULT, TAP_START, TAP_START + timedelta(days=8), log)
    assert due is not None and due.slot == 3 and due.cc_manager

    log.append(ReminderLog(3, TAP_START + timedelta(days=8), "sent"))
    assert due_slot(DEFAULT, TAP_START, TAP_START + timedelta(days=9), log) is None


def test_a_failed_slot_may_be_retried_a_sent_or_skipped_one_not():
    now = TAP_START + timedelta(days=1, hours=2)

    assert due_slot(DEFAULT, TAP_START, now, [_sent(1, "failed")]) is not None
    assert due_slot(DEFAULT, TAP_START, now, [_sent(1, "sent")]) is None
    assert is_slot_done([_sent(1, "failed")], 1) is False
    assert is_slot_done([_sent(1, "sent")], 1) is True


@pytest.mark.parametrize("outcome", ["skipped_enrolled", "final_notice"])
def test_enrolled_or_finished_joiners_get_nothing_more(outcome):
    log = [_sent(1), ReminderLog(1, TAP_START + timedelta(days=2), outcome)]

    assert due_slot(DEFAULT, TAP_START, TAP_START + timedelta(days=10), log) is None
    assert next_due_at(DEFAULT, TAP_START, TAP_START + timedelta(days=2), log) is None


def test_no_tap_no_reminder():
    assert due_slot(DEFAULT, None, TAP_START + timedelta(days=30)) is None


def test_next_due_at_for_status_pages():
    assert next_due_at(DEFAULT, TAP_START, TAP_START + timedelta(days=2)) == TAP_START + timedelta(
        days=3
    )
    assert next_due_at(DEFAULT, TAP_START, TAP_START + timedelta(days=15)) is None


def test_days_count_in_the_joiners_calendar_across_dst():
    # 09:00 in Berlin on 27 March (UTC+1); DST starts on 29 March. Seven calendar days later it
    # is 09:00 again in Berlin, which is 07:00 UTC, not 08:00.
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    policy = CadencePolicy(days=(7,), max_count=1, manager_cc_from=1)

    assert policy.due_at(1, start, berlin) == datetime(2026, 4, 3, 7, 0, tzinfo=UTC)
    assert policy.due_at(1, start) == datetime(2026, 4, 3, 8, 0, tzinfo=UTC)


def test_policy_from_settings_defaults():
    settings = Settings.from_env(
        {
            "ACS_ENDPOINT": "https://acs.example",
            "MAIL_SENDER": "noreply@fabrikam.example",
            "ADMIN_EMAILS": "admin@fabrikam.example",
            "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "PASSWORDLESS_GROUP_IDS": "11111111-2222-3333-4444-555555555555",
        }
    )

    assert CadencePolicy.from_settings(settings) == DEFAULT


def test_idempotency_keys_are_per_joiner_and_slot():
    assert slot_key("t-1", 2) == slot_key("t-1", 2)
    assert len({slot_key("t-1", 1), slot_key("t-1", 2), slot_key("t-2", 1)}) == 3
    assert final_notice_key("t-1") not in {slot_key("t-1", s) for s in range(1, 21)}
