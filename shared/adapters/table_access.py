"""One Azure Table of the app's storage account, built on first use: the client, its creation
if missing, and the mapping of storage failures to TransientError — the same for every adapter
that keeps state in Table storage (the ledger, the campaign store, the email budget)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.data.tables import TableClient, TableServiceClient

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

    def close(self) -> None:
        if self._table is not None:
            self._table.close()
        if self._service is not None:
            self._service.close()
