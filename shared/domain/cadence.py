"""Reminder cadence: which reminder slot is due for a joiner, and what goes with it.

Slot n (1-based) is due `days[n-1]` days after the TAP became valid, counted in calendar days
of the joiner's time zone (so a DST change does not shift it by an hour). Only the first
`max_count` days are used. When the timer missed a slot (an outage, a late report), only the
latest due slot is sent: the joiner never gets two reminders in a row, and the skipped slot is
never sent later. Pure: no clock, no I/O; the caller passes `now` and the record's log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.domain.record import JoinerRecord, ReminderLog, Status

# Outcomes after which a joiner gets no more reminders at all.
_STOPPING_OUTCOMES = frozenset({"skipped_enrolled", "final_notice"})
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class CadencePolicy:
    days: tuple[int, ...]  # ascending: days after the TAP start
    max_count: int
    manager_cc_from: int  # slot number from which the manager is copied

    @property
    def slot_count(self) -> int:
        return min(len(self.days), self.max_count)

    def due_at(self, slot: int, tap_start: datetime, zone: ZoneInfo = _UTC) -> datetime:
        # Aware arithmetic within one zone is wall-clock arithmetic: 09:00 stays 09:00 across DST.
        local = tap_start.astimezone(zone) + timedelta(days=self.days[slot - 1])
        return local.astimezone(tap_start.tzinfo)


@dataclass(frozen=True)
class DueSlot:
    slot: int
    due_at: datetime
    cc_manager: bool
    is_last: bool  # the final reminder: the manager's final notice goes out with it


def is_slot_done(log: Iterable[ReminderLog], slot: int) -> bool:
    """A slot is done once it was sent or skipped; a failed attempt may be retried."""
    return any(entry.slot == slot and entry.outcome != "failed" for entry in log)


def is_finished(log: Iterable[ReminderLog]) -> bool:
    """No more reminders: the joiner enrolled, or the final notice went out."""
    return any(entry.outcome in _STOPPING_OUTCOMES for entry in log)


def due_slot(
    policy: CadencePolicy,
    tap_start: datetime | None,
    now: datetime,
    log: Iterable[ReminderLog] = (),
    zone: ZoneInfo = _UTC,
) -> DueSlot | None:
    """The slot to send now, or None (nothing due yet, already sent, or reminders finished)."""
    entries = tuple(log)
    if tap_start is None or policy.slot_count == 0 or is_finished(entries):
        return None
    due = [s for s in range(1, policy.slot_count + 1) if policy.due_at(s, tap_start, zone) <= now]
    if not due:
        return None
    latest = due[-1]
    # A later slot already handled means this one was superseded, never to be sent late.
    if any(is_slot_done(entries, s) for s in range(latest, policy.slot_count + 1)):
        return None
    return DueSlot(
        slot=latest,
        due_at=policy.due_at(latest, tap_start, zone),
        cc_manager=latest >= policy.manager_cc_from,
        is_last=latest == policy.slot_count,
    )


def next_due_at(
    policy: CadencePolicy,
    tap_start: datetime | None,
    now: datetime,
    log: Iterable[ReminderLog] = (),
    zone: ZoneInfo = _UTC,
) -> datetime | None:
    """When the next reminder falls due after `now` (for status pages and the report)."""
    entries = tuple(log)
    if tap_start is None or is_finished(entries):
        return None
    upcoming = (policy.due_at(s, tap_start, zone) for s in range(1, policy.slot_count + 1))
    return next((at for at in upcoming if at > now), None)


def reminder_due(
    record: JoinerRecord,
    policy: CadencePolicy,
    now: datetime,
    *,
    zone: ZoneInfo = _UTC,
    stale_before: datetime | None = None,
) -> DueSlot | None:
    """The reminder slot a joiner is due now, if any: the daily run's fan-out asks this.

    Only delivered joiners are chased: enrolled ones are done, refused or failed ones are for
    the admins, and the rest have no TAP in hand yet. The cadence counts from the TAP's start
    (a pre-hire's hire day), else from the delivery. `stale_before`: a slot that fell due before
    it is not offered any more (its enqueue claim may have been pruned, so queuing it could
    repeat a reminder long after the cadence ended).
    """
    if record.status is not Status.DELIVERED or record.enrolled_at is not None:
        return None
    due = due_slot(policy, record.tap_start or record.delivered_at, now, record.reminders, zone)
    if due is None or (stale_before is not None and due.due_at < stale_before):
        return None
    return due


def slot_key(tracking_id: str, slot: int) -> str:
    """Idempotency key of one reminder slot (for `Ledger.claim_once`): one email per slot."""
    return f"reminder:{tracking_id}:{slot}"


def final_notice_key(tracking_id: str) -> str:
    """Idempotency key of the manager's final notice: sent at most once per joiner."""
    return f"final-notice:{tracking_id}"
