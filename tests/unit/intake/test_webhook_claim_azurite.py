"""The ledger's webhook-id claims against Azure Table storage (Azurite) and the fake alike.

`claim_delivery` is an insert-if-absent, `retake_delivery` and `finish_delivery` are ETag-checked
merges; the fake stands in for the table in the intake's unit tests, so both must agree. Needs
Azurite (tests/fixtures/azurite.py) for the table half.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from azure.storage.queue import QueueClient

from functions.hr_events import handle_hr_events
from shared.domain.errors import ConflictError
from shared.intake.signature import replay_key
from shared.ports import Ledger, WebhookDelivery
from shared.services import build_services
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
from tests.fixtures.ledgers import table_or_fake_ledger

from .helpers import NOW, body, canonical, settings, signed

KEY = "webhook-" + "ab" * 32
LATER = NOW + timedelta(minutes=4)


@pytest.fixture(params=[pytest.param("table", marks=pytest.mark.azurite), "fake"])
def ledger(request: pytest.FixtureRequest) -> Ledger:
    return table_or_fake_ledger(request)


def test_the_first_claim_wins_and_later_ones_read_it(ledger: Ledger) -> None:
    async def scenario() -> tuple[tuple[WebhookDelivery, bool], tuple[WebhookDelivery, bool]]:
        return (
            await ledger.claim_delivery(KEY, "digest-1", NOW),
            await ledger.claim_delivery(KEY, "digest-2", LATER),
        )

    (first, created), (again, created_again) = asyncio.run(scenario())
    assert (created, created_again) == (True, False)
    assert (first.digest, first.taken_at, first.answer) == ("digest-1", NOW, None)
    assert (again.digest, again.taken_at, again.answer) == ("digest-1", NOW, None)  # pending
    assert again.etag == first.etag and first.etag


def test_concurrent_claims_of_one_webhook_id_make_one_winner(ledger: Ledger) -> None:
    async def scenario() -> list[bool]:
        claims = await asyncio.gather(
            *(ledger.claim_delivery(KEY, "digest-1", NOW) for _ in range(5))
        )
        return [created for _, created in claims]

    assert sorted(asyncio.run(scenario())) == [False] * 4 + [True]


def test_a_finished_claim_gives_its_answer_to_every_later_claim(ledger: Ledger) -> None:
    async def scenario() -> tuple[WebhookDelivery, WebhookDelivery]:
        claim, _ = await ledger.claim_delivery(KEY, "digest-1", NOW)
        done = await ledger.finish_delivery(KEY, claim, '{"v":1}', NOW)
        later, _ = await ledger.claim_delivery(KEY, "digest-1", LATER)
        return done, later

    done, later = asyncio.run(scenario())
    assert later.answer == done.answer == '{"v":1}'
    assert later.digest == "digest-1" and later.etag == done.etag


def test_a_stalled_claim_is_taken_over_once(ledger: Ledger) -> None:
    async def scenario() -> tuple[WebhookDelivery, WebhookDelivery, bool, bool]:
        claim, _ = await ledger.claim_delivery(KEY, "digest-1", NOW)
        taken = await ledger.retake_delivery(KEY, claim, LATER)
        try:  # a second retry that read the claim before the takeover loses
            await ledger.retake_delivery(KEY, claim, LATER)
            second_lost = False
        except ConflictError:
            second_lost = True
        try:  # and so does the first attempt, were it to finish after all
            await ledger.finish_delivery(KEY, claim, '{"late":1}', LATER)
            first_lost = False
        except ConflictError:
            first_lost = True
        await ledger.finish_delivery(KEY, taken, '{"v":1}', LATER)
        read, _ = await ledger.claim_delivery(KEY, "digest-1", LATER)
        return taken, read, second_lost, first_lost

    taken, read, second_lost, first_lost = asyncio.run(scenario())
    assert taken.taken_at == LATER and taken.etag
    assert (second_lost, first_lost) == (True, True)
    assert (read.taken_at, read.answer) == (LATER, '{"v":1}')


def test_a_claim_that_is_gone_cannot_be_changed(ledger: Ledger) -> None:
    ghost = WebhookDelivery("digest-1", NOW, etag="W/\"datetime'2026-01-01T00%3A00%3A00Z'\"")

    async def scenario() -> None:
        await ledger.finish_delivery(KEY, ghost, "{}", NOW)

    with pytest.raises(ConflictError):
        asyncio.run(scenario())
    with pytest.raises(ConflictError):
        asyncio.run(ledger.retake_delivery(KEY, ghost, NOW))


def test_a_plain_claim_once_marker_reads_as_a_claim_without_a_digest(ledger: Ledger) -> None:
    async def scenario() -> tuple[WebhookDelivery, bool]:
        assert await ledger.claim_once(KEY, NOW)
        return await ledger.claim_delivery(KEY, "digest-1", LATER)

    claim, created = asyncio.run(scenario())
    assert not created and claim.digest is None and claim.answer is None


def test_claims_are_pruned_with_the_other_markers(ledger: Ledger) -> None:
    async def scenario() -> tuple[int, bool]:
        claim, _ = await ledger.claim_delivery(KEY, "digest-1", NOW - timedelta(days=40))
        await ledger.finish_delivery(KEY, claim, "{}", NOW - timedelta(days=40))
        pruned = await ledger.prune(NOW - timedelta(days=30), "2026112609")
        _, created = await ledger.claim_delivery(KEY, "digest-2", NOW)
        return pruned, created

    assert asyncio.run(scenario()) == (1, True)


@pytest.mark.azurite
def test_concurrent_deliveries_of_one_webhook_id_act_once_on_the_table(
    azurite: Azurite, unique_name: Callable[[str], str]
) -> None:
    """Through the real intake: one delivery acts, the others are told the first answer or to
    retry (503) while it is at work; one record, one message, and the claim ends answered."""
    app_settings = settings(
        AzureWebJobsStorage=azurite.connection_string,
        ONBOARDING_QUEUE=unique_name("onboarding"),
        LEDGER_TABLE=unique_name("ledger"),
    )
    services = build_services(
        app_settings,
        directory=FakeDirectory(),
        mailer=FakeMailer(),
        blobs=FakeBlobStore(),
        tenant=FakeTenant(),
        probes=FakeProbes(),
        clock=FakeClock(NOW),
    )
    payload = body(canonical(eventId="same-id-1"))
    headers = signed(payload, webhook_id="msg_same")

    async def deliver() -> list[int]:
        answers = await asyncio.gather(
            *(handle_hr_events(payload, headers, services.accept_hr_request) for _ in range(5))
        )
        return [a.status_code for a in answers]

    statuses = asyncio.run(deliver())
    assert statuses.count(202) >= 1 and set(statuses) <= {202, 503}
    queue = QueueClient.from_connection_string(
        azurite.connection_string, app_settings.onboarding_queue
    )
    assert len(queue.peek_messages(max_messages=32)) == 1
    claim, _ = asyncio.run(services.ledger.claim_delivery(replay_key("msg_same"), "x", NOW))
    assert claim.answer is not None
    again = asyncio.run(handle_hr_events(payload, headers, services.accept_hr_request))
    assert again.status_code == 202
    assert json.loads(again.get_body())["trackingIds"] == [tracking_id_of("same-id-1")]
