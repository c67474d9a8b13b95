"""The campaign store's contract, on Azure Table storage (Azurite) and the in-memory fake alike:
the fake stands in for the table in the use cases' tests, so both must agree."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from shared.adapters.table_campaign import TableCampaignStore
from shared.config import resolve_storage
from shared.domain.campaign import CampaignPath
from shared.domain.campaign_state import CampaignContact, CampaignState, CampaignStatus, OptOut
from shared.domain.errors import ConflictError
from shared.ports import CampaignStore
from tests.campaign_fakes import FakeCampaignStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["table", "fake"])
def store(request: pytest.FixtureRequest) -> CampaignStore:
    if request.param == "fake":
        return FakeCampaignStore()
    unique: Callable[[str], str] = request.getfixturevalue("unique_name")
    azurite = request.getfixturevalue("azurite")
    storage = resolve_storage({"AzureWebJobsStorage": azurite.connection_string})
    return TableCampaignStore(storage, unique("campaign").replace("-", ""), shards=4)


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def _state_round_trip(store: CampaignStore) -> None:
    assert await store.state() == CampaignState()
    started = await store.save_state(
        CampaignState(CampaignStatus.RUNNING, date(2026, 12, 1), NOW, "ops@contoso.example")
    )
    read = await store.state()
    assert (read.status, read.started_on, read.changed_at, read.changed_by) == (
        CampaignStatus.RUNNING,
        date(2026, 12, 1),
        NOW,
        "ops@contoso.example",
    )
    paused = await store.save_state(replace(started, status=CampaignStatus.PAUSED))
    assert (await store.state()).status is CampaignStatus.PAUSED
    with pytest.raises(ConflictError):
        await store.save_state(replace(started, status=CampaignStatus.RUNNING))  # stale ETag
    with pytest.raises(ConflictError):
        await store.save_state(CampaignState(CampaignStatus.RUNNING))  # a second "first" write
    assert paused.etag


def test_state_is_etag_checked(store: CampaignStore) -> None:
    asyncio.run(_state_round_trip(store))


async def _contacts(store: CampaignStore) -> None:
    planned = CampaignContact("u1", "u1@contoso.example", CampaignPath.IN_APP, 3, "U One")
    created, new = await store.create_contact(planned)
    assert new
    again, new_again = await store.create_contact(replace(planned, wave=9))
    assert not new_again and again.wave == 3  # insert-if-absent keeps the first
    sent = await store.save_contact(created.sent(1, NOW, CampaignPath.IN_APP))
    with pytest.raises(ConflictError):
        await store.save_contact(created.converted(NOW))  # stale: the send came first
    done = await store.save_contact(
        replace(sent.converted(NOW), bounced=True, detail="x").opted_out(NOW, "ops")
    )
    read = await store.contact("u1")
    assert read is not None
    assert replace(read, etag=None) == replace(done, etag=None)
    assert (read.sent_steps, read.first_contact_at, read.converted_at) == (1, NOW, NOW)
    assert [c.user_id async for c in store.contacts()] == ["u1"]
    assert await store.contact("nobody") is None


def test_contacts_are_insert_if_absent_and_etag_checked(store: CampaignStore) -> None:
    asyncio.run(_contacts(store))


async def _claims_and_opt_outs(store: CampaignStore) -> None:
    assert await store.claim("campaign:u1:1", NOW)
    assert not await store.claim("campaign:u1:1", NOW)
    assert await store.claim("campaign:u1:2", NOW)
    assert await store.opt_out(OptOut("u1", NOW, "ops", "u1@contoso.example", "asked to stop"))
    assert not await store.opt_out(OptOut("u1", NOW, "other"))
    assert (await store.opted_out())["u1"].by == "ops"
    assert await store.summary() is None
    await store.save_summary({"eligible": {"in_app": 3}})
    assert await store.summary() == {"eligible": {"in_app": 3}}


def test_claims_opt_outs_and_summary(store: CampaignStore) -> None:
    asyncio.run(_claims_and_opt_outs(store))


async def _concurrent_sends(store: CampaignStore) -> list[bool]:
    return list(
        await asyncio.gather(*(store.take_send_slot("2026-12-01T09", 10) for _ in range(30)))
    )


def test_concurrent_takers_never_exceed_the_hourly_cap(store: CampaignStore) -> None:
    taken = asyncio.run(_concurrent_sends(store))
    assert taken.count(True) == 10
    assert asyncio.run(store.take_send_slot("2026-12-01T10", 10))  # a new hour, a new count
    if isinstance(store, TableCampaignStore):
        assert asyncio.run(store.sends_in("2026-12-01T09")) == 10


def test_prune_drops_old_claims_and_hour_counters_and_keeps_recent_ones(
    store: CampaignStore,
) -> None:
    async def scenario() -> tuple[int, list[bool], list[bool]]:
        old, recent = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
        for i in range(120):  # more than one table transaction (100)
            assert await store.claim(f"campaign-enqueued:u{i}:1:2026-09-01", old)
        assert await store.claim("campaign:u1:2", recent)
        assert await store.take_send_slot("2026090109", 1)
        assert await store.take_send_slot("2026120109", 1)

        pruned = await store.prune(datetime(2026, 10, 1, tzinfo=UTC), "2026113009")

        claims = [
            await store.claim("campaign-enqueued:u0:1:2026-09-01", NOW),  # gone: claimable
            await store.claim("campaign:u1:2", NOW),  # kept: still refused
        ]
        slots = [
            await store.take_send_slot("2026090109", 1),  # counter gone: a fresh hour
            await store.take_send_slot("2026120109", 1),  # kept: the cap of 1 is used
        ]
        return pruned, claims, slots

    pruned, claims, slots = asyncio.run(scenario())

    assert pruned == 121
    assert claims == [True, False]
    assert slots == [True, False]
