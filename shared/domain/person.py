"""One person, one onboarding: which of a person's ledger records an HR event acts on.

A person is their employee id. HR events carry their own time (`occurredAt`), and that time,
not the order of arrival, decides: an event older than one already received for the same person
changes nothing. Pure functions over the person's records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.domain.joiner import JoinerEvent
from shared.domain.record import JoinerRecord, Status

# Records that never took anything in the tenant, or are already over.
_CLOSED = frozenset({Status.REFUSED, Status.FAILED, Status.SUPERSEDED})


def _when(record: JoinerRecord) -> datetime:
    return record.occurred_at or record.accepted_at


def current_onboarding(records: Sequence[JoinerRecord]) -> JoinerRecord | None:
    """The person's onboarding a cancel acts on: their latest hire that is not closed
    (a cancelled one included, so that a repeated cancel is a no-op)."""
    hires = [r for r in records if r.kind == "hire" and r.status not in _CLOSED]
    return max(hires, key=_when, default=None)


def overruled_by(event: JoinerEvent, records: Sequence[JoinerRecord]) -> JoinerRecord | None:
    """A record of the same person from a *newer* event that makes `event` stale: a later hire
    (for a hire or a cancel), or a later cancel (for a hire). None: `event` stands."""
    later = [
        r
        for r in records
        if r.event_id != event.event_id
        and r.status is not Status.SUPERSEDED
        and r.occurred_at is not None
        and r.occurred_at > event.occurred_at
        and (r.kind == "hire" or event.kind == "hire")
    ]
    return max(later, key=_when, default=None)
