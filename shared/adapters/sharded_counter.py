"""An hourly cap in Table storage without one hot entity: the hour's cap split over a few
ETag-guarded shards whose allowances add up to it (shared/domain/tap_cap.py). One
implementation for every hourly cap the app keeps: the TAP flood cap, the campaign's sends."""

from __future__ import annotations

import random

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.adapters.table_access import LazyTable
from shared.domain.errors import TransientError
from shared.domain.tap_cap import hour_range, shard_allowances, shard_row


class ShardedHourlyCounter:
    def __init__(
        self, table: LazyTable, partition: str, shards: int, *, what: str, retry_after: float | None
    ) -> None:
        self._table = table
        self._partition = partition
        self._shards = shards
        self._what = what  # named in the TransientError of a take that kept losing races
        self._retry_after = retry_after
        # Table requests made and conditional writes lost (benchmarks read them).
        self.requests = 0
        self.conflicts = 0

    async def take(self, hour_key: str, cap: int) -> bool:
        allowances = shard_allowances(cap, self._shards)
        open_shards = list(range(len(allowances)))
        for _ in range(20 + len(allowances)):  # lost races, plus one look at each full shard
            if not open_shards:
                return False
            # A random open shard each time: racers who lost one spread out instead of
            # queueing on it again.
            shard = random.choice(open_shards)
            taken = await self._take_in_shard(shard_row(hour_key, shard), allowances[shard])
            if taken is None:
                continue
            if taken:
                return True
            open_shards.remove(shard)
        raise TransientError(f"{self._what} is contended; retry", retry_after=self._retry_after)

    async def _take_in_shard(self, row: str, allowance: int) -> bool | None:
        """True: taken; False: the shard is full; None: lost the race for it."""
        table = self._table.client()
        self.requests += 1
        try:
            entity = await self._table.run(table.get_entity, self._partition, row)
        except ResourceNotFoundError:
            self.requests += 1
            try:
                await self._table.run(
                    table.create_entity,
                    {"PartitionKey": self._partition, "RowKey": row, "count": 1},
                )
                return True
            except ResourceExistsError:
                self.conflicts += 1
                return None
        if int(entity["count"]) >= allowance:
            return False
        entity["count"] = int(entity["count"]) + 1
        self.requests += 1
        try:
            await self._table.run(
                table.update_entity,
                entity,
                mode=UpdateMode.REPLACE,
                etag=entity.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            return True
        except ResourceModifiedError:
            self.conflicts += 1
            return None

    async def used(self, hour_key: str) -> int:
        """The hour's count over its shards (and a single counter row of the bare hour, as
        releases before shards wrote it)."""
        first, end = hour_range(hour_key)
        query = "PartitionKey eq @pk and RowKey ge @first and RowKey lt @end"
        params = {"pk": self._partition, "first": first, "end": end}
        table = self._table.client()
        rows = await self._table.run(
            lambda: list(table.query_entities(query, parameters=params, select=["count"]))
        )
        return sum(int(row["count"]) for row in rows)
