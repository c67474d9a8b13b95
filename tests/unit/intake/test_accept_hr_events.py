import asyncio
from datetime import timedelta

from shared.domain.record import Status, tracking_id_for
from shared.intake.canonical import event_from_canonical
from shared.usecases.accept_hr_event import ENQUEUE_GRACE, Accepted, accept_hr_events
from tests.fakes import FakeClock, FakeLedger, FakeQueue

from .helpers import canonical, settings

SETTINGS = settings(ONBOARDING_QUEUE="onboard-test")


class World:
    def __init__(self) -> None:
        self.ledger, self.queue, self.clock = FakeLedger(), FakeQueue(), FakeClock()

    def accept(self, *event_ids: str) -> list[Accepted]:
        events = [event_from_canonical(canonical(eventId=e)) for e in event_ids]
        return asyncio.run(accept_hr_events(events, self.ledger, self.queue, SETTINGS, self.clock))


def test_a_new_event_is_recorded_and_enqueued() -> None:
    world = World()
    (result,) = world.accept("e-1")
    assert result == Accepted(
        tracking_id_for("e-1"), "e-1", "accepted", created=True, enqueued=True
    )
    assert world.ledger.records[result.tracking_id].employee_id == "E123"
    assert world.queue.on("onboard-test") == [{"trackingId": result.tracking_id}]


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
