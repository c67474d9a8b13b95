"""Deleting one registered authentication method (`DELETE /users/{id}/authentication/<collection>/
{methodId}`): 204 and gone from everything derived from it, 404 for an unknown id or the wrong
collection, 403 without a permission that writes authentication methods."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graph_testkit import (
    ENROLLED,
    JOINER,
    MANAGER,
    POLICY_ADMIN_APP,
    READONLY_APP,
    bearer,
    error_of,
)

from tests.fixtures.graph import EmulatedGraph, graph_call

REPORT = "reports/authenticationMethods/userRegistrationDetails"
NOT_FOUND = (
    "Resource '{}' does not exist or one of its queried reference-property objects are not present."
)

# collection, a control-API registration that lands in it, its @odata.type, its report name
CASES = [
    ("microsoftAuthenticatorMethods", "microsoftAuthenticatorPush",
     "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "microsoftAuthenticatorPush"),
    ("fido2Methods", "passKeyDeviceBound",
     "#microsoft.graph.fido2AuthenticationMethod", "passKeyDeviceBound"),
    ("windowsHelloForBusinessMethods", "windowsHelloForBusiness",
     "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod", "windowsHelloForBusiness"),
    ("phoneMethods", "mobilePhone", "#microsoft.graph.phoneAuthenticationMethod", "mobilePhone"),
    ("emailMethods", "email", "#microsoft.graph.emailAuthenticationMethod", "email"),
    ("softwareOathMethods", "softwareOneTimePasscode",
     "#microsoft.graph.softwareOathAuthenticationMethod", "softwareOneTimePasscode"),
]  # fmt: skip


@pytest.fixture
def writer(graph: EmulatedGraph) -> Iterator[httpx.Client]:
    """An app holding UserAuthenticationMethod.ReadWrite.All (the seed's policy-admin app)."""
    with _as(graph, POLICY_ADMIN_APP) as http:
        yield http


def _as(graph: EmulatedGraph, client_id: str) -> httpx.Client:
    return httpx.Client(
        base_url=graph.base_url + "/",
        headers={"Authorization": f"Bearer {bearer(graph, client_id)}"},
        timeout=30,
    )


def _methods(raw: httpx.Client, user: str) -> list[dict[str, Any]]:
    response = raw.get(f"users/{user}/authentication/methods")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["value"]
    return items


def _registered(raw: httpx.Client, user: str) -> list[str]:
    response = raw.get(f"{REPORT}/{user}")
    assert response.status_code == 200, response.text
    names: list[str] = response.json()["methodsRegistered"]
    return names


def _register(graph: EmulatedGraph, user: str, kind: str) -> str:
    method_id: str = graph.control.register(user, kind, via_tap=False)["methodId"]
    return method_id


@pytest.mark.parametrize(("collection", "kind", "odata_type", "report_name"), CASES)
def test_each_collection_deletes_its_method(
    graph: EmulatedGraph,
    raw: httpx.Client,
    writer: httpx.Client,
    collection: str,
    kind: str,
    odata_type: str,
    report_name: str,
) -> None:
    method_id = _register(graph, JOINER, kind)
    kept = _register(graph, JOINER, "email" if kind != "email" else "mobilePhone")
    listed = {m["id"]: m["@odata.type"] for m in _methods(raw, JOINER)}
    assert listed[method_id] == odata_type
    assert report_name in _registered(raw, JOINER)

    response = writer.delete(f"users/{JOINER}/authentication/{collection}/{method_id}")

    assert response.status_code == 204, response.text
    assert response.content == b""
    left = [m["id"] for m in _methods(raw, JOINER)]
    assert method_id not in left and kept in left
    assert report_name not in _registered(raw, JOINER)
    again = writer.delete(f"users/{JOINER}/authentication/{collection}/{method_id}")
    assert again.status_code == 404
    assert error_of(again)["code"] == "Request_ResourceNotFound"


def test_the_upn_addresses_the_user_too(graph: EmulatedGraph, writer: httpx.Client) -> None:
    method_id = _register(graph, JOINER, "mobilePhone")
    response = writer.delete(
        f"users/jamie.joiner%40contoso.example/authentication/phoneMethods/{method_id}"
    )
    assert response.status_code == 204
    assert all(m["id"] != method_id for m in _methods(writer, JOINER))


def test_deleting_a_phone_sign_in_authenticator_takes_its_device_along(
    raw: httpx.Client, writer: httpx.Client
) -> None:
    path = f"users/{ENROLLED}/authentication/microsoftAuthenticatorMethods"
    [authenticator] = raw.get(path, params={"$expand": "device"}).json()["value"]
    assert authenticator["device"]["@odata.type"] == "#microsoft.graph.device"
    assert "microsoftAuthenticatorPasswordless" in _registered(raw, ENROLLED)

    assert writer.delete(f"{path}/{authenticator['id']}").status_code == 204

    assert raw.get(path, params={"$expand": "device"}).json()["value"] == []
    assert raw.get(f"{path}/{authenticator['id']}").status_code == 404
    assert raw.get(f"{path}/{authenticator['id']}/device").status_code == 404
    row = raw.get(f"{REPORT}/{ENROLLED}").json()
    assert row["methodsRegistered"] == []
    assert row["isPasswordlessCapable"] is False and row["isMfaRegistered"] is False
    assert [m["@odata.type"] for m in _methods(raw, ENROLLED)] == [
        "#microsoft.graph.passwordAuthenticationMethod"
    ]


def test_an_sdk_delete_gets_204_and_the_audit_log_records_it(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    method_id = _register(graph, JOINER, "passKeyDeviceBound")

    def delete(client: Any) -> Any:
        fido2 = client.users.by_user_id(JOINER).authentication.fido2_methods
        return fido2.by_fido2_authentication_method_id(method_id).delete()

    assert graph_call(graph, delete, POLICY_ADMIN_APP) is None
    assert all(m["id"] != method_id for m in _methods(raw, JOINER))
    response = raw.get(
        "auditLogs/directoryAudits",
        params={"$filter": "activityDisplayName eq 'Admin deleted security info'"},
    )
    [event] = response.json()["value"]
    assert event["operationType"] == "Delete"
    assert event["loggedByService"] == "Authentication Methods"
    assert event["initiatedBy"]["app"]["appId"] == POLICY_ADMIN_APP
    assert event["targetResources"][0]["id"] == JOINER
    assert event["additionalDetails"] == [{"key": "Method", "value": "Passkey"}]


def test_unknown_ids_are_404(graph: EmulatedGraph, writer: httpx.Client) -> None:
    unknown = "00000000-0000-4000-8000-0000000000ff"
    response = writer.delete(f"users/{JOINER}/authentication/phoneMethods/{unknown}")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "Request_ResourceNotFound"
    assert error["message"] == NOT_FOUND.format(unknown)

    method_id = _register(graph, JOINER, "mobilePhone")
    nobody = writer.delete(f"users/{unknown}/authentication/phoneMethods/{method_id}")
    assert nobody.status_code == 404
    assert error_of(nobody)["message"] == NOT_FOUND.format(unknown)
    # Another user's method is not this user's to delete.
    other = writer.delete(f"users/{MANAGER}/authentication/phoneMethods/{method_id}")
    assert other.status_code == 404
    assert any(m["id"] == method_id for m in _methods(writer, JOINER))


@pytest.mark.parametrize(
    ("kind", "wrong"),
    [
        ("mobilePhone", "emailMethods"),
        ("microsoftAuthenticatorPush", "fido2Methods"),
        ("passKeyDeviceBoundAuthenticator", "microsoftAuthenticatorMethods"),
        ("email", "phoneMethods"),
        ("windowsHelloForBusiness", "fido2Methods"),
        ("softwareOneTimePasscode", "temporaryAccessPassMethods"),
    ],
)
def test_the_wrong_collection_is_404_and_deletes_nothing(
    graph: EmulatedGraph, writer: httpx.Client, kind: str, wrong: str
) -> None:
    method_id = _register(graph, JOINER, kind)
    response = writer.delete(f"users/{JOINER}/authentication/{wrong}/{method_id}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "Request_ResourceNotFound"
    assert any(m["id"] == method_id for m in _methods(writer, JOINER))


def test_the_password_has_no_collection_to_delete_it_from(writer: httpx.Client) -> None:
    [password] = [
        m
        for m in _methods(writer, JOINER)
        if m["@odata.type"] == "#microsoft.graph.passwordAuthenticationMethod"
    ]
    for collection, *_ in CASES:
        response = writer.delete(f"users/{JOINER}/authentication/{collection}/{password['id']}")
        assert response.status_code == 404
    assert password in _methods(writer, JOINER)


@pytest.mark.usefixtures("tap_for_everyone")
def test_the_tap_collection_keeps_its_own_delete(
    graph: EmulatedGraph, writer: httpx.Client
) -> None:
    created = writer.post(
        f"users/{JOINER}/authentication/temporaryAccessPassMethods", json={"lifetimeInMinutes": 60}
    )
    assert created.status_code == 201, created.text
    tap_id = created.json()["id"]
    response = writer.delete(f"users/{JOINER}/authentication/temporaryAccessPassMethods/{tap_id}")
    assert response.status_code == 204
    assert graph.control.taps() == []


@pytest.mark.parametrize(("collection", "kind", "odata_type", "report_name"), CASES)
def test_without_a_write_permission_it_is_403_and_nothing_changes(
    graph: EmulatedGraph, collection: str, kind: str, odata_type: str, report_name: str
) -> None:
    method_id = _register(graph, JOINER, kind)
    path = f"users/{JOINER}/authentication/{collection}/{method_id}"
    # Tapstart's own app reads methods and writes TAPs, but may not delete other methods.
    for client_id in (graph.client_id, READONLY_APP):
        with _as(graph, client_id) as http:
            response = http.delete(path)
        assert response.status_code == 403, client_id
        error = error_of(response)
        assert error["code"] == "Authorization_RequestDenied"
        assert error["message"] == "Insufficient privileges to complete the operation."
    with _as(graph, graph.client_id) as http:
        assert any(m["id"] == method_id for m in _methods(http, JOINER))
