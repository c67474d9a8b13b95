"""Shared helpers for the Graph emulator conformance tests (real msgraph-sdk + azure-identity)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.graph import GRAPH_SCOPES, EmulatedGraph, graph_client, graph_credential

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

_tokens: dict[str, str] = {}


def bearer(graph: EmulatedGraph, client_id: str | None = None) -> str:
    """A real token from the emulated authority (via azure-identity), cached per app."""
    client_id = client_id or graph.client_id
    key = f"{graph.authority}/{client_id}"
    if key not in _tokens:
        _tokens[key] = graph_credential(graph, client_id).get_token(*GRAPH_SCOPES).token
    return _tokens[key]


@pytest.fixture
def client(graph: EmulatedGraph) -> Any:
    return graph_client(graph)


@pytest.fixture
def raw(graph: EmulatedGraph) -> Iterator[httpx.Client]:
    """Plain HTTP with a valid token, for wire-level assertions (headers, exact bodies)."""
    with httpx.Client(
        base_url=graph.base_url + "/",
        headers={"Authorization": f"Bearer {bearer(graph)}"},
        timeout=30,
    ) as http:
        yield http


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    return error


# The SDK's generated request builders use kiota's deprecated GetQueryParameters on every call;
# that is the SDK's business, not the emulator's (the lead may prefer this in pyproject).
SDK_WARNINGS = (
    "ignore:GetQueryParameters is deprecated:DeprecationWarning",
    "ignore:This class is deprecated:DeprecationWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "emulators/graph" in item.nodeid:
            for spec in SDK_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


# Request builder modules warn when imported (class bodies call warn()); import them once here,
# quietly, so collecting the test modules that use them does not trip filterwarnings=error.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    for _module in (
        "msgraph.generated.users.users_request_builder",
        "msgraph.generated.users.item.user_item_request_builder",
        "msgraph.generated.reports.authentication_methods.user_registration_details."
        "user_registration_details_request_builder",
        "msgraph.generated.audit_logs.directory_audits.directory_audits_request_builder",
        "msgraph.generated.users.item.check_member_groups.check_member_groups_post_request_body",
    ):
        importlib.import_module(_module)
