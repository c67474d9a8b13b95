import asyncio
from datetime import timedelta

import pytest

from shared.domain.errors import SignatureError, TransientError
from shared.domain.record import Status
from shared.intake.canonical import event_from_canonical
from shared.intake.signature import replay_key
from shared.usecases.accept_hr_request import ENQUEUE_GRACE, Accepted, HrIntake, IntakePolicy
from tests.fakes import FakeClock, FakeLedger, FakeQueue, tracking_id_of

from .helpers import NOW, body, canonical, settings, signed

SETTINGS = settings(ONBOARDING_QUEUE="onboard-test")


class World:
    def __init__(self) -> None:
        self.ledger, self.queue, self.clock = FakeLedger(), FakeQueue(), FakeClock()
        self.intake = HrIntake(
            policy=IntakePolicy(
                SETTINGS.hr_webhook_secrets, SETTINGS.max_event_bytes, SETTINGS.tracking_id_key
            ),
            ledger=self.ledger,
            queue=self.queue.named(SETTINGS.onboarding_queue),
            clock=self.clock,
        )

    def accept(self, *event_ids: str) -> list[Accepted]:
        events = [event_from_canonical(canonical(eventId=e)) for e in event_ids]
        return asyncio.run(self.intake.accept(events))


def test_a_new_event_is_recorded_and_enqueued() -> None:
    world = World()
    (result,) = world.accept("e-1")
    assert result == Accepted(tracking_id_of("e-1"), "e-1", "accepted", created=True, enqueued=True)
    assert world.ledger.records[result.tracking_id].employee_id == "E123"
    assert world.queue.on("onboard-test") == [{"v": 1, "trackingId": result.tracking_id}]


def test_the_same_event_three_times_is_one_record_and_one_enqueue() -> None:
    world = World()
    results = [world.accept("e-1")[0] for _ in range(3)]
    assert len({r.tracking_id for r in results}) == 1
    assert [r.created for r in results] == [True, False, False]
    assert len(world.ledger.records) == 1
    assert len(world.queue.messages) == 1


def test_a_duplicate_answers_with_the_current_status() -> None:
    world = World()
    (first,) = world.accept("e-1")
    record = world.ledger.records[first.tracking_id]
    asyncio.run(
        world.ledger.save(record.with_step("deliver", world.clock.now(), status=Status.DELIVERED))
    )
    (again,) = world.accept("e-1")
    assert again.status == "delivered"
    assert not again.enqueued


def test_a_stalled_accepted_record_is_enqueued_again() -> None:
    # GIVEN a record written by an attempt that died before enqueuing
    world = World()
    world.accept("e-1")
    world.queue.messages.clear()
    # WHEN the event comes again after the grace period
    world.clock.advance(seconds=ENQUEUE_GRACE.total_seconds())
    (again,) = world.accept("e-1")
    # THEN it is enqueued once more, still as the same record
    assert again.enqueued and not again.created
    assert len(world.queue.messages) == 1
    assert len(world.ledger.records) == 1


def test_a_young_accepted_record_is_not_enqueued_again() -> None:
    world = World()
    world.accept("e-1")
    world.clock.advance(seconds=(ENQUEUE_GRACE - timedelta(seconds=1)).total_seconds())
    world.accept("e-1")
    assert len(world.queue.messages) == 1


def test_several_events_keep_their_order() -> None:
    world = World()
    results = world.accept("a", "b", "c", "a")
    assert [r.event_id for r in results] == ["a", "b", "c", "a"]
    assert len(world.ledger.records) == 3
    assert len(world.queue.messages) == 3


def _signed_request(webhook_id: str) -> tuple[bytes, dict[str, str]]:
    payload = body(canonical())
    return payload, signed(payload, webhook_id=webhook_id, at=NOW)


def test_the_same_webhook_id_and_request_again_is_the_first_answer_and_does_nothing() -> None:
    world = World()
    world.clock.current = NOW
    payload, headers = _signed_request("msg_1")
    first = asyncio.run(world.intake(payload, headers))
    assert [a.created for a in first.accepted] == [True] and not first.replayed
    writes = world.ledger.version
    again = asyncio.run(world.intake(payload, headers))
    assert again.replayed
    assert [(a.tracking_id, a.status) for a in again.accepted] == [
        (a.tracking_id, a.status) for a in first.accepted
    ]
    assert len(world.queue.messages) == 1
    assert world.ledger.version == writes  # not one ledger write


def test_the_webhook_id_is_claimed_before_acting_and_a_failed_attempt_is_retried() -> None:
    # GIVEN a queue that is down: the request fails after its webhook id was claimed
    world = World()
    world.clock.current = NOW
    world.queue.fail_with = TransientError("queue unavailable", retry_after=7)
    payload, headers = _signed_request("msg_retry")
    with pytest.raises(TransientError):
        asyncio.run(world.intake(payload, headers))
    (claim,) = world.ledger.deliveries.values()
    assert claim.answer is None  # pending
    # WHEN the sender retries the same message after the grace period
    world.queue.fail_with = None
    world.clock.advance(seconds=ENQUEUE_GRACE.total_seconds())
    retried = asyncio.run(world.intake(payload, signed(payload, webhook_id="msg_retry", at=NOW)))
    # THEN it is acted on again (not a replay) and the joiner is enqueued once
    assert [a.enqueued for a in retried.accepted] == [True] and not retried.replayed
    assert len(world.queue.messages) == 1
    (claim,) = world.ledger.deliveries.values()
    assert claim.answer is not None  # done


def test_a_legacy_claim_without_a_digest_is_still_a_replay() -> None:
    world = World()
    world.clock.current = NOW
    payload, headers = _signed_request("msg_old")
    asyncio.run(world.ledger.claim_once(replay_key("msg_old"), NOW))
    with pytest.raises(SignatureError) as caught:
        asyncio.run(world.intake(payload, headers))
    assert caught.value.field == "webhook-id" and "replay" in caught.value.detail
    assert world.queue.messages == [] and world.ledger.records == {}
