"""The composition root: builds the adapters from settings, once per worker process.

Triggers call `get_container()`; tests and the CLI may build a `Container` with other parts.
The Graph client's connection pool belongs to the event loop that created it, so the directory
is built per running loop (in Azure there is one; tests and the CLI may run several in turn).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from shared.config import Settings, get_settings
from shared.logging_setup import configure_logging
from shared.ports import BlobStore, Clock, Directory, JobQueue, Ledger, Mailer


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    ledger: Ledger
    queue: JobQueue
    blobs: BlobStore
    mailer: Mailer
    clock: Clock = field(default_factory=SystemClock)
    directory_factory: Any = None
    _directories: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Directory] = field(
        default_factory=weakref.WeakKeyDictionary
    )

    @property
    def directory(self) -> Directory:
        loop = asyncio.get_running_loop()
        directory = self._directories.get(loop)
        if directory is None:
            directory = self.directory_factory()
            self._directories[loop] = directory
        return directory


def build_container(settings: Settings) -> Container:
    from shared.adapters.acs_mailer import AcsMailer
    from shared.adapters.blob_store import AzureBlobStore
    from shared.adapters.graph_client import build_graph_client
    from shared.adapters.graph_directory import GraphDirectory
    from shared.adapters.rate_limited_mailer import RateLimitedMailer
    from shared.adapters.storage_connection import resolve_storage
    from shared.adapters.storage_queue import StorageJobQueue
    from shared.adapters.table_ledger import TableLedger
    from shared.domain.rate_limit import RateLimiter

    storage = resolve_storage()
    return Container(
        settings=settings,
        ledger=TableLedger(storage, settings.ledger_table),
        queue=StorageJobQueue(storage),
        blobs=AzureBlobStore(storage, settings.report_container),
        mailer=RateLimitedMailer(
            AcsMailer(
                settings.acs_endpoint,
                settings.acs_access_key,
                settings.mail_sender,
                settings.azure_client_id,
            ),
            RateLimiter.from_settings(settings),
        ),
        directory_factory=lambda: GraphDirectory(
            build_graph_client(settings), settings.graph_base_url
        ),
    )


@cache
def get_container() -> Container:
    configure_logging()
    return build_container(get_settings())
