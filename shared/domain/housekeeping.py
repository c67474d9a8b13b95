"""How long the ledger keeps its "this happened once" markers and flood-cap counters.

A claim only has to outlive every retry that could ask the same question again: a replayed
webhook is refused by its timestamp after minutes, a queue message expires after 7 days, and
no reminder slot falls due after the last of REMINDER_DAYS. A month past the last reminder day
covers all of them with room to spare; without pruning the table grows by one marker per event,
reminder and alert for ever.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

MIN_CLAIM_RETENTION = timedelta(days=30)
MARGIN_AFTER_LAST_REMINDER = timedelta(days=30)
# The flood cap counts TAPs per UTC hour; yesterday's counters answer no question any more.
TAP_COUNTER_RETENTION = timedelta(days=2)


def claim_retention(reminder_days: Sequence[int]) -> timedelta:
    last = max(reminder_days, default=0)
    return max(MIN_CLAIM_RETENTION, timedelta(days=last) + MARGIN_AFTER_LAST_REMINDER)


def claims_cutoff(now: datetime, reminder_days: Sequence[int]) -> datetime:
    """Claims made before this instant may be deleted."""
    return now - claim_retention(reminder_days)


def tap_counter_cutoff(now: datetime) -> str:
    """Flood-cap counters whose hour key sorts before this one may be deleted."""
    return (now - TAP_COUNTER_RETENTION).strftime("%Y%m%d%H")
