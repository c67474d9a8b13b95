"""Which joiners are due a reminder now, and in which slot.

Slot k (1-based) falls due `reminder_days[k-1]` days after the TAP became valid; only the first
`reminder_max_count` slots exist. When the timer missed a slot (the app was down, or the TAP
started on a later hire day), only the latest due slot is offered: a joiner never receives two
reminders at once. A slot already recorded in the ledger (other than a failure) is not offered.
Deduplication between two timer runs is the use case's job (`Ledger.claim_once`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from shared.domain.record import JoinerRecord, Status


class DueReminder(NamedTuple):
    """A `(tracking_id, slot)` pair, with the queue payload it becomes."""

    tracking_id: str
    slot: int

    @property
    def idempotency_key(self) -> str:
        return f"{self.tracking_id}:{self.slot}"

    def payload(self) -> dict[str, Any]:
        return {
            "trackingId": self.tracking_id,
            "slot": self.slot,
            "idempotencyKey": self.idempotency_key,
        }


def valid_from(record: JoinerRecord) -> datetime | None:
    return record.tap_start or record.delivered_at


def due_slot(
    record: JoinerRecord,
    reminder_days: Sequence[int],
    max_count: int,
    now: datetime,
    stale_before: datetime | None = None,
) -> int | None:
    """The reminder slot to queue now, if any.

    `stale_before`: a slot that fell due before it is not queued any more (its enqueue claim may
    have been pruned, so queuing it could repeat a reminder long after the cadence ended).
    """
    # Only delivered joiners are chased: enrolled ones are done, refused/failed ones are for
    # the admins, and the rest have no TAP in hand yet.
    if record.status is not Status.DELIVERED or record.enrolled_at is not None:
        return None
    start = valid_from(record)
    if start is None:
        return None
    schedule = sorted(reminder_days)[:max_count]
    due = [
        slot for slot, days in enumerate(schedule, start=1) if now >= start + timedelta(days=days)
    ]
    if not due:
        return None
    latest = due[-1]
    if stale_before is not None and start + timedelta(days=schedule[latest - 1]) < stale_before:
        return None
    if any(record.reminder_for_slot(slot) is not None for slot in range(latest, len(schedule) + 1)):
        return None
    return latest


def due_reminders(
    records: Iterable[JoinerRecord], reminder_days: Sequence[int], max_count: int, now: datetime
) -> Iterator[DueReminder]:
    for record in records:
        slot = due_slot(record, reminder_days, max_count, now)
        if slot is not None:
            yield DueReminder(record.tracking_id, slot)
