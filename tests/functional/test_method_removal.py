"""`GraphDirectory.delete_method` (the rehire override's stale-method removal) through the real
msgraph-sdk request adapter against the Graph emulator: each kind goes to its own collection,
a method already gone is False, and a password is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from shared.adapters.graph_directory import GraphDirectory
from shared.domain.errors import PermanentError
from shared.domain.passwordless import MethodKind, SignInMethod
from tests.fixtures.graph import EmulatedGraph, graph_session

T = TypeVar("T")

# The test seed's app holding UserAuthenticationMethod.ReadWrite.All; Tapstart's own test app
# (graph.client_id) only reads methods and writes TAPs.
METHODS_WRITER = "5e1d0b7a-0000-4000-8000-00000000a003"
AUTHENTICATOR_ID = "7f3c2a10-0000-4000-8000-00000000e001"
PHONE_ID = "7f3c2a10-0000-4000-8000-00000000e002"


def _with_directory(
    graph: EmulatedGraph, use: Callable[[GraphDirectory], Awaitable[T]], client_id: str
) -> T:
    async def run() -> T:
        async with graph_session(graph, client_id) as client:
            directory = GraphDirectory(client, graph.base_url)
            try:
                return await use(directory)
            finally:
                await directory.aclose()

    return asyncio.run(run())


@pytest.fixture
def returning(graph: EmulatedGraph) -> str:
    """A returning employee whose account still has an earlier employment's methods."""
    user: dict[str, Any] = graph.control.add_user(
        userPrincipalName="rita.rehire@contoso.example",
        displayName="Rita Rehire",
        employeeId="E7001",
        createdDateTime="now-800d",
        methods=[
            {"type": "microsoftAuthenticatorPush", "id": AUTHENTICATOR_ID,
             "registeredDateTime": "now-700d", "phoneSignInDateTime": "now-650d"},
            {"type": "mobilePhone", "id": PHONE_ID, "registeredDateTime": "now-700d"},
        ],
    )  # fmt: skip
    user_id: str = user["id"]
    return user_id


def _deletes(graph: EmulatedGraph) -> list[tuple[str, int]]:
    log = graph.control.requests()["requests"]
    return [(r["endpoint"], r["status"]) for r in log if r["method"] == "DELETE"]


def test_deletes_an_authenticator_and_a_phone_method(graph: EmulatedGraph, returning: str) -> None:
    async def remove(directory: GraphDirectory) -> tuple[Any, ...]:
        before = await directory.sign_in_methods(returning)
        stale = [m for m in before if m.kind is not MethodKind.PASSWORD]
        removed = [await directory.delete_method(returning, m) for m in stale]
        return before, removed, await directory.sign_in_methods(returning)

    graph.control.clear_requests()
    before, removed, after = _with_directory(graph, remove, METHODS_WRITER)

    assert {(m.kind, m.id) for m in before} >= {
        (MethodKind.AUTHENTICATOR, AUTHENTICATOR_ID),
        (MethodKind.PHONE, PHONE_ID),
    }
    assert removed == [True, True]
    assert [m.kind for m in after] == [MethodKind.PASSWORD]
    assert _deletes(graph) == [
        ("/users/{user}/authentication/microsoftAuthenticatorMethods/{method}", 204),
        ("/users/{user}/authentication/phoneMethods/{method}", 204),
    ]
    assert graph.control.user(returning)["methods"] == []


def test_an_already_deleted_method_is_false(graph: EmulatedGraph, returning: str) -> None:
    phone = SignInMethod(MethodKind.PHONE, PHONE_ID)

    async def twice(directory: GraphDirectory) -> tuple[bool, bool]:
        return await directory.delete_method(returning, phone), await directory.delete_method(
            returning, phone
        )

    assert _with_directory(graph, twice, METHODS_WRITER) == (True, False)


def test_a_method_looked_for_in_another_kinds_collection_is_not_deleted(
    graph: EmulatedGraph, returning: str
) -> None:
    misfiled = SignInMethod(MethodKind.FIDO2, AUTHENTICATOR_ID)

    async def delete(directory: GraphDirectory) -> bool:
        return await directory.delete_method(returning, misfiled)

    assert _with_directory(graph, delete, METHODS_WRITER) is False
    assert [m["id"] for m in graph.control.user(returning)["methods"]] == [
        AUTHENTICATOR_ID,
        PHONE_ID,
    ]


@pytest.mark.parametrize("kind", [MethodKind.PASSWORD, MethodKind.OTHER])
def test_a_password_is_refused_before_graph_is_asked(
    graph: EmulatedGraph, returning: str, kind: MethodKind
) -> None:
    method = SignInMethod(kind, "28c10230-6103-485e-b985-444c60001490")

    async def delete(directory: GraphDirectory) -> bool:
        return await directory.delete_method(returning, method)

    graph.control.clear_requests()
    with pytest.raises(ValueError, match=kind.value):
        _with_directory(graph, delete, METHODS_WRITER)
    assert _deletes(graph) == []


def test_an_app_without_the_write_permission_gets_a_permanent_error(
    graph: EmulatedGraph, returning: str
) -> None:
    phone = SignInMethod(MethodKind.PHONE, PHONE_ID)

    async def delete(directory: GraphDirectory) -> bool:
        return await directory.delete_method(returning, phone)

    with pytest.raises(PermanentError) as caught:
        _with_directory(graph, delete, graph.client_id)
    assert caught.value.reason == "graph_forbidden"
    assert "delete sign-in method" in str(caught.value)
    assert [m["id"] for m in graph.control.user(returning)["methods"]] == [
        AUTHENTICATOR_ID,
        PHONE_ID,
    ]
