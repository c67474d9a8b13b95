from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from shared.domain.record import ReminderLog, Status
from shared.report.fanout import DueReminder, due_reminders, due_slot
from shared.usecases.build_report import build_report
from tests.fakes import FakeBlobStore, FakeClock, FakeLedger, FakeMailer, FakeQueue
from tests.unit.report.conftest import NOW, PagedDirectory, cohort_records, make_settings
from tests.unit.report.tenant_rows import PAGES

DAYS = (1, 3, 7, 14)


def test_only_delivered_joiners_get_their_latest_due_slot() -> None:
    due = list(due_reminders(cohort_records(), DAYS, 4, NOW))

    # t04: delivered 10 days ago, slots 1 and 2 sent -> slot 3 (day 7) is due.
    # t05: delivered 2 days ago, slot 1 failed -> slot 1 is due again.
    assert due == [DueReminder("t04", 3), DueReminder("t05", 1)]


def test_payload_carries_an_idempotency_key_per_joiner_and_slot() -> None:
    assert DueReminder("t04", 3).payload() == {
        "trackingId": "t04",
        "slot": 3,
        "idempotencyKey": "t04:3",
    }


def test_missed_slots_are_not_sent_in_a_burst() -> None:
    record = next(r for r in cohort_records() if r.tracking_id == "t04")
    fresh = replace(record, reminders=())

    assert due_slot(fresh, DAYS, 4, NOW) == 3  # not 1, 2 and 3 at once


def test_a_slot_that_fell_due_before_the_claims_retention_is_stale() -> None:
    record = next(r for r in cohort_records() if r.tracking_id == "t04")
    fresh = replace(record, reminders=())  # slot 3 fell due 3 days ago (day 7 of 10)

    due_at = NOW - timedelta(days=3)
    assert due_slot(fresh, DAYS, 4, NOW, stale_before=due_at - timedelta(days=1)) == 3
    assert due_slot(fresh, DAYS, 4, NOW, stale_before=due_at) == 3
    assert due_slot(fresh, DAYS, 4, NOW, stale_before=due_at + timedelta(hours=1)) is None


def test_max_count_limits_the_slots() -> None:
    record = next(r for r in cohort_records() if r.tracking_id == "t04")

    assert due_slot(record, DAYS, 2, NOW) is None  # slots 1 and 2 were both sent
    assert due_slot(record, DAYS, 0, NOW) is None


def test_a_pre_hire_is_not_reminded_before_the_tap_starts() -> None:
    record = next(r for r in cohort_records() if r.tracking_id == "t05")
    pre_hire = replace(
        record,
        delivered_at=NOW - timedelta(days=3),
        tap_start=NOW + timedelta(days=2),
        reminders=(),
    )

    assert due_slot(pre_hire, DAYS, 4, NOW) is None
    assert due_slot(pre_hire, DAYS, 4, NOW + timedelta(days=3)) == 1


def test_a_recorded_later_slot_stops_earlier_ones() -> None:
    record = next(r for r in cohort_records() if r.tracking_id == "t04")
    ahead = replace(record, reminders=(ReminderLog(3, NOW, "sent"),))

    assert due_slot(ahead, DAYS, 4, NOW) is None
    assert (
        due_slot(replace(ahead, status=Status.ENROLLED), DAYS, 4, NOW + timedelta(days=30)) is None
    )


def test_two_timer_runs_enqueue_each_slot_once() -> None:
    ledger = FakeLedger({r.tracking_id: r for r in cohort_records()})
    queue = FakeQueue()
    settings = make_settings(REMINDER_DAYS="1,3,7,14", REMINDER_MAX_COUNT="4")

    async def run() -> None:
        await build_report(
            PagedDirectory(PAGES),
            ledger,
            FakeBlobStore(),
            FakeMailer(),
            queue,
            settings,
            FakeClock(NOW),
        )

    asyncio.run(run())
    asyncio.run(run())

    assert queue.on("reminders") == [
        {"trackingId": "t04", "slot": 3, "idempotencyKey": "t04:3"},
        {"trackingId": "t05", "slot": 1, "idempotencyKey": "t05:1"},
    ]
    assert {"reminder-enqueued:t04:3", "reminder-enqueued:t05:1"} <= ledger.claims
