"""The email budget all instances share, in Azure Table storage: one ETag-guarded entity.

Entity (in the ledger's table): PartitionKey "mailbudget", RowKey the budget's name ("acs"),
`buckets` the sends per time bucket that a window still counts, as JSON `[[bucket start in
epoch seconds, sends], ...]` (at most 361 pairs in the app: 10 s buckets over an hour and a
bucket), and `bucket_seconds`. Taking a send is one read and one conditional replace of that
entity: the rule (`shared.domain.email_budget.EmailBudget.decide`) runs on what was read, the
replace carries the read's ETag, and a replace that lost the race reads again.

Why one entity and not a counter per minute and per hour:
- The minute and the hour are taken by the same write, so they are never out of step: no
  "take the hour, then the minute, give the hour back if the minute is full", and no way for a
  crash between two writes to leak a slot.
- The windows slide (bucket by bucket), as ACS's do; fixed minute buckets would let twice the
  limit through across a minute boundary. Counts per bucket in separate rows would need the
  window's rows read and the current one written as one atomic step, which Table storage only
  offers within one entity (or by rewriting every row of the window in a transaction, which
  makes every row as hot as one entity).
- Nothing to prune: buckets that no window counts any more drop out of the entity when it is
  next written.
- Contention stays low without shards. Sends are few (ACS allows tens a minute), a full window
  answers without a write, and every process takes one send at a time (a lock per event loop)
  and remembers a refusal until the wait it was given has passed (no request at all: counts only
  grow until buckets age out). So at most one writer per instance races for the entity; the
  benchmark (`bench/email_budget_bench.py`) prints the requests and lost writes per send.
  The hourly TAP cap needed shards because 24-72 concurrent workers wrote one counter at once.

The clock is the wall clock (`time.time`), which all instances share to within NTP's accuracy; a
host whose clock runs ahead has its buckets counted by the others as they are (never dropped
early), and the others take "now" as at least the newest bucket they read.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Callable
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, UpdateMode

from shared.adapters.table_access import LazyTable
from shared.config import StorageConnection
from shared.domain.email_budget import EmailBudget, MailPriority

PARTITION = "mailbudget"
# Lost races in one take before it answers "try again in a moment" (a short wait).
MAX_RACES = 8
RACE_WAIT_SECONDS = 0.5
_RANK = {priority: rank for rank, priority in enumerate(MailPriority)}


class _Lost(Exception):
    """Another instance wrote the budget between our read and our write."""


class TableEmailBudget:
    def __init__(
        self,
        connection: StorageConnection | Callable[[], StorageConnection],
        table: str,
        budget: EmailBudget,
        *,
        name: str = "acs",
        clock: Callable[[], float] = time.time,
    ) -> None:
        # The connection may be resolved on first use: a process that never sends needs none.
        self._store = LazyTable(connection, table)
        self._budget = budget
        self._row = name
        self._clock = clock
        # Per priority: the instant before which this process knows the budget has no room.
        self._closed_until: dict[MailPriority, float] = {}
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        # Table requests made and conditional writes lost (benchmarks and tests read them).
        self.requests = 0
        self.conflicts = 0

    async def aclose(self) -> None:
        self._store.close()

    def _client(self) -> TableClient:
        return self._store.client()

    async def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self.requests += 1
        return await self._store.run(fn, *args, **kwargs)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def take(self, priority: MailPriority) -> float | None:
        """Take one send of `priority`: None if taken, else the seconds until one may be."""
        known = self._known_wait(priority, self._clock())
        if known is not None:
            return known
        async with self._lock():
            # A take of this process that ran meanwhile may have found the budget full.
            known = self._known_wait(priority, self._clock())
            if known is not None:
                return known
            for _ in range(MAX_RACES):
                now = self._clock()
                try:
                    wait = await self._take_once(priority, now)
                except _Lost:
                    self.conflicts += 1
                    continue
                if wait is not None:
                    self._remember_closed(priority, now + wait)
                return wait
            return RACE_WAIT_SECONDS

    async def counts(self) -> dict[int, int]:
        """Sends per bucket index that the budget holds (for tests and benchmarks)."""
        _, counts = await self._read()
        return counts

    def _known_wait(self, priority: MailPriority, now: float) -> float | None:
        until = self._closed_until.get(priority)
        return until - now if until is not None and until > now else None

    def _remember_closed(self, priority: MailPriority, until: float) -> None:
        # Lower classes have lower ceilings: where this one has no room, they have none either.
        for other, rank in _RANK.items():
            if rank >= _RANK[priority]:
                self._closed_until[other] = max(self._closed_until.get(other, 0.0), until)

    async def _take_once(self, priority: MailPriority, now: float) -> float | None:
        entity, counts = await self._read()
        budget = self._budget
        if counts:
            # A host whose clock runs ahead wrote a later bucket: "now" is at least its start.
            now = max(now, max(counts) * budget.bucket_seconds)
        counts = budget.forget(counts, now)
        wait = budget.decide(priority, now, counts)
        if wait is not None:
            return wait
        current = budget.bucket_of(now)
        counts[current] = counts.get(current, 0) + 1
        await self._write(entity, counts)
        return None

    async def _read(self) -> tuple[Any, dict[int, int]]:
        try:
            entity = await self._run(self._client().get_entity, PARTITION, self._row)
        except ResourceNotFoundError:
            return None, {}
        counts: dict[int, int] = {}
        for start, sent in json.loads(entity.get("buckets") or "[]"):
            # Stored by bucket start, so a change of bucket width keeps the counts (coarsely);
            # the nudge keeps a start that float division puts a hair early in its own bucket.
            bucket = self._budget.bucket_of(float(start) + 1e-6)
            counts[bucket] = counts.get(bucket, 0) + int(sent)
        return entity, counts

    async def _write(self, entity: Any, counts: dict[int, int]) -> None:
        width = self._budget.bucket_seconds
        buckets = [[_start(b, width), n] for b, n in sorted(counts.items())]
        new = {
            "PartitionKey": PARTITION,
            "RowKey": self._row,
            "buckets": json.dumps(buckets, separators=(",", ":")),
            "bucket_seconds": width,
        }
        table = self._client()
        try:
            if entity is None:
                await self._run(table.create_entity, new)
            else:
                await self._run(
                    table.update_entity,
                    new,
                    mode=UpdateMode.REPLACE,
                    etag=entity.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError) as exc:
            raise _Lost from exc


def _start(bucket: int, width: float) -> float | int:
    """A bucket's start in epoch seconds: an int when the width is whole (the app's 10 s)."""
    start = bucket * width
    return int(start) if float(start).is_integer() else start
