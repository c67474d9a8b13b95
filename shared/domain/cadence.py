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
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from shared.domain.record import ReminderLog

if TYPE_CHECKING:
    from shared.config import Settings

# Outcomes after which a joiner gets no more reminders at all.
_STOPPING_OUTCOMES = frozenset({"skipped_enrolled", "final_notice"})
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class CadencePolicy:
    days: tuple[int, ...]  # ascending: days after the TAP start
    max_count: int
    manager_cc_from: int  # slot number from which the manager is copied

    @classmethod
    def from_settings(cls, settings: Settings) -> CadencePolicy:
        return cls(
            days=tuple(sorted(settings.reminder_days)),
            max_count=settings.reminder_max_count,
            manager_cc_from=settings.reminder_manager_cc_from,
        )

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


def slot_key(tracking_id: str, slot: int) -> str:
    """Idempotency key of one reminder slot (for `Ledger.claim_once`): one email per slot."""
    return f"reminder:{tracking_id}:{slot}"


def final_notice_key(tracking_id: str) -> str:
    """Idempotency key of the manager's final notice: sent at most once per joiner."""
    return f"final-notice:{tracking_id}"
