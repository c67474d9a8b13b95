"""Use case: one signed HR request in — authenticate, parse, record each joiner once, enqueue.

Idempotent on the event id (the tracking id is derived from it): the same event again returns
the existing record and is not enqueued again. One exception heals a crash: a record still
`accepted` after ENQUEUE_GRACE means an earlier attempt died between the ledger write and the
enqueue, so the event is enqueued again (the onboarding worker is idempotent). The webhook id
is claimed once the events are accepted, so a sender retrying after a lost answer is not told
"replay" for an event that was never enqueued. Payloads are never logged.

Events are ordered per person by their own `occurredAt` (`shared.domain.person`): an event older
than one already recorded for the same person is recorded as `superseded` and changes nothing.
A cancel (withdrawn offer) marks the person's current onboarding `cancelling` and enqueues it:
the worker stops it and takes back what Tapstart did. A cancel for a person Tapstart is not
onboarding is recorded as `cancelled` (nothing to cancel), so an older hire arriving after it is
not onboarded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.domain.commands import OnboardJoiner
from shared.domain.errors import ConflictError, SignatureError, TransientError
from shared.domain.joiner import JoinerEvent
from shared.domain.person import (
    carried_from,
    carried_on,
    current_onboarding,
    overruled_by,
    withdrawable,
)
from shared.domain.reasons import Reason
from shared.domain.record import JoinerRecord, Status, tracking_id_for
from shared.intake.parse import ParsedRequest, check_size, lower_headers, parse_hr_request
from shared.intake.scim import ConditionalCancel, SkippedOperation
from shared.intake.signature import SignedDelivery, replay_key, verify_signature
from shared.ports import Clock, Ledger, OnboardingQueue

# Longer than the worker normally takes to pick up a message, so that a plain duplicate
# delivery does not enqueue a second message for a joiner that is about to be onboarded.
ENQUEUE_GRACE = timedelta(minutes=3)
# A cancel or a move that meets a concurrent write of the onboarding re-reads and tries again.
CANCEL_RETRIES = 3


@dataclass(frozen=True)
class Accepted:
    tracking_id: str
    event_id: str
    status: str  # the record's status: "accepted" for a new event
    created: bool  # False: the event was already known
    enqueued: bool


def _accepted(
    record: JoinerRecord, *, created: bool, enqueued: bool, event_id: str | None = None
) -> Accepted:
    return Accepted(
        tracking_id=record.tracking_id,
        event_id=event_id or record.event_id,
        status=str(record.status),
        created=created,
        enqueued=enqueued,
    )


@dataclass(frozen=True)
class IntakeResult:
    request: ParsedRequest
    accepted: list[Accepted]
    # The request's skipped operations, and its conditional cancels that found no onboarding.
    skipped: tuple[SkippedOperation, ...] = ()


@dataclass(frozen=True)
class IntakePolicy:
    webhook_secrets: tuple[str, ...]
    max_event_bytes: int


class HrIntake:
    def __init__(
        self, *, policy: IntakePolicy, ledger: Ledger, queue: OnboardingQueue, clock: Clock
    ) -> None:
        self._policy = policy
        self._ledger = ledger
        self._queue = queue
        self._clock = clock

    async def __call__(self, body: bytes, headers: Mapping[str, str]) -> IntakeResult:
        """Accept one HR request (headers as received: any case).

        Raises:
            InvalidEventError: authentication or validation failed (a subclass says which).
            TransientError: the ledger or the queue is unavailable (the sender should retry; a
                retry is safe because every step is idempotent).
            ConfigurationError: a configured webhook secret is unusable.
        """
        now, lowered = self._clock.now(), lower_headers(headers)
        check_size(body, self._policy.max_event_bytes)  # before the HMAC walks the body
        delivery = verify_signature(body, lowered, self._policy.webhook_secrets, now)
        parsed = parse_hr_request(
            body, lowered, max_bytes=self._policy.max_event_bytes, received_at=now
        )
        accepted = await self.accept(parsed.events)
        withdrawn, skipped = await self._conditional(parsed.cancels)
        await self._claim(delivery, now)
        return IntakeResult(parsed, accepted + withdrawn, parsed.skipped + skipped)

    async def accept(self, events: Sequence[JoinerEvent]) -> list[Accepted]:
        """Record and enqueue *events*; results are in the order of *events*."""
        return list(await asyncio.gather(*(self._accept(e) for e in events)))

    async def _conditional(
        self, cancels: Sequence[ConditionalCancel]
    ) -> tuple[list[Accepted], tuple[SkippedOperation, ...]]:
        """Act on each withdrawal whose person Tapstart is onboarding; report the others."""
        acted: list[Accepted] = []
        skipped: list[SkippedOperation] = []
        for cancel in cancels:
            records = await self._ledger.person_records(cancel.event.employee_id)
            if not withdrawable(current_onboarding(records)):
                skipped.append(cancel.skipped)
            else:
                acted.append(await self._accept(cancel.event))
        return acted, tuple(skipped)

    async def _accept(self, event: JoinerEvent) -> Accepted:
        now = self._clock.now()
        known = await self._ledger.get(JoinerRecord.accept(event, now).tracking_id)
        if known is None:
            records = await self._ledger.person_records(event.employee_id)
            newer = overruled_by(event, records)
            if newer is not None:
                return await self._record_only(
                    event, now, Status.SUPERSEDED, Reason.OLDER_EVENT, newer.tracking_id
                )
            if event.cancelled:
                return await self._cancel(event, records, now)
            if carried_from(tracking_id_for(event.event_id), records) is not None:
                return await self._carry_on(event, records, now)
        elif event.cancelled:
            return await self._known_cancel(known)
        record, created = await self._ledger.create(JoinerRecord.accept(event, now))
        stalled = (
            not created
            and record.status == Status.ACCEPTED
            and now - (record.updated_at or record.accepted_at) >= ENQUEUE_GRACE
        )
        if created or stalled:
            await self._queue.send(OnboardJoiner(record.tracking_id))
        return Accepted(
            tracking_id=record.tracking_id,
            event_id=record.event_id,
            status=str(record.status),
            created=created,
            enqueued=created or stalled,
        )

    async def _record_only(
        self, event: JoinerEvent, now: datetime, status: Status, reason: str, detail: str
    ) -> Accepted:
        """Record the event for the audit trail, final at once: nothing is enqueued."""
        record = JoinerRecord.accept(event, now).with_step(
            str(status), now, "ok", f"{reason}: {detail}", status=status, reason=reason
        )
        record, created = await self._ledger.create(replace(record, reason_detail=detail))
        return _accepted(record, created=created, enqueued=False)

    async def _carry_on(
        self, event: JoinerEvent, records: Sequence[JoinerRecord], now: datetime
    ) -> Accepted:
        """A newer hire event for a person being onboarded (typically a moved start): its record
        carries the onboarding on, the old one is marked superseded first — so that at no moment
        two live onboardings exist for the person — and the worker settles the pass."""
        new = JoinerRecord.accept(event, now)
        for _ in range(CANCEL_RETRIES):
            previous = carried_from(new.tracking_id, records)
            if previous is None:
                break  # the previous onboarding ended meanwhile: onboard afresh
            if previous.status is not Status.SUPERSEDED:
                superseded = previous.with_step(
                    "superseded",
                    now,
                    "ok",
                    new.tracking_id,
                    status=Status.SUPERSEDED,
                    reason=Reason.NEWER_EVENT,
                    reason_detail=new.tracking_id,
                    superseded_by=new.tracking_id,
                )
                try:
                    await self._ledger.save(superseded)
                except ConflictError:
                    records = await self._ledger.person_records(event.employee_id)
                    continue
            new = carried_on(new, previous)
            break
        else:
            raise TransientError("the onboarding kept changing while it was being moved; retry")
        record, created = await self._ledger.create(new)
        if created and not record.status.final:
            await self._queue.send(OnboardJoiner(record.tracking_id))
        return _accepted(record, created=created, enqueued=created and not record.status.final)

    async def _known_cancel(self, known: JoinerRecord) -> Accepted:
        """A cancel received again: the answer names the onboarding it stopped, as the first."""
        stopped = None
        if known.reason == Reason.OFFER_WITHDRAWN and known.reason_detail:
            stopped = await self._ledger.get(known.reason_detail)
        answer = stopped or known
        return _accepted(answer, created=False, enqueued=False, event_id=known.event_id)

    async def _cancel(
        self, event: JoinerEvent, records: Sequence[JoinerRecord], now: datetime
    ) -> Accepted:
        """Stop the person's onboarding; the cancel is recorded too (after the stop, so that a
        crash in between is healed by the sender's retry), so that it overrules any older hire
        that arrives later — also one HR sent between the cancelled hire and the cancel."""
        for _ in range(CANCEL_RETRIES):
            target = current_onboarding(records)
            if target is None or target.status is Status.ENROLLED:
                detail = "no onboarding" if target is None else "already enrolled"
                return await self._record_only(
                    event, now, Status.CANCELLED, Reason.NOTHING_TO_CANCEL, detail
                )
            if not withdrawable(target):  # cancelling or cancelled already
                await self._record_only(
                    event, now, Status.CANCELLED, Reason.OFFER_WITHDRAWN, target.tracking_id
                )
                return _accepted(target, created=False, enqueued=False, event_id=event.event_id)
            cancelling = target.with_step(
                "cancel_requested",
                now,
                "ok",
                event.event_id,
                status=Status.CANCELLING,
                reason=Reason.OFFER_WITHDRAWN,
                reason_detail=(event.reason or "")[:500] or None,
            )
            try:
                await self._ledger.save(cancelling)
            except ConflictError:
                records = await self._ledger.person_records(event.employee_id)
                continue
            await self._queue.send(OnboardJoiner(target.tracking_id))
            await self._record_only(
                event, now, Status.CANCELLED, Reason.OFFER_WITHDRAWN, target.tracking_id
            )
            return _accepted(cancelling, created=False, enqueued=True, event_id=event.event_id)
        raise TransientError("the onboarding kept changing while it was being cancelled; retry")

    async def _claim(self, delivery: SignedDelivery, now: datetime) -> None:
        """Record the webhook id as used; a second request with it is a replay."""
        if not await self._ledger.claim_once(replay_key(delivery.webhook_id), now):
            raise SignatureError(
                "this webhook-id was already accepted (replay); send a new message id",
                field="webhook-id",
            )
