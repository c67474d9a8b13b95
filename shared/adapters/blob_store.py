"""Report history on Blob storage: one container, paths like `2026/11/28/<run>/figures.json`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.storage.blob import ContainerClient, ContentSettings

from shared.adapters.clients import blob_container
from shared.adapters.threads import in_thread
from shared.config import StorageConnection
from shared.domain.errors import TransientError

T = TypeVar("T")


class AzureBlobStore:
    def __init__(self, connection: StorageConnection, container: str) -> None:
        self._container_client: ContainerClient = blob_container(connection, container)
        self._created = False

    async def aclose(self) -> None:
        self._container_client.close()

    def _container(self) -> ContainerClient:
        if not self._created:
            with contextlib.suppress(ResourceExistsError):
                self._container_client.create_container()
            self._created = True
        return self._container_client

    async def _run(self, fn: Callable[[], T]) -> T:
        try:
            return await in_thread(fn)
        except ResourceNotFoundError:
            raise
        except (HttpResponseError, ServiceRequestError) as exc:
            raise TransientError(f"blob storage error: {type(exc).__name__}") from exc

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        settings = ContentSettings(content_type=content_type)
        await self._run(
            lambda: self._container().upload_blob(
                path, data, overwrite=True, content_settings=settings
            )
        )

    async def get(self, path: str) -> bytes | None:
        def read() -> bytes:
            return bytes(self._container().download_blob(path).readall())

        try:
            return await self._run(read)
        except ResourceNotFoundError:
            return None

    async def list(self, prefix: str) -> list[str]:
        def names() -> list[str]:
            return sorted(b.name for b in self._container().list_blobs(name_starts_with=prefix))

        return await self._run(names)

    async def delete(self, path: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            await self._run(lambda: self._container().delete_blob(path))
