"""Resolve a storage connection the way the Functions host does, for the app's own clients.

1. `<name>` holds a connection string (Azurite locally) → use it.
2. else `<name>__{queue|table|blob}ServiceUri` or `<name>__accountName` → identity-based, with
   `<name>__clientId` selecting a user-assigned managed identity.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from azure.core.credentials import TokenCredential

from shared.domain.errors import ConfigurationError

Service = Literal["queue", "table", "blob"]


@dataclass(frozen=True)
class StorageConnection:
    connection_string: str | None
    service_uris: Mapping[Service, str]
    client_id: str | None

    def uri(self, service: Service) -> str:
        return self.service_uris[service]

    def credential(self) -> TokenCredential:
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

        if self.client_id:
            return ManagedIdentityCredential(client_id=self.client_id)
        return DefaultAzureCredential()


def resolve_storage(
    name: str = "AzureWebJobsStorage", env: Mapping[str, str] | None = None
) -> StorageConnection:
    source = os.environ if env is None else env
    direct = source.get(name, "").strip()
    if direct:
        return StorageConnection(direct, {}, None)
    account = source.get(f"{name}__accountName", "").strip()
    uris: dict[Service, str] = {}
    for service in ("queue", "table", "blob"):
        explicit = source.get(f"{name}__{service}ServiceUri", "").strip()
        if explicit:
            uris[service] = explicit.rstrip("/")
        elif account:
            uris[service] = f"https://{account}.{service}.core.windows.net"
    if len(uris) < 3:
        raise ConfigurationError(
            f"Storage connection {name!r}: set {name} (connection string) or {name}__accountName "
            f"(or the three {name}__<service>ServiceUri settings) for identity-based access"
        )
    return StorageConnection(None, uris, source.get(f"{name}__clientId") or None)
