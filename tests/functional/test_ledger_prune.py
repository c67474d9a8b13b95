"""Ledger housekeeping against Azure Table storage (Azurite) and the in-memory fake alike.

The fake stands in for the ledger in the use-case tests, so both must prune the same way.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shared.ports import Ledger
from tests.fixtures.ledgers import table_or_fake_ledger

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=1)


@pytest.fixture(params=["table", "fake"])
def ledger(request: pytest.FixtureRequest) -> Ledger:
    return table_or_fake_ledger(request)


def test_prune_drops_old_claims_and_counters_and_keeps_recent_ones(ledger: Ledger) -> None:
    async def scenario() -> tuple[int, list[bool], list[bool]]:
        # More than one table transaction's worth (100) of old markers.
        for i in range(130):
            assert await ledger.claim_once(f"webhook:old-{i}", OLD)
        assert await ledger.claim_once("reminder:t1:1", RECENT)
        assert await ledger.take_tap_slot("2026102009", 1)
        assert await ledger.take_tap_slot("2026112809", 1)

        pruned = await ledger.prune(NOW - timedelta(days=30), "2026112609")

        claims = [
            await ledger.claim_once("webhook:old-0", NOW),  # gone: can be claimed again
            await ledger.claim_once("webhook:old-129", NOW),
            await ledger.claim_once("reminder:t1:1", NOW),  # kept: still refused
        ]
        slots = [
            await ledger.take_tap_slot("2026102009", 1),  # counter gone: a fresh hour
            await ledger.take_tap_slot("2026112809", 1),  # kept: the cap of 1 is used
        ]
        return pruned, claims, slots

    pruned, claims, slots = asyncio.run(scenario())

    assert pruned == 131
    assert claims == [True, True, False]
    assert slots == [True, False]


def test_prune_with_nothing_old_deletes_nothing(ledger: Ledger) -> None:
    async def scenario() -> tuple[int, bool]:
        await ledger.claim_once("webhook:fresh", RECENT)
        pruned = await ledger.prune(NOW - timedelta(days=30), "2026112609")
        return pruned, await ledger.claim_once("webhook:fresh", NOW)

    assert asyncio.run(scenario()) == (0, False)
