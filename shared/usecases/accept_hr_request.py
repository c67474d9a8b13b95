"""Use case: one signed HR request in — authenticate, parse, claim the webhook id, record each
joiner once, enqueue.

The webhook id is claimed (atomically, in the ledger) after the signature and the parsing and
*before* anything is acted on, with a digest of the request (`request_digest`: the body, the
content type and the `ce-*` headers). The claim starts "pending" and is closed with the answer
once the events are recorded and enqueued. Another request with the same webhook id is then:

* the same request, claim closed: a sender's retry (Standard Webhooks senders retry with the
  same id) or a replay of a captured request — either way the first answer again, and nothing
  is recorded or enqueued;
* the same request, claim pending for less than CLAIM_GRACE: the first attempt may still be at
  work — TransientError (503, retry later);
* the same request, claim pending for longer: the first attempt died between the claim and the
  end of the acting — this one takes the claim over and acts again, healing what a crash can
  leave half done (a record still `accepted`, an onboarding `cancelling`, is enqueued again;
  the onboarding worker is idempotent);
* a different request: WebhookIdConflict (409), nothing done.

Idempotent on the event id (the tracking id is derived from it): the same event again in a new
message returns the existing record and is not enqueued again. One exception heals a crash: a
record still `accepted` after ENQUEUE_GRACE means an earlier attempt died between the ledger
write and the enqueue, so the event is enqueued again. Payloads are never logged.

Events are ordered per person by their own `occurredAt` (`shared.domain.person`): an event older
than one already recorded for the same person is recorded as `superseded` and changes nothing.
A cancel (withdrawn offer) marks the person's current onboarding `cancelling` and enqueues it:
the worker stops it and takes back what Tapstart did. A cancel for a person Tapstart is not
onboarding is recorded as `cancelled` (nothing to cancel), so an older hire arriving after it is
not onboarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.commands import OnboardJoiner
from shared.domain.errors import ConflictError, InvalidEventError, SignatureError, TransientError
from shared.domain.joiner import JoinerEvent
from shared.domain.person import (
    carried_from,
    carried_on,
    current_onboarding,
    overruled_by,
    recorded,
    withdrawable,
)
from shared.domain.reasons import Reason
from shared.domain.record import JoinerRecord, Status, tracking_id_for
from shared.intake.parse import ParsedRequest, check_size, lower_headers, parse_hr_request
from shared.intake.scim import ConditionalCancel, SkippedOperation
from shared.intake.signature import replay_key, request_digest, verify_signature
from shared.ports import Clock, Ledger, OnboardingQueue, WebhookDelivery

# Longer than the worker normally takes to pick up a message, so that a plain duplicate
# delivery does not enqueue a second message for a joiner that is about to be onboarded.
ENQUEUE_GRACE = timedelta(minutes=3)
# A cancel or a move that meets a concurrent write of the onboarding re-reads and tries again.
CANCEL_RETRIES = 3
# A webhook id's claim still pending after this long belongs to an attempt that died: a retry of
# the same request acts again. Not shorter than ENQUEUE_GRACE, the Retry-After of a 503.
CLAIM_GRACE = ENQUEUE_GRACE


class WebhookIdConflict(InvalidEventError):
    """The webhook id was already used for a different request (the entry point answers 409)."""


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
    # True: the webhook id had been answered already; this is that answer, nothing was done.
    replayed: bool = False


@dataclass(frozen=True)
class IntakePolicy:
    webhook_secrets: tuple[str, ...]
    max_event_bytes: int
    tracking_id_key: bytes

    def tracking_id(self, event_id: str) -> str:
        return tracking_id_for(event_id, self.tracking_id_key)


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
            InvalidEventError: authentication or validation failed (a subclass says which;
                WebhookIdConflict: the webhook id was used for another request).
            TransientError: the ledger or the queue is unavailable, or an earlier delivery of
                this webhook id is still at work (the sender should retry; a retry is safe
                because every step is idempotent).
            ConfigurationError: a configured webhook secret is unusable.
        """
        now, lowered = self._clock.now(), lower_headers(headers)
        check_size(body, self._policy.max_event_bytes)  # before the HMAC walks the body
        delivery = verify_signature(body, lowered, self._policy.webhook_secrets, now)
        parsed = parse_hr_request(
            body, lowered, max_bytes=self._policy.max_event_bytes, received_at=now
        )
        key = replay_key(delivery.webhook_id)
        claim, heal = await self._claim(key, request_digest(body, lowered), now)
        if claim.answer is not None:
            return _answered(parsed, claim.answer)
        accepted = await self.accept(parsed.events, heal=heal)
        withdrawn, skipped = await self._conditional(parsed.cancels, heal=heal)
        result = IntakeResult(parsed, accepted + withdrawn, parsed.skipped + skipped)
        # ConflictError: a retry took the claim over meanwhile and acted too; it closes it.
        with contextlib.suppress(ConflictError):
            await self._ledger.finish_delivery(key, claim, _answer_text(result), self._clock.now())
        return result

    async def _claim(self, key: str, digest: str, now: datetime) -> tuple[WebhookDelivery, bool]:
        """Claim the webhook id for this request; (the claim, whether to heal a stalled one).

        A claim that comes back with an answer was closed by an earlier attempt: give it again.
        """
        claim, created = await self._ledger.claim_delivery(key, digest, now)
        if created:
            return claim, False
        if claim.digest is None:  # a marker from before claims held the request's digest
            raise SignatureError(
                "this webhook-id was already accepted (replay); send a new message id",
                field="webhook-id",
            )
        if claim.digest != digest:
            raise WebhookIdConflict(
                "webhook-id was already used for a different request; a new message needs a new"
                " webhook-id, a retry must resend the same body and headers",
                field="webhook-id",
            )
        if claim.answer is not None:
            return claim, False
        waited = now - claim.taken_at
        if waited < CLAIM_GRACE:
            raise TransientError(
                "an earlier delivery of this webhook-id is still being processed; retry",
                retry_after=(CLAIM_GRACE - waited).total_seconds(),
            )
        try:
            return await self._ledger.retake_delivery(key, claim, now), True
        except ConflictError:
            raise TransientError(
                "another delivery of this webhook-id took it over; retry"
            ) from None

    async def accept(self, events: Sequence[JoinerEvent], *, heal: bool = False) -> list[Accepted]:
        """Record and enqueue *events*; results are in the order of *events*.

        *heal*: an earlier attempt at this request died part-way, so whatever it may have left
        recorded but not enqueued is enqueued again.
        """
        return list(await asyncio.gather(*(self._accept(e, heal) for e in events)))

    async def _conditional(
        self, cancels: Sequence[ConditionalCancel], *, heal: bool = False
    ) -> tuple[list[Accepted], tuple[SkippedOperation, ...]]:
        """Act on each withdrawal whose person Tapstart is onboarding; report the others.

        Healing, an onboarding already `cancelling` may be this request's own half-done work."""
        acted: list[Accepted] = []
        skipped: list[SkippedOperation] = []
        for cancel in cancels:
            records = await self._ledger.person_records(cancel.event.employee_id)
            current = current_onboarding(records)
            half_done = heal and current is not None and current.status is Status.CANCELLING
            if not (withdrawable(current) or half_done):
                skipped.append(cancel.skipped)
            else:
                acted.append(await self._accept(cancel.event, heal, records))
        return acted, tuple(skipped)

    async def _accept(
        self,
        event: JoinerEvent,
        heal: bool = False,
        records: Sequence[JoinerRecord] | None = None,
    ) -> Accepted:
        """*records*: the person's records, when the caller has just read them."""
        now = self._clock.now()
        tracking_id = self._policy.tracking_id(event.event_id)
        known = await self._ledger.get(tracking_id)
        if known is None:
            if records is None:
                records = await self._ledger.person_records(event.employee_id)
            known = recorded(event, records)
            if known is None:
                newer = overruled_by(event, records)
                if newer is not None:
                    return await self._record_only(
                        event, now, Status.SUPERSEDED, Reason.OLDER_EVENT, newer.tracking_id
                    )
                if event.cancelled:
                    return await self._cancel(event, records, now, heal)
                if carried_from(tracking_id, records) is not None:
                    return await self._carry_on(event, records, now)
        if known is not None:
            if event.cancelled:
                return await self._known_cancel(known)
            tracking_id = known.tracking_id
        record, created = await self._ledger.create(JoinerRecord.accept(event, now, tracking_id))
        stalled = (
            not created
            and record.status == Status.ACCEPTED
            and (heal or now - (record.updated_at or record.accepted_at) >= ENQUEUE_GRACE)
        )
        if created or stalled:
            await self._queue.send(OnboardJoiner(record.tracking_id))
        return _accepted(record, created=created, enqueued=created or stalled)

    async def _record_only(
        self, event: JoinerEvent, now: datetime, status: Status, reason: str, detail: str
    ) -> Accepted:
        """Record the event for the audit trail, final at once: nothing is enqueued."""
        tracking_id = self._policy.tracking_id(event.event_id)
        record = JoinerRecord.accept(event, now, tracking_id).with_step(
            str(status),
            now,
            "ok",
            f"{reason}: {detail}",
            status=status,
            reason=reason,
            reason_detail=detail,
        )
        record, created = await self._ledger.create(record)
        return _accepted(record, created=created, enqueued=False)

    async def _carry_on(
        self, event: JoinerEvent, records: Sequence[JoinerRecord], now: datetime
    ) -> Accepted:
        """A newer hire event for a person being onboarded (typically a moved start): its record
        carries the onboarding on, the old one is marked superseded first — so that at no moment
        two live onboardings exist for the person — and the worker settles the pass."""
        new = JoinerRecord.accept(event, now, self._policy.tracking_id(event.event_id))
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
        self, event: JoinerEvent, records: Sequence[JoinerRecord], now: datetime, heal: bool
    ) -> Accepted:
        """Stop the person's onboarding; the cancel is recorded too (after the stop, so that a
        crash in between is healed by the sender's retry), so that it overrules any older hire
        that arrives later — also one HR sent between the cancelled hire and the cancel.
        Healing, an onboarding found `cancelling` is enqueued again: the attempt that marked it
        may have died before it enqueued it."""
        for _ in range(CANCEL_RETRIES):
            target = current_onboarding(records)
            if target is None or target.status is Status.ENROLLED:
                detail = "no onboarding" if target is None else "already enrolled"
                return await self._record_only(
                    event, now, Status.CANCELLED, Reason.NOTHING_TO_CANCEL, detail
                )
            if not withdrawable(target):  # cancelling or cancelled already
                resend = heal and target.status is Status.CANCELLING
                if resend:
                    await self._queue.send(OnboardJoiner(target.tracking_id))
                await self._record_only(
                    event, now, Status.CANCELLED, Reason.OFFER_WITHDRAWN, target.tracking_id
                )
                return _accepted(target, created=False, enqueued=resend, event_id=event.event_id)
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


# The answer kept with a closed claim: what the 202 said, compactly (at most 50 operations).
_ANSWER_VERSION = 1


def _answer_text(result: IntakeResult) -> str:
    return json.dumps(
        {
            "v": _ANSWER_VERSION,
            "accepted": [[a.tracking_id, a.event_id, a.status] for a in result.accepted],
            "skipped": [[s.bulk_id, s.reason] for s in result.skipped],
        },
        separators=(",", ":"),
    )


def _answered(request: ParsedRequest, answer: str) -> IntakeResult:
    """The result given the first time, from the claim's answer; nothing is done again."""
    stored = json.loads(answer)
    accepted = [
        Accepted(tracking_id, event_id, status, created=False, enqueued=False)
        for tracking_id, event_id, status in stored["accepted"]
    ]
    skipped = tuple(SkippedOperation(bulk_id, reason) for bulk_id, reason in stored["skipped"])
    return IntakeResult(request, accepted, skipped, replayed=True)
