"""Accept validated HR joiner events: record each once, hand new ones to the onboarding queue.

Idempotent on the event id (the tracking id is derived from it): the same event again returns
the existing record and is not enqueued again. One exception heals a crash: a record still
`accepted` after ENQUEUE_GRACE means an earlier attempt died between the ledger write and the
enqueue, so the event is enqueued again (the onboarding worker is idempotent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from shared.config import Settings
from shared.domain.joiner import JoinerEvent
from shared.domain.record import JoinerRecord, Status
from shared.ports import Clock, JobQueue, Ledger

# Longer than the worker normally takes to pick up a message, so that a plain duplicate
# delivery does not enqueue a second message for a joiner that is about to be onboarded.
ENQUEUE_GRACE = timedelta(minutes=3)


@dataclass(frozen=True)
class Accepted:
    tracking_id: str
    event_id: str
    status: str  # the record's status: "accepted" for a new event
    created: bool  # False: the event was already known
    enqueued: bool


async def accept_hr_events(
    events: Sequence[JoinerEvent],
    ledger: Ledger,
    queue: JobQueue,
    settings: Settings,
    clock: Clock,
) -> list[Accepted]:
    """Record and enqueue *events*; results are in the order of *events*.

    Raises:
        TransientError: the ledger or the queue is unavailable (the sender should retry; a
            retry is safe because every step is idempotent).
    """
    return list(await asyncio.gather(*(_accept(e, ledger, queue, settings, clock) for e in events)))


async def _accept(
    event: JoinerEvent, ledger: Ledger, queue: JobQueue, settings: Settings, clock: Clock
) -> Accepted:
    now = clock.now()
    record, created = await ledger.create(JoinerRecord.accept(event, now))
    stalled = (
        not created
        and record.status == Status.ACCEPTED
        and now - (record.updated_at or record.accepted_at) >= ENQUEUE_GRACE
    )
    if created or stalled:
        await queue.enqueue(settings.onboarding_queue, {"trackingId": record.tracking_id})
    return Accepted(
        tracking_id=record.tracking_id,
        event_id=record.event_id,
        status=str(record.status),
        created=created,
        enqueued=created or stalled,
    )
