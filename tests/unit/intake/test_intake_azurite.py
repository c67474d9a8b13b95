"""The intake against real storage (Azurite): Table ledger idempotency, queue messages, replays.

Lives next to the unit tests of the intake because it exercises the same trigger function; it
needs Azurite, started once per session by tests/fixtures/azurite.py.
"""

import asyncio
import json
from collections.abc import Callable

import pytest
from azure.storage.queue import QueueClient

from functions.hr_events import handle_hr_events
from shared.services import Services, build_services
from tests.fakes import (
    FakeBlobStore,
    FakeClock,
    FakeDirectory,
    FakeMailer,
    FakeProbes,
    FakeTenant,
    tracking_id_of,
)
from tests.fixtures.azurite import Azurite

from .helpers import NOW, body, canonical, settings, signed

pytestmark = pytest.mark.azurite


@pytest.fixture
def services(azurite: Azurite, unique_name: Callable[[str], str]) -> Services:
    """The real ledger and queues on Azurite, as build_services makes them from the settings."""
    queue_name, table_name = unique_name("onboarding"), unique_name("ledger")
    app_settings = settings(
        AzureWebJobsStorage=azurite.connection_string,
        ONBOARDING_QUEUE=queue_name,
        LEDGER_TABLE=table_name,
    )
    return build_services(
        app_settings,
        directory=FakeDirectory(),
        mailer=FakeMailer(),
        blobs=FakeBlobStore(),
        tenant=FakeTenant(),
        probes=FakeProbes(),
        clock=FakeClock(NOW),
    )


def queued(azurite: Azurite, services: Services) -> list[str]:
    client = QueueClient.from_connection_string(
        azurite.connection_string, services.settings.onboarding_queue
    )
    return [m.content for m in client.peek_messages(max_messages=32)]


def test_three_deliveries_of_one_event_make_one_record_and_one_message(
    azurite: Azurite, services: Services
) -> None:
    payload = body(canonical())

    async def deliver_three_times() -> list[int]:
        answers = [
            await handle_hr_events(
                payload, signed(payload, webhook_id=f"msg_{i}"), services.accept_hr_request
            )
            for i in range(3)
        ]
        return [a.status_code for a in answers]

    assert asyncio.run(deliver_three_times()) == [202, 202, 202]
    tracking_id = tracking_id_of("hr-2026-000123")
    record = asyncio.run(services.ledger.get(tracking_id))
    assert record is not None and record.employee_id == "E123"
    assert len(queued(azurite, services)) == 1


def test_concurrent_deliveries_of_one_event_enqueue_once(
    azurite: Azurite, services: Services
) -> None:
    payload = body(canonical(eventId="concurrent-1"))

    async def deliver_concurrently() -> list[int]:
        answers = await asyncio.gather(
            *(
                handle_hr_events(
                    payload, signed(payload, webhook_id=f"msg_c{i}"), services.accept_hr_request
                )
                for i in range(5)
            )
        )
        return [a.status_code for a in answers]

    assert asyncio.run(deliver_concurrently()) == [202] * 5
    assert len(queued(azurite, services)) == 1


def test_a_replay_gets_the_first_answer_another_body_409_and_a_bad_signature_nothing(
    azurite: Azurite, services: Services
) -> None:
    payload = body(canonical(eventId="replayed-1"))
    headers = signed(payload, webhook_id="msg_replay")
    first = asyncio.run(handle_hr_events(payload, headers, services.accept_hr_request))
    again = asyncio.run(handle_hr_events(payload, headers, services.accept_hr_request))
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.get_body() == first.get_body()

    other = body(canonical(eventId="replayed-2"))
    reused = signed(other, webhook_id="msg_replay")
    conflict = asyncio.run(handle_hr_events(other, reused, services.accept_hr_request))
    assert conflict.status_code == 409
    assert json.loads(conflict.get_body())["errors"][0]["field"] == "webhook-id"
    assert asyncio.run(services.ledger.get(tracking_id_of("replayed-2"))) is None

    forged = body(canonical(eventId="forged-1"))
    answer = asyncio.run(
        handle_hr_events(
            forged,
            {**signed(payload), "Content-Type": "application/json"},
            services.accept_hr_request,
        )
    )
    assert answer.status_code == 401
    assert asyncio.run(services.ledger.get(tracking_id_of("forged-1"))) is None
    assert len(queued(azurite, services)) == 1
