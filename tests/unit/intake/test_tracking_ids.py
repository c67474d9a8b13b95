"""Tracking ids are keyed: derived from the event id under the server's secret, so the same
event finds its record again, and nobody without the key can compute or guess another joiner's."""

import asyncio
import uuid
from dataclasses import replace

import pytest

from shared.config import ConfigurationError
from shared.domain.record import JoinerRecord, tracking_id_for
from shared.intake.canonical import event_from_canonical
from shared.usecases.accept_hr_request import HrIntake, IntakePolicy
from tests.fakes import FakeClock, FakeLedger, FakeQueue

from .helpers import canonical, settings

KEY = b"k" * 32
# The namespace of the unkeyed ids earlier releases recorded (uuid5 of the event id).
LEGACY_NAMESPACE = uuid.UUID("6c1f3f0e-6f5b-4c44-9a53-2f1d5c7e8a10")


def test_the_same_event_under_the_same_key_has_the_same_id() -> None:
    assert tracking_id_for("hr-1", KEY) == tracking_id_for("hr-1", KEY)
    assert tracking_id_for("hr-1", KEY) != tracking_id_for("hr-2", KEY)


def test_without_the_key_the_id_cannot_be_derived_from_the_event_id() -> None:
    event_id = "scim:E1101:2026-12-07"  # what someone who knows the SCIM format can build
    ids = {tracking_id_for(event_id, key) for key in (KEY, b"x" * 32, b"k" * 33)}
    assert len(ids) == 3
    assert str(uuid.uuid5(LEGACY_NAMESPACE, event_id)) not in ids


def test_the_id_is_a_version_8_uuid() -> None:
    parsed = uuid.UUID(tracking_id_for("hr-1", KEY))
    assert parsed.version == 8
    assert parsed.variant == uuid.RFC_4122


def test_a_missing_or_short_key_stops_the_app_at_start() -> None:
    with pytest.raises(ConfigurationError, match="TRACKING_ID_KEY is missing"):
        settings(TRACKING_ID_KEY="")
    with pytest.raises(ConfigurationError, match="TRACKING_ID_KEY is malformed: is 8 characters"):
        settings(TRACKING_ID_KEY="short-ky")


def _intake(ledger: FakeLedger, queue: FakeQueue, key: bytes) -> HrIntake:
    config = settings()
    return HrIntake(
        policy=IntakePolicy(config.hr_webhook_secrets, config.max_event_bytes, key),
        ledger=ledger,
        queue=queue.named(config.onboarding_queue),
        clock=FakeClock(),
    )


def test_an_event_recorded_under_an_earlier_key_is_found_again_not_onboarded_twice() -> None:
    ledger, queue = FakeLedger(), FakeQueue()
    event = event_from_canonical(canonical(eventId="hr-7"))
    (first,) = asyncio.run(_intake(ledger, queue, b"old-key-" * 4).accept([event]))

    (again,) = asyncio.run(_intake(ledger, queue, KEY).accept([event]))

    assert again.tracking_id == first.tracking_id
    assert not again.created
    assert list(ledger.records) == [first.tracking_id]
    assert len(queue.messages) == 1


def test_an_unkeyed_record_of_an_earlier_release_is_found_again() -> None:
    ledger, queue = FakeLedger(), FakeQueue()
    event = event_from_canonical(canonical(eventId="hr-8"))
    legacy_id = str(uuid.uuid5(LEGACY_NAMESPACE, "hr-8"))
    record = JoinerRecord.accept(event, FakeClock().now(), legacy_id)
    asyncio.run(ledger.create(replace(record, updated_at=FakeClock().now())))

    (again,) = asyncio.run(_intake(ledger, queue, KEY).accept([event]))

    assert again.tracking_id == legacy_id
    assert list(ledger.records) == [legacy_id]
