"""Build the one GraphServiceClient of a worker process, from settings only.

Azure: managed identity. Locally: client secret against the Graph emulator's authority (served
over TLS with a throwaway CA, named by GRAPH_CA_BUNDLE). Application code never knows which.
"""

from __future__ import annotations

from typing import Any

from shared.config import Settings

GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]


def build_credential(settings: Settings) -> Any:
    # Sync credentials: kiota supports them, and they avoid the "transport closed" failure mode of
    # async credentials shared across concurrent requests (graph-api.md §7.7).
    from azure.identity import ClientSecretCredential, ManagedIdentityCredential

    if settings.graph_client_secret:
        kwargs: dict[str, Any] = {
            "authority": settings.graph_authority_host,
            "disable_instance_discovery": settings.graph_authority_host
            != "https://login.microsoftonline.com",
        }
        if settings.graph_ca_bundle:
            kwargs["connection_verify"] = settings.graph_ca_bundle
        return ClientSecretCredential(
            settings.graph_tenant_id,
            settings.graph_client_id,
            settings.graph_client_secret,
            **kwargs,
        )
    return ManagedIdentityCredential(client_id=settings.azure_client_id or None)


def build_graph_client(settings: Settings) -> Any:
    from msgraph.graph_service_client import (
        GraphServiceClient,
    )  # heavy import (~0.4 s): only when Graph is first used

    client = GraphServiceClient(credentials=build_credential(settings), scopes=GRAPH_SCOPES)
    client.request_adapter.base_url = settings.graph_base_url
    return client
