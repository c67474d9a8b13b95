"""Report history on Blob storage: one container, paths like `2026/11/28/<run>/figures.json`."""

from __future__ import annotations

import asyncio

from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings

from shared.adapters.storage_connection import StorageConnection
from shared.domain.errors import TransientError


class AzureBlobStore:
    def __init__(self, connection: StorageConnection, container: str) -> None:
        if connection.connection_string:
            service = BlobServiceClient.from_connection_string(connection.connection_string)
        else:
            service = BlobServiceClient(connection.uri("blob"), credential=connection.credential())
        self._container_client: ContainerClient = service.get_container_client(container)
        self._created = False

    def _container(self) -> ContainerClient:
        if not self._created:
            try:
                self._container_client.create_container()
            except ResourceExistsError:
                pass
            self._created = True
        return self._container_client

    async def _run(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except ResourceNotFoundError:
            raise
        except (HttpResponseError, ServiceRequestError) as exc:
            raise TransientError(f"blob storage error: {type(exc).__name__}") from exc

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        await self._run(
            self._container().upload_blob, path, data, overwrite=True,
            content_settings=ContentSettings(content_type=content_type),
        )

    async def get(self, path: str) -> bytes | None:
        def read() -> bytes:
            return bytes(self._container().download_blob(path).readall())

        try:
            result: bytes = await self._run(read)
        except ResourceNotFoundError:
            return None
        return result

    async def list(self, prefix: str) -> list[str]:
        def names() -> list[str]:
            return sorted(b.name for b in self._container().list_blobs(name_starts_with=prefix))

        result: list[str] = await self._run(names)
        return result

    async def delete(self, path: str) -> None:
        try:
            await self._run(self._container().delete_blob, path)
        except ResourceNotFoundError:
            pass
