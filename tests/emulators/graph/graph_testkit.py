"""Seed ids and helpers shared by the Graph emulator conformance tests (a uniquely named module,
so ``from graph_testkit import ...`` cannot pick up another suite's helpers)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.graph import GRAPH_SCOPES, EmulatedGraph, graph_credential

JOINER = "10000000-0000-4000-8000-000000000101"
JOINER_UPN = "jamie.joiner@contoso.example"
MANAGER = "10000000-0000-4000-8000-000000000100"
PREHIRE = "10000000-0000-4000-8000-000000000102"
ENROLLED = "10000000-0000-4000-8000-000000000103"
ADMIN = "10000000-0000-4000-8000-000000000104"
GUEST = "10000000-0000-4000-8000-000000000105"
DISABLED = "10000000-0000-4000-8000-000000000106"
NO_MANAGER_MAIL = "10000000-0000-4000-8000-000000000107"
MAILLESS_MANAGER = "10000000-0000-4000-8000-000000000108"
INTERNAL_GUEST = "10000000-0000-4000-8000-000000000109"
TAP_EXCLUDED = "10000000-0000-4000-8000-000000000110"
PASSWORDLESS_GROUP = "20000000-0000-4000-8000-000000000001"
DYNAMIC_GROUP = "20000000-0000-4000-8000-000000000002"
ROLE_GROUP = "20000000-0000-4000-8000-000000000003"
EXCLUDED_GROUP = "20000000-0000-4000-8000-000000000004"
READONLY_APP = "5e1d0b7a-0000-4000-8000-00000000a002"
POLICY_ADMIN_APP = "5e1d0b7a-0000-4000-8000-00000000a003"  # policy write + role-assignable groups

_tokens: dict[str, str] = {}


def bearer(graph: EmulatedGraph, client_id: str | None = None) -> str:
    """A real token from the emulated authority (via azure-identity), cached per app."""
    client_id = client_id or graph.client_id
    key = f"{graph.authority}/{client_id}"
    if key not in _tokens:
        _tokens[key] = graph_credential(graph, client_id).get_token(*GRAPH_SCOPES).token
    return _tokens[key]


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    return error
