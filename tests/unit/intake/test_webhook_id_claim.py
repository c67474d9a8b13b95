"""The webhook id is claimed before anything is acted on: retries, replays, reuse and crashes.

Through the trigger glue and the real use case on the port fakes (as test_hr_events_function).
A "crash" is an exception no layer handles (the Functions host would answer 500 and the
process may be gone): whatever the attempt did before it stays, nothing after it happens.
"""

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import azure.functions as func
import pytest

from functions.hr_events import handle_hr_events
from shared.domain.record import JoinerRecord, Status
from shared.intake.parse import lower_headers
from shared.intake.signature import replay_key, request_digest
from shared.ports import WebhookDelivery
from shared.usecases.accept_hr_request import CLAIM_GRACE, ENQUEUE_GRACE
from tests.fakes import FakeClock, FakeLedger, FakeQueue, Fakes, tracking_id_of

from .helpers import (
    NOW,
    binary_headers,
    body,
    bulk,
    canonical,
    scim_user,
    settings,
    signed,
    structured,
)

SETTINGS = settings()


class WorkerDied(Exception):
    """Stands for the process going away mid-request."""


@dataclass
class DyingLedger(FakeLedger):
    """Dies at the next `create` (before writing) when `die_on_create` is set; `slow_claim`
    moves the clock on by that many seconds while claiming (a slow storage call)."""

    clock: FakeClock | None = None
    die_on_create: bool = False
    slow_claim: float = 0.0

    async def create(self, record: JoinerRecord) -> tuple[JoinerRecord, bool]:
        if self.die_on_create:
            self.die_on_create = False
            raise WorkerDied
        return await super().create(record)

    async def claim_delivery(
        self, key: str, digest: str, now: datetime
    ) -> tuple[WebhookDelivery, bool]:
        claimed = await super().claim_delivery(key, digest, now)
        if self.slow_claim and self.clock is not None:
            self.clock.advance(seconds=self.slow_claim)
        return claimed


def app() -> Fakes:
    clock = FakeClock(NOW)
    return Fakes(clock=clock, ledger=DyingLedger(clock=clock), queue=FakeQueue())


def post(fakes: Fakes, payload: bytes, headers: dict[str, str]) -> func.HttpResponse:
    intake = fakes.services(SETTINGS).accept_hr_request
    return asyncio.run(handle_hr_events(payload, headers, intake))


def answer(response: func.HttpResponse) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(response.get_body())
    return document


def ledger_of(fakes: Fakes) -> DyingLedger:
    assert isinstance(fakes.ledger, DyingLedger)
    return fakes.ledger


def onboarding_messages(fakes: Fakes) -> list[dict[str, Any]]:
    return fakes.queue.on(SETTINGS.onboarding_queue)


# --- The same request again: the first answer, nothing done ---------------------------------


def test_the_same_webhook_id_and_body_get_the_same_202_and_nothing_is_done_again() -> None:
    fakes = app()
    payload = body(canonical())
    first = post(fakes, payload, signed(payload, webhook_id="msg_1"))
    assert first.status_code == 202
    records, writes = dict(fakes.ledger.records), fakes.ledger.version

    # A retry re-signs (a new timestamp) but keeps the id, as Standard Webhooks senders do.
    fakes.clock.advance(minutes=4)
    resent = signed(payload, webhook_id="msg_1", at=fakes.clock.now())
    again = post(fakes, payload, resent)

    assert (again.status_code, again.get_body()) == (202, first.get_body())
    assert answer(again) == {
        "trackingIds": [tracking_id_of("hr-2026-000123")],
        "status": ["accepted"],
        "statusUrls": [f"/api/onboarding/{tracking_id_of('hr-2026-000123')}"],
    }
    assert len(onboarding_messages(fakes)) == 1
    assert fakes.ledger.records == records and fakes.ledger.version == writes


def test_the_first_answer_is_given_even_after_the_onboarding_moved_on() -> None:
    fakes = app()
    payload = body(canonical())
    headers = signed(payload, webhook_id="msg_1")
    first = post(fakes, payload, headers)
    tracking_id = tracking_id_of("hr-2026-000123")
    record = fakes.ledger.records[tracking_id]
    asyncio.run(fakes.ledger.save(record.with_step("deliver", NOW, status=Status.DELIVERED)))

    again = post(fakes, payload, headers)

    assert again.get_body() == first.get_body()
    assert answer(again)["status"] == ["accepted"]  # what was answered, not what is now


def test_a_scim_request_again_keeps_its_skipped_operations() -> None:
    fakes = app()
    payload = body(bulk(scim_user("1"), scim_user("2", active=False)))
    headers = signed(payload, content_type="application/scim+json", webhook_id="msg_scim")
    first = post(fakes, payload, headers)
    again = post(fakes, payload, headers)
    assert answer(again)["skipped"] == [{"bulkId": "b1", "reason": "inactive"}]
    assert again.get_body() == first.get_body()
    assert len(onboarding_messages(fakes)) == 1


# --- The same webhook id for something else: 409 --------------------------------------------


def test_the_same_webhook_id_with_another_body_is_409_and_nothing_is_recorded() -> None:
    fakes = app()
    payload = body(canonical())
    headers = signed(payload, webhook_id="msg_1")
    first = post(fakes, payload, headers)
    records = dict(fakes.ledger.records)

    other = body(canonical(eventId="hr-2026-000999", employeeId="E999"))
    reused = post(fakes, other, signed(other, webhook_id="msg_1"))

    assert reused.status_code == 409
    assert reused.mimetype == "application/problem+json"
    problem = answer(reused)
    assert problem["status"] == 409
    assert problem["type"] == "urn:tapstart:problem:conflict"
    assert [e["field"] for e in problem["errors"]] == ["webhook-id"]
    assert "hr-2026-000999" not in reused.get_body().decode()
    assert fakes.ledger.records == records
    assert tracking_id_of("hr-2026-000999") not in fakes.ledger.records
    assert len(onboarding_messages(fakes)) == 1
    # The claim is untouched: the real retry still gets its first answer.
    assert post(fakes, payload, headers).get_body() == first.get_body()


def test_the_same_body_under_another_content_type_is_409() -> None:
    fakes = app()
    payload = body(canonical())
    assert post(fakes, payload, signed(payload, webhook_id="msg_1")).status_code == 202
    headers = {**signed(payload, webhook_id="msg_1"), **binary_headers()}
    assert post(fakes, payload, headers).status_code == 409
    assert len(onboarding_messages(fakes)) == 1


# --- CloudEvents binary mode: the event id is the signed body's ------------------------------


def binary(payload: bytes, webhook_id: str, **ce: str) -> dict[str, str]:
    return {**signed(payload, webhook_id=webhook_id), **binary_headers(**ce)}


def test_a_binary_replay_with_a_new_ce_id_records_and_enqueues_nothing() -> None:
    fakes = app()
    payload = body(canonical())
    first = post(fakes, payload, binary(payload, "msg_bin"))
    assert first.status_code == 202
    records = dict(fakes.ledger.records)

    # The captured request again, the unsigned ce-id changed: the webhook id is the same.
    replay = post(fakes, payload, binary(payload, "msg_bin", **{"ce-id": "ce-fresh-9"}))

    assert replay.status_code == 409
    assert answer(replay)["errors"][0]["field"] == "webhook-id"
    assert fakes.ledger.records == records
    assert len(onboarding_messages(fakes)) == 1


def test_a_binary_replay_under_a_new_webhook_id_fails_the_signature() -> None:
    fakes = app()
    payload = body(canonical())
    post(fakes, payload, binary(payload, "msg_bin"))
    captured = binary(payload, "msg_bin", **{"ce-id": "ce-fresh-9"})
    forged = post(fakes, payload, {**captured, "webhook-id": "msg_other"})
    assert forged.status_code == 401
    assert len(fakes.ledger.records) == 1 and len(onboarding_messages(fakes)) == 1


def test_a_binary_event_without_an_event_id_in_the_body_is_400_and_claims_nothing() -> None:
    fakes = app()
    payload = body(canonical(eventId=None))
    response = post(fakes, payload, binary(payload, "msg_noid"))
    assert response.status_code == 400
    assert [e["field"] for e in answer(response)["errors"]] == ["/eventId"]
    assert fakes.ledger.records == {} and fakes.queue.messages == []
    assert fakes.ledger.deliveries == {}  # refused before the claim: the id is not used up


def test_a_structured_event_may_still_take_its_id_from_the_signed_cloudevent() -> None:
    fakes = app()
    payload = body(structured(data=canonical(eventId=None)))
    response = post(fakes, payload, signed(payload, "application/cloudevents+json"))
    assert answer(response)["trackingIds"] == [tracking_id_of("ce-0001")]


# --- A crash between the claim and the acting -----------------------------------------------


def test_a_crash_right_after_the_claim_is_healed_by_the_retry() -> None:
    fakes = app()
    payload = body(canonical())
    ledger_of(fakes).die_on_create = True
    with pytest.raises(WorkerDied):
        post(fakes, payload, signed(payload, webhook_id="msg_crash"))
    (claim,) = fakes.ledger.deliveries.values()
    assert claim.answer is None and fakes.ledger.records == {}  # claimed, nothing acted on

    # A quick retry may meet the first attempt still at work: 503, come back later.
    fakes.clock.advance(seconds=30)
    early = post(fakes, payload, signed(payload, webhook_id="msg_crash", at=fakes.clock.now()))
    assert early.status_code == 503
    assert int(early.headers["Retry-After"]) >= ENQUEUE_GRACE.total_seconds()
    assert fakes.ledger.records == {}

    # Once the claim is older than the grace, the retry acts: recorded and enqueued once.
    fakes.clock.advance(seconds=CLAIM_GRACE.total_seconds())
    retry = post(fakes, payload, signed(payload, webhook_id="msg_crash", at=fakes.clock.now()))
    assert retry.status_code == 202
    assert answer(retry)["status"] == ["accepted"]
    assert onboarding_messages(fakes) == [{"v": 1, "trackingId": tracking_id_of("hr-2026-000123")}]

    # And the claim is closed: the next retry is answered the same, with nothing done.
    last = post(fakes, payload, signed(payload, webhook_id="msg_crash", at=fakes.clock.now()))
    assert last.get_body() == retry.get_body()
    assert len(onboarding_messages(fakes)) == 1


def test_a_crash_between_the_record_and_the_enqueue_is_enqueued_by_the_retry() -> None:
    # GIVEN an attempt whose record was written a minute after its claim (slow storage), and
    # which then died before enqueuing
    fakes = app()
    payload = body(canonical())
    ledger_of(fakes).slow_claim = 60
    fakes.queue.fail_with = WorkerDied()
    with pytest.raises(WorkerDied):
        post(fakes, payload, signed(payload, webhook_id="msg_crash"))
    assert fakes.ledger.records[tracking_id_of("hr-2026-000123")].status is Status.ACCEPTED
    ledger_of(fakes).slow_claim, fakes.queue.fail_with = 0, None

    # WHEN the retry comes once the claim is stale, though the record is younger than the
    # enqueue grace (a new message about the event would not enqueue it yet)
    fakes.clock.current = NOW + CLAIM_GRACE
    retry = post(fakes, payload, signed(payload, webhook_id="msg_crash", at=fakes.clock.now()))

    # THEN the record is enqueued: the retry knows an attempt of its own died part-way
    assert retry.status_code == 202
    assert onboarding_messages(fakes) == [{"v": 1, "trackingId": tracking_id_of("hr-2026-000123")}]
    assert len(fakes.ledger.records) == 1


def test_a_crash_between_marking_a_cancel_and_enqueuing_it_is_healed_by_the_retry() -> None:
    fakes = app()
    hire = body(canonical())
    post(fakes, hire, signed(hire, webhook_id="msg_hire"))
    tracking_id = tracking_id_of("hr-2026-000123")
    cancel = body(
        {
            "type": "joiner.cancelled",
            "eventId": "hr-rescind-1",
            "occurredAt": "2026-11-28T08:58:00Z",
            "employeeId": "E123",
        }
    )
    fakes.queue.fail_with = WorkerDied()
    with pytest.raises(WorkerDied):
        post(fakes, cancel, signed(cancel, webhook_id="msg_cancel"))
    assert fakes.ledger.records[tracking_id].status is Status.CANCELLING
    fakes.queue.fail_with = None

    fakes.clock.advance(seconds=CLAIM_GRACE.total_seconds())
    retry = post(fakes, cancel, signed(cancel, webhook_id="msg_cancel", at=fakes.clock.now()))

    assert retry.status_code == 202
    assert answer(retry) | {"statusUrls": None} == {
        "trackingIds": [tracking_id],
        "status": ["cancelling"],
        "statusUrls": None,
    }
    # the hire's message, then the cancel's (which the crash had lost)
    assert onboarding_messages(fakes) == [{"v": 1, "trackingId": tracking_id}] * 2


def test_a_failed_attempt_leaves_its_claim_pending_with_the_request_digest() -> None:
    fakes = app()
    payload = body(canonical())
    fakes.queue.fail_with = WorkerDied()
    with pytest.raises(WorkerDied):
        post(fakes, payload, signed(payload, webhook_id="msg_t"))
    key = replay_key("msg_t")
    digest = request_digest(payload, lower_headers(signed(payload, webhook_id="msg_t")))
    assert fakes.ledger.deliveries[key].digest == digest
    assert fakes.ledger.deliveries[key].answer is None


def test_the_digest_covers_the_body_the_content_type_and_the_ce_headers_only() -> None:
    payload = body(canonical())
    base = lower_headers({**signed(payload), **binary_headers()})
    digest = request_digest(payload, base)
    resigned = {**base, "webhook-timestamp": "1", "webhook-signature": "v1,x", "x-trace": "t"}
    assert request_digest(payload, resigned) == digest  # a retry re-signs; other headers vary
    assert request_digest(payload, {**base, "ce-id": "other"}) != digest
    assert request_digest(payload, {**base, "ce-extra": "1"}) != digest
    assert request_digest(payload, {**base, "content-type": "application/scim+json"}) != digest
    assert request_digest(payload + b" ", base) != digest


def test_a_crash_in_a_scim_deactivation_is_healed_by_the_retry() -> None:
    fakes = app()
    hired = body(bulk(scim_user("1")))
    post(fakes, hired, signed(hired, content_type="application/scim+json"))
    [tracking_id] = list(fakes.ledger.records)
    leaver = body(bulk(scim_user("1", active=False)))
    headers = signed(leaver, content_type="application/scim+json", webhook_id="msg_leaver")
    fakes.queue.fail_with = WorkerDied()
    with pytest.raises(WorkerDied):
        post(fakes, leaver, headers)
    fakes.queue.fail_with = None

    fakes.clock.advance(seconds=CLAIM_GRACE.total_seconds())
    resent = signed(
        leaver, content_type="application/scim+json", webhook_id="msg_leaver", at=fakes.clock.now()
    )
    retry = post(fakes, leaver, resent)

    # Not "skipped: not_onboarding": the onboarding is cancelling because of this very request.
    assert answer(retry)["trackingIds"] == [tracking_id]
    assert answer(retry)["status"] == ["cancelling"]
    assert onboarding_messages(fakes) == [{"v": 1, "trackingId": tracking_id}] * 2
