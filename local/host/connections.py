"""Storage connections resolved like the host's StorageClientProvider.

`<conn>` holding a connection string wins (Azurite locally); otherwise the identity forms
`<conn>__queueServiceUri` / `<conn>__blobServiceUri` / `<conn>__accountName` are used with an
Azure credential. The identity path is not exercised locally but must not crash the host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue.aio import QueueClient, QueueServiceClient

from local.host.settings import HostConfigError


def _credential(conn: str, settings: Mapping[str, str]) -> Any:
    # Imported lazily: only the identity path needs azure-identity.
    from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

    client_id = settings.get(f"{conn}__clientId")
    if settings.get(f"{conn}__credential", "").lower() == "managedidentity":
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential(managed_identity_client_id=client_id)


def _service_uri(conn: str, service: str, settings: Mapping[str, str]) -> str | None:
    explicit = settings.get(f"{conn}__{service}ServiceUri")
    if explicit:
        return explicit
    if service == "blob" and settings.get(f"{conn}__serviceUri"):
        return settings[f"{conn}__serviceUri"]
    account = settings.get(f"{conn}__accountName")
    if account:
        return f"https://{account}.{service}.core.windows.net"
    return None


class StorageClients:
    """One service client per connection name, closed together at shutdown."""

    def __init__(self, settings: Mapping[str, str]) -> None:
        self._settings = settings
        self._queue_services: dict[str, QueueServiceClient] = {}
        self._blob_services: dict[str, BlobServiceClient] = {}

    def queue_service(self, conn: str) -> QueueServiceClient:
        if conn not in self._queue_services:
            value = self._settings.get(conn)
            if value:
                client = QueueServiceClient.from_connection_string(value)
            else:
                uri = _service_uri(conn, "queue", self._settings)
                if uri is None:
                    raise HostConfigError(
                        f"storage connection {conn!r}: set {conn} (connection string) "
                        f"or {conn}__queueServiceUri / {conn}__accountName"
                    )
                client = QueueServiceClient(uri, credential=_credential(conn, self._settings))
            self._queue_services[conn] = client
        return self._queue_services[conn]

    def queue(self, conn: str, queue_name: str) -> QueueClient:
        # Raw text in and out: the host, not the SDK, applies messageEncoding.
        return self.queue_service(conn).get_queue_client(
            queue_name, message_encode_policy=None, message_decode_policy=None
        )

    def blob_service(self, conn: str) -> BlobServiceClient:
        if conn not in self._blob_services:
            value = self._settings.get(conn)
            if value:
                client = BlobServiceClient.from_connection_string(value)
            else:
                uri = _service_uri(conn, "blob", self._settings)
                if uri is None:
                    raise HostConfigError(f"storage connection {conn!r} is not configured")
                client = BlobServiceClient(uri, credential=_credential(conn, self._settings))
            self._blob_services[conn] = client
        return self._blob_services[conn]

    async def close(self) -> None:
        for queue_service in self._queue_services.values():
            await queue_service.close()
        for blob_service in self._blob_services.values():
            await blob_service.close()
        self._queue_services.clear()
        self._blob_services.clear()
