"""A real GraphServiceClient whose HTTP ends in an `httpx.MockTransport`.

The client is wired as the app wires it (msgraph's default middleware: retry, redirect, URL
replace, telemetry), only the transport under the middleware is a scripted handler. So the tests
exercise the SDK's RetryHandler, the kiota error map (ODataError) and Tapstart's adapters
together, without a network or an emulator process.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import unquote

import httpx

from shared.adapters.graph_directory import GraphDirectory

BASE_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]

Handler = Callable[[httpx.Request], httpx.Response]


def graph_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """An error as Graph sends it: JSON `{"error": {...}}` with an innerError."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2026-11-28T09:00:00",
                "request-id": "00000000-0000-0000-0000-000000000001",
                "client-request-id": "00000000-0000-0000-0000-000000000002",
            },
        }
    }
    return httpx.Response(status, json=body, headers=headers)


def path_of(request: httpx.Request) -> str:
    """The request's path below /v1.0, percent-decoded."""
    return unquote(request.url.path).removeprefix("/v1.0")


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


class ScriptedGraph:
    """The MockTransport handler: records every request that reaches the wire."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._handler(request)

    def paths(self) -> list[str]:
        return [path_of(r) for r in self.requests]


@contextlib.asynccontextmanager
async def mock_directory(
    graph: ScriptedGraph, credential: Any = None
) -> AsyncIterator[GraphDirectory]:
    """A GraphDirectory over `graph`; with `credential`, tokens come from it (azure-identity style)."""
    from kiota_abstractions.authentication import AnonymousAuthenticationProvider
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_request_adapter import options as sdk_options
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import GraphClientFactory

    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(transport=httpx.MockTransport(graph)), options=sdk_options
    )
    auth: Any = (
        AnonymousAuthenticationProvider()
        if credential is None
        else AzureIdentityAuthenticationProvider(credential, scopes=GRAPH_SCOPES)
    )
    client = GraphServiceClient(request_adapter=GraphRequestAdapter(auth, client=http))
    client.request_adapter.base_url = BASE_URL
    try:
        yield GraphDirectory(client, BASE_URL)
    finally:
        await http.aclose()
