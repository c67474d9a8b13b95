"""The flood cap on Azure Table storage (Azurite) under concurrent takers: exactly the cap."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from shared.adapters.table_ledger import TableLedger
from shared.config import resolve_storage
from shared.domain.errors import TransientError
from tests.fixtures.azurite import Azurite

HOUR = "2026112809"


def _ledger(azurite: Azurite, name: str, shards: int = 8) -> TableLedger:
    storage = resolve_storage({"AzureWebJobsStorage": azurite.connection_string})
    return TableLedger(storage, name, cap_shards=shards)


def test_concurrent_takers_get_exactly_the_cap(
    azurite: Azurite, unique_name: Callable[[str], str]
) -> None:
    ledger = _ledger(azurite, unique_name("cap"))

    async def burst() -> list[bool]:
        return list(await asyncio.gather(*(ledger.take_tap_slot(HOUR, 25) for _ in range(40))))

    taken = asyncio.run(burst())
    assert taken.count(True) == 25
    assert asyncio.run(ledger.tap_slots_used(HOUR)) == 25
    assert asyncio.run(ledger.take_tap_slot(HOUR, 25)) is False
    assert asyncio.run(ledger.take_tap_slot("2026112810", 25)) is True  # a fresh hour


def test_the_counter_of_a_release_before_shards_still_counts(
    azurite: Azurite, unique_name: Callable[[str], str]
) -> None:
    ledger = _ledger(azurite, unique_name("cap"))
    asyncio.run(ledger.take_tap_slot(HOUR, 5))
    legacy = {"PartitionKey": "tapcap", "RowKey": HOUR, "count": 3}
    ledger._client().create_entity(legacy)  # what the single-counter release wrote
    assert asyncio.run(ledger.tap_slots_used(HOUR)) == 4


def test_shards_lose_fewer_conditional_writes_than_one_counter(
    azurite: Azurite, unique_name: Callable[[str], str]
) -> None:
    one, sharded = _ledger(azurite, unique_name("one"), 1), _ledger(azurite, unique_name("sh"))

    async def take(ledger: TableLedger) -> None:
        while True:  # as the queue retries a joiner whose take gave up (TransientError)
            try:
                await ledger.take_tap_slot(HOUR, 50)
                return
            except TransientError:
                continue

    async def burst(ledger: TableLedger) -> int:
        await asyncio.gather(*(take(ledger) for _ in range(50)))
        return await ledger.tap_slots_used(HOUR)

    assert asyncio.run(burst(one)) == asyncio.run(burst(sharded)) == 50
    assert sharded.cap_conflicts < one.cap_conflicts
