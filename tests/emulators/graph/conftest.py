"""Fixtures for the Graph emulator conformance tests (real msgraph-sdk + azure-identity)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator

import httpx
import pytest
from graph_testkit import bearer

from tests.fixtures.graph import EmulatedGraph


@pytest.fixture
def raw(graph: EmulatedGraph) -> Iterator[httpx.Client]:
    """Plain HTTP with a valid token, for wire-level assertions (headers, exact bodies)."""
    with httpx.Client(
        base_url=graph.base_url + "/",
        headers={"Authorization": f"Bearer {bearer(graph)}"},
        timeout=30,
    ) as http:
        yield http


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
        "msgraph.generated.users.item.authentication.microsoft_authenticator_methods."
        "microsoft_authenticator_methods_request_builder",
    ):
        importlib.import_module(_module)


@pytest.fixture
def tap_for_everyone(graph: EmulatedGraph, monkeypatch: pytest.MonkeyPatch) -> EmulatedGraph:
    """The test seed's TAP policy covering every user, for tests of TAP mechanics rather than
    targeting. The shared seed targets the passwordless group only (as a tenant should, and as
    the doctor's `tap.privileged_reach` asks), and Graph refuses a pass outside the targets;
    the targeting tests (`test_graph_tap.py`) set their own targets. `graph.seed` is patched for
    the test, so a test that reseeds from a copy of it keeps this policy."""
    policy = {
        **graph.seed["policies"]["TemporaryAccessPass"],
        "includeTargets": [
            {"targetType": "group", "id": "all_users", "isRegistrationRequired": False}
        ],
    }
    monkeypatch.setitem(graph.seed["policies"], "TemporaryAccessPass", policy)
    graph.control.reset(graph.seed)
    return graph
