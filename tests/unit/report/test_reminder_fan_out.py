"""The daily run's reminder fan-out, on the one cadence that ships (shared.domain.cadence)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.domain.cadence import CadencePolicy, reminder_due
from shared.domain.record import JoinerRecord, ReminderLog, Status
from tests.fakes import FakeBlobStore, FakeClock, FakeLedger, FakeMailer, FakeQueue
from tests.unit.report.conftest import (
    NOW,
    PagedDirectory,
    cohort_records,
    make_settings,
    report_fakes,
    run_daily,
)
from tests.unit.report.tenant_rows import PAGES

POLICY = CadencePolicy(days=(1, 3, 7, 14), max_count=4, manager_cc_from=3)


def _record(tracking_id: str) -> JoinerRecord:
    return next(r for r in cohort_records() if r.tracking_id == tracking_id)


def _due(record: JoinerRecord, policy: CadencePolicy = POLICY, now: datetime = NOW) -> int | None:
    due = reminder_due(record, policy, now)
    return None if due is None else due.slot


def test_only_delivered_joiners_get_their_latest_due_slot() -> None:
    due = {r.tracking_id: _due(r) for r in cohort_records() if _due(r) is not None}

    # t04: delivered 10 days ago, slots 1 and 2 sent -> slot 3 (day 7) is due.
    # t05: delivered 2 days ago, slot 1 failed -> slot 1 is due again.
    assert due == {"t04": 3, "t05": 1}


def test_missed_slots_are_not_sent_in_a_burst() -> None:
    fresh = replace(_record("t04"), reminders=())

    assert _due(fresh) == 3  # not 1, 2 and 3 at once


def test_a_slot_that_fell_due_before_the_claims_retention_is_stale() -> None:
    fresh = replace(_record("t04"), reminders=())  # slot 3 fell due 3 days ago (day 7 of 10)
    due_at = NOW - timedelta(days=3)

    def slot(stale_before: datetime) -> int | None:
        due = reminder_due(fresh, POLICY, NOW, stale_before=stale_before)
        return None if due is None else due.slot

    assert slot(due_at - timedelta(days=1)) == 3
    assert slot(due_at) == 3
    assert slot(due_at + timedelta(hours=1)) is None


def test_max_count_limits_the_slots() -> None:
    record = _record("t04")

    assert _due(record, replace(POLICY, max_count=2)) is None  # slots 1 and 2 were both sent
    assert _due(record, replace(POLICY, max_count=0)) is None


def test_a_pre_hire_is_not_reminded_before_the_tap_starts() -> None:
    pre_hire = replace(
        _record("t05"),
        delivered_at=NOW - timedelta(days=3),
        tap_start=NOW + timedelta(days=2),
        reminders=(),
    )

    assert _due(pre_hire) is None
    assert _due(pre_hire, now=NOW + timedelta(days=3)) == 1


def test_a_recorded_later_slot_stops_earlier_ones_and_enrolled_joiners_get_none() -> None:
    ahead = replace(_record("t04"), reminders=(ReminderLog(3, NOW, "sent"),))

    assert _due(ahead) is None
    assert _due(replace(ahead, status=Status.ENROLLED), now=NOW + timedelta(days=30)) is None


def test_days_are_counted_in_the_joiners_zone_across_a_dst_change() -> None:
    # Berlin leaves summer time on 2026-10-25 (03:00 CEST -> 02:00 CET). A TAP valid from
    # 09:00 local on 10-24 makes day 1 fall at 09:00 local on 10-25, which is 08:00 UTC, an
    # hour later than counting 24 hours in UTC (07:00 UTC) would say.
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 10, 24, 9, 0, tzinfo=berlin).astimezone(UTC)
    record = replace(_record("t05"), tap_start=start, delivered_at=start, reminders=())
    policy = replace(POLICY, days=(1,))

    assert (
        reminder_due(record, policy, datetime(2026, 10, 25, 7, 30, tzinfo=UTC), zone=berlin) is None
    )
    due = reminder_due(record, policy, datetime(2026, 10, 25, 8, 0, tzinfo=UTC), zone=berlin)
    assert due is not None and due.due_at.astimezone(berlin).hour == 9


def test_days_are_counted_in_the_joiners_zone_when_the_clocks_spring_forward() -> None:
    # New York springs forward on 2026-03-08. Day 3 of a TAP valid from 09:00 EST on 03-06 is
    # 09:00 EDT on 03-09 = 13:00 UTC; 72 hours in UTC would wait until 14:00 UTC.
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 6, 9, 0, tzinfo=new_york).astimezone(UTC)
    record = replace(_record("t05"), tap_start=start, delivered_at=start, reminders=())
    policy = replace(POLICY, days=(3,))

    early = reminder_due(record, policy, datetime(2026, 3, 9, 12, 30, tzinfo=UTC), zone=new_york)
    due = reminder_due(record, policy, datetime(2026, 3, 9, 13, 30, tzinfo=UTC), zone=new_york)

    assert early is None
    assert due is not None and due.slot == 1
    local = due.due_at.astimezone(new_york)
    assert (local.date().isoformat(), local.hour) == ("2026-03-09", 9)


def _enqueued(record: JoinerRecord, now: datetime, **env: str) -> list[dict[str, object]]:
    """What one daily run at `now` puts on the reminder queue for `record`."""
    settings = make_settings(
        REMINDER_DAYS=env.pop("REMINDER_DAYS", "1"),
        REMINDER_MAX_COUNT="1",
        REMINDER_MANAGER_CC_FROM="1",
        **env,
    )
    fakes = report_fakes([record])
    fakes.clock.current = now
    asyncio.run(fakes.services(settings).daily_run())
    return fakes.queue.on(settings.reminder_queue)


def test_the_daily_run_fans_out_in_the_joiners_zone() -> None:
    berlin_start = datetime(2026, 10, 24, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    record = replace(
        _record("t05"),
        tap_start=berlin_start,
        delivered_at=berlin_start,
        reminders=(),
        time_zone="Europe/Berlin",
    )

    assert _enqueued(record, datetime(2026, 10, 25, 7, 30, tzinfo=UTC)) == []  # 24 h in UTC
    assert _enqueued(record, datetime(2026, 10, 25, 8, 0, tzinfo=UTC)) == [
        {"v": 1, "trackingId": record.tracking_id, "slot": 1}
    ]


def test_a_joiner_without_a_zone_is_counted_in_the_default_zone() -> None:
    start = datetime(2026, 3, 6, 9, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    record = replace(
        _record("t05"), tap_start=start, delivered_at=start, reminders=(), time_zone=None
    )
    on_the_local_day = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)  # 09:30 EDT, day 3

    in_new_york = _enqueued(
        record, on_the_local_day, REMINDER_DAYS="3", DEFAULT_TIME_ZONE="America/New_York"
    )
    in_utc = _enqueued(record, on_the_local_day, REMINDER_DAYS="3")

    assert in_new_york == [{"v": 1, "trackingId": record.tracking_id, "slot": 1}]
    assert in_utc == []  # 72 h after 14:00 UTC is not yet


def test_two_timer_runs_enqueue_each_slot_once() -> None:
    ledger = FakeLedger({r.tracking_id: r for r in cohort_records()})
    queue = FakeQueue()
    settings = make_settings(REMINDER_DAYS="1,3,7,14", REMINDER_MAX_COUNT="4")

    async def run() -> None:
        await run_daily(
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
        {"v": 1, "trackingId": "t04", "slot": 3},
        {"v": 1, "trackingId": "t05", "slot": 1},
    ]
    assert {"reminder-enqueued:t04:3", "reminder-enqueued:t05:1"} <= ledger.claims
