"""Every credential and SDK client the app builds, from Settings only: one identity rule.

Adapters, the doctor's probes and the CLI take their clients from here, so Azure and the local
stack differ in settings alone and no two places pick an identity differently:

- Microsoft Entra identity: a configured client id selects that user-assigned managed identity;
  without one, `DefaultAzureCredential` (the system-assigned identity in Azure, a developer's
  `az login` on a workstation).
- Graph: a client secret when one is set (the local emulator's authority, over TLS with the
  emulator's CA), else the identity above. Sync credentials: kiota supports them, and they avoid
  the "transport closed" failure of async credentials shared across concurrent requests.
- ACS Email: the access key when one is set, else the identity.
- Storage: the connection string when `AzureWebJobsStorage` holds one (Azurite), else the service
  URIs with the identity (`AzureWebJobsStorage__clientId` as the host reads it).

SDK imports are lazy: a process pays for the SDKs it uses, not for all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.config import Settings, StorageConnection

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
PUBLIC_AUTHORITY = "https://login.microsoftonline.com"


def azure_credential(client_id: str | None) -> TokenCredential:
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential()


def graph_credential(settings: Settings) -> TokenCredential:
    if not settings.graph_client_secret:
        return azure_credential(settings.azure_client_id)
    from azure.identity import ClientSecretCredential

    kwargs: dict[str, Any] = {
        "authority": settings.graph_authority_host,
        "disable_instance_discovery": settings.graph_authority_host != PUBLIC_AUTHORITY,
    }
    if settings.graph_ca_bundle:
        kwargs["connection_verify"] = settings.graph_ca_bundle
    return ClientSecretCredential(
        settings.graph_tenant_id,
        settings.graph_client_id,
        settings.graph_client_secret,
        **kwargs,
    )


def graph_client(settings: Settings) -> Any:
    """The GraphServiceClient (its connection pool belongs to the loop that first uses it)."""
    from msgraph.graph_service_client import GraphServiceClient  # ~0.4 s: only when used

    client = GraphServiceClient(credentials=graph_credential(settings), scopes=GRAPH_SCOPES)
    client.request_adapter.base_url = settings.graph_base_url
    return client


def email_client(settings: Settings, **options: Any) -> Any:
    from azure.communication.email import EmailClient
    from azure.core.credentials import AzureKeyCredential

    credential: Any = (
        AzureKeyCredential(settings.acs_access_key)
        if settings.acs_access_key
        else azure_credential(settings.azure_client_id)
    )
    return EmailClient(settings.acs_endpoint, credential, **options)


def queue_service(connection: StorageConnection, **options: Any) -> Any:
    from azure.storage.queue import QueueServiceClient

    if connection.connection_string:
        return QueueServiceClient.from_connection_string(connection.connection_string, **options)
    return QueueServiceClient(
        connection.uri("queue"), credential=azure_credential(connection.client_id), **options
    )


def table_service(connection: StorageConnection, **options: Any) -> Any:
    from azure.data.tables import TableServiceClient

    if connection.connection_string:
        return TableServiceClient.from_connection_string(connection.connection_string, **options)
    return TableServiceClient(
        connection.uri("table"), credential=azure_credential(connection.client_id), **options
    )


def blob_container(connection: StorageConnection, name: str, **options: Any) -> Any:
    from azure.storage.blob import ContainerClient

    if connection.connection_string:
        return ContainerClient.from_connection_string(
            connection.connection_string, container_name=name, **options
        )
    return ContainerClient(
        connection.uri("blob"),
        container_name=name,
        credential=azure_credential(connection.client_id),
        **options,
    )
