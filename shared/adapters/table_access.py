"""One Azure Table of the app's storage account, built on first use: the client, its creation
if missing, and the mapping of storage failures to TransientError — the same for every adapter
that keeps state in Table storage (the ledger, the campaign store, the email budget)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.data.tables import TableClient, TableServiceClient, TableTransactionError

from shared.adapters.clients import table_service
from shared.config import StorageConnection
from shared.domain.errors import TransientError


class LazyTable:
    def __init__(
        self, connection: StorageConnection | Callable[[], StorageConnection], table: str
    ) -> None:
        # The connection may be resolved on first use: a process that never touches this
        # table needs no storage for it.
        self._connection = connection
        self._name = table
        self._service: TableServiceClient | None = None
        self._table: TableClient | None = None

    def client(self) -> TableClient:
        if self._table is None:
            if self._service is None:
                connection = self._connection
                self._service = table_service(
                    connection if isinstance(connection, StorageConnection) else connection()
                )
            try:
                self._service.create_table_if_not_exists(self._name)
            except (HttpResponseError, ServiceRequestError) as exc:
                raise TransientError(f"table storage unavailable: {type(exc).__name__}") from exc
            self._table = self._service.get_table_client(self._name)
        return self._table

    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """`fn(*args, **kwargs)` off the event loop; the conditions callers branch on (exists,
        modified, not found) pass through, any other storage failure is transient."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            raise
        except (HttpResponseError, ServiceRequestError) as exc:
            raise TransientError(f"table storage error: {type(exc).__name__}") from exc

    async def entities(self, query: str, params: dict[str, str]) -> AsyncIterator[Any]:
        """Every entity `query` matches, read a page at a time off the event loop."""
        pages = self.client().query_entities(query, parameters=params).by_page()
        while True:
            page = await self.run(lambda: list(next(pages, [])))
            if not page:
                return
            for entity in page:
                yield entity

    async def delete_where(self, query: str, params: dict[str, str]) -> int:
        """Delete every entity `query` matches (housekeeping), in transactions of 100 per
        partition; entities another worker deleted first are no error. The number matched."""
        table = self.client()
        keys = await self.run(_matching_keys, table, query, params)
        deleted = 0
        for start in range(0, len(keys), _TRANSACTION_LIMIT):
            deleted += await self.run(_delete_all, table, keys[start : start + _TRANSACTION_LIMIT])
        return deleted

    def close(self) -> None:
        if self._table is not None:
            self._table.close()
        if self._service is not None:
            self._service.close()


# A table transaction holds at most 100 operations, all in one partition.
_TRANSACTION_LIMIT = 100


def _matching_keys(table: TableClient, query: str, params: dict[str, str]) -> list[tuple[str, str]]:
    found = table.query_entities(query, parameters=params, select=["PartitionKey", "RowKey"])
    return sorted((e["PartitionKey"], e["RowKey"]) for e in found)


def _delete_all(table: TableClient, keys: list[tuple[str, str]]) -> int:
    by_partition: dict[str, list[str]] = {}
    for pk, rk in keys:
        by_partition.setdefault(pk, []).append(rk)
    for pk, rows in by_partition.items():
        operations: list[Any] = [("delete", {"PartitionKey": pk, "RowKey": rk}) for rk in rows]
        try:
            table.submit_transaction(operations)
        except TableTransactionError:
            # Another worker pruned some of them first: delete the rest one by one.
            for rk in rows:
                table.delete_entity(pk, rk)  # deleting a missing entity is not an error here
    return len(keys)
