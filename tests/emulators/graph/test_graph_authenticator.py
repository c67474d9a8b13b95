"""Microsoft Authenticator: push notifications versus passwordless phone sign-in, as Graph tells
them apart (the `device` relationship, null unless the phone is registered for phone sign-in,
and `createdDateTime`, null in the same case), and the control API that moves a joiner along."""

from __future__ import annotations

import json
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
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.device import Device
from msgraph.generated.models.microsoft_authenticator_authentication_method import (
    MicrosoftAuthenticatorAuthenticationMethod,
)
from msgraph.generated.users.item.authentication.microsoft_authenticator_methods.microsoft_authenticator_methods_request_builder import (
    MicrosoftAuthenticatorMethodsRequestBuilder as Methods,
)

from tests.fixtures.graph import ControlError, EmulatedGraph, graph_call

PATH = "authentication/microsoftAuthenticatorMethods"
REPORT = "reports/authenticationMethods/userRegistrationDetails"
DEVICE_KEYS = {
    "@odata.type", "id", "deviceId", "displayName", "operatingSystem", "operatingSystemVersion",
    "accountEnabled", "registrationDateTime", "trustType", "profileType",
}  # fmt: skip


def _list(raw: httpx.Client, user: str, **params: str) -> list[dict[str, Any]]:
    response = raw.get(f"users/{user}/{PATH}", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["value"]
    return items


def _as(graph: EmulatedGraph, client_id: str) -> httpx.Client:
    return httpx.Client(
        base_url=graph.base_url + "/",
        headers={"Authorization": f"Bearer {bearer(graph, client_id)}"},
        timeout=30,
    )


def _control(graph: EmulatedGraph, user: str, action: str, body: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = graph.control.call("POST", f"users/{user}/{action}", body or {})
    return result


def _refused(graph: EmulatedGraph, user: str, action: str, body: Any = None) -> ControlError:
    with pytest.raises(ControlError) as caught:
        _control(graph, user, action, body)
    return caught.value


def _audits(raw: httpx.Client, flt: str) -> list[dict[str, Any]]:
    response = raw.get("auditLogs/directoryAudits", params={"$filter": flt})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["value"]
    return rows


def test_plain_list_has_no_device_and_push_only_has_no_created_time(raw: httpx.Client) -> None:
    [push] = _list(raw, MANAGER)  # seeded: push notifications only
    assert push["@odata.type"] == "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"
    assert "device" not in push
    assert push["createdDateTime"] is None
    [phone] = _list(raw, ENROLLED)  # seeded: passwordless phone sign-in
    assert "device" not in phone
    assert phone["createdDateTime"].endswith("Z")
    # The general methods list says the same about createdDateTime.
    methods = raw.get(f"users/{MANAGER}/authentication/methods").json()["value"]
    [entry] = [m for m in methods if "Authenticator" in m["@odata.type"]]
    assert entry["id"] == push["id"] and entry["createdDateTime"] is None
    assert _list(raw, JOINER) == []  # no Authenticator yet: empty, not an error


def test_expand_device_is_null_for_push_and_a_device_for_phone_sign_in(raw: httpx.Client) -> None:
    [push] = _list(raw, MANAGER, **{"$expand": "device"})
    assert "device" in push and push["device"] is None
    [phone] = _list(raw, ENROLLED, **{"$expand": "device"})
    device = phone["device"]
    assert set(device) == DEVICE_KEYS
    assert device["@odata.type"] == "#microsoft.graph.device"
    assert device["accountEnabled"] is True and device["operatingSystem"] == "iOS"
    assert device["id"] != device["deviceId"]
    response = raw.get(f"users/{ENROLLED}/{PATH}", params={"$expand": "device"})
    assert response.json()["@odata.context"].endswith("/microsoftAuthenticatorMethods(device())")


def test_expand_device_with_select(raw: httpx.Client) -> None:
    [phone] = _list(raw, ENROLLED, **{"$expand": "device($select=id,displayName)"})
    assert set(phone["device"]) == {"@odata.type", "id", "displayName"}
    response = raw.get(
        f"users/{ENROLLED}/{PATH}", params={"$expand": "device($select=favouriteColour)"}
    )
    assert response.status_code == 400 and "favouriteColour" in error_of(response)["message"]


def test_unknown_expand_is_400(raw: httpx.Client) -> None:
    response = raw.get(f"users/{ENROLLED}/{PATH}", params={"$expand": "owner"})
    assert response.status_code == 400
    assert "'owner'" in error_of(response)["message"]


def test_expanding_device_needs_a_device_read_permission(graph: EmulatedGraph) -> None:
    # The policy-admin app can read authentication methods but holds no device permission.
    with _as(graph, POLICY_ADMIN_APP) as http:
        plain = http.get(f"users/{ENROLLED}/{PATH}")
        assert plain.status_code == 200 and "device" not in plain.json()["value"][0]
        expanded = http.get(f"users/{ENROLLED}/{PATH}", params={"$expand": "device"})
        assert expanded.status_code == 403
        error = error_of(expanded)
        assert error["code"] == "Authorization_RequestDenied"
        assert error["message"] == "Insufficient privileges to complete the operation."
        one = http.get(f"users/{ENROLLED}/{PATH}/{plain.json()['value'][0]['id']}/device")
        assert one.status_code == 403
    with _as(graph, READONLY_APP) as http:  # no authentication-methods permission at all
        assert http.get(f"users/{ENROLLED}/{PATH}").status_code == 403


def test_get_one_and_its_device_segment(raw: httpx.Client) -> None:
    [push] = _list(raw, MANAGER)
    [phone] = _list(raw, ENROLLED)
    one = raw.get(f"users/{ENROLLED}/{PATH}/{phone['id']}", params={"$expand": "device"})
    assert one.status_code == 200
    body = one.json()
    assert body["@odata.context"].endswith("(device())/$entity")
    assert body["id"] == phone["id"] and body["device"]["@odata.type"] == "#microsoft.graph.device"
    assert "device" not in raw.get(f"users/{ENROLLED}/{PATH}/{phone['id']}").json()
    device = raw.get(f"users/{ENROLLED}/{PATH}/{phone['id']}/device")
    assert device.status_code == 200 and device.json()["id"] == body["device"]["id"]
    assert raw.get(f"users/{MANAGER}/{PATH}/{push['id']}/device").status_code == 404
    missing = raw.get(f"users/{ENROLLED}/{PATH}/00000000-0000-4000-8000-00000000dead")
    assert missing.status_code == 404 and error_of(missing)["code"] == "Request_ResourceNotFound"
    # Another user's method is not this user's.
    assert raw.get(f"users/{MANAGER}/{PATH}/{phone['id']}").status_code == 404


def test_the_sdk_reads_the_device_as_a_typed_model(graph: EmulatedGraph) -> None:
    qp = Methods.MicrosoftAuthenticatorMethodsRequestBuilderGetQueryParameters(expand=["device"])
    config = RequestConfiguration(query_parameters=qp)
    page = graph_call(
        graph,
        lambda c: c.users.by_user_id(ENROLLED).authentication.microsoft_authenticator_methods.get(
            config
        ),
    )
    [method] = page.value
    assert isinstance(method, MicrosoftAuthenticatorAuthenticationMethod)
    assert isinstance(method.device, Device)
    assert method.device.operating_system == "iOS" and method.device.account_enabled is True
    assert method.additional_data == {} and method.device.additional_data == {}
    push_page = graph_call(
        graph,
        lambda c: c.users.by_user_id(MANAGER).authentication.microsoft_authenticator_methods.get(
            config
        ),
    )
    assert push_page.value[0].device is None and push_page.value[0].created_date_time is None


def test_enable_phone_sign_in_later(graph: EmulatedGraph, raw: httpx.Client) -> None:
    graph.control.set_report_lag(3600)
    registered = graph.control.register(JOINER, "microsoftAuthenticatorPush", via_tap=False)
    [push] = _list(raw, JOINER, **{"$expand": "device"})
    assert push["id"] == registered["methodId"] and push["device"] is None
    graph.control.advance_clock(3601)
    assert raw.get(f"{REPORT}/{JOINER}").json()["methodsRegistered"] == [
        "microsoftAuthenticatorPush"
    ]

    enabled = _control(graph, JOINER, "enable-phone-sign-in")
    assert enabled["methodId"] == push["id"] and enabled["alreadyEnabled"] is False
    [phone] = _list(raw, JOINER, **{"$expand": "device"})
    assert phone["device"]["id"] == enabled["device"]["id"]
    assert phone["createdDateTime"] == enabled["phoneSignInDateTime"]
    # The report follows after its lag, listing phone sign-in next to push.
    row = raw.get(f"{REPORT}/{JOINER}").json()
    assert row["methodsRegistered"] == ["microsoftAuthenticatorPush"]
    assert row["isPasswordlessCapable"] is False
    graph.control.advance_clock(3601)
    row = raw.get(f"{REPORT}/{JOINER}").json()
    assert row["methodsRegistered"] == [
        "microsoftAuthenticatorPush",
        "microsoftAuthenticatorPasswordless",
    ]
    assert row["isPasswordlessCapable"] is True
    assert row["lastUpdatedDateTime"] == enabled["phoneSignInDateTime"]
    [event] = _audits(
        raw, "activityDisplayName eq 'User registered security info' and result eq 'success'"
    )[:1]
    assert event["additionalDetails"][0] == {
        "key": "Method",
        "value": "Microsoft Authenticator passwordless phone sign-in",
    }
    assert event["initiatedBy"]["user"]["id"] == JOINER


def test_enable_phone_sign_in_is_idempotent_and_picks_the_method(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    first = graph.control.register(JOINER, "microsoftAuthenticatorPush", via_tap=False)
    second = graph.control.register(JOINER, "microsoftAuthenticatorPush", via_tap=False)
    enabled = _control(graph, JOINER, "enable-phone-sign-in", {"methodId": second["methodId"]})
    assert enabled["methodId"] == second["methodId"]
    devices = {m["id"]: m["device"] for m in _list(raw, JOINER, **{"$expand": "device"})}
    assert devices[first["methodId"]] is None and devices[second["methodId"]] is not None
    audits = len(raw.get("auditLogs/directoryAudits").json()["value"])
    again = _control(graph, JOINER, "enable-phone-sign-in", {"methodId": second["methodId"]})
    assert again["alreadyEnabled"] is True and again["device"] == enabled["device"]
    assert len(raw.get("auditLogs/directoryAudits").json()["value"]) == audits
    # Without methodId the push-only registration is the one that changes.
    third = _control(graph, JOINER, "enable-phone-sign-in")
    assert third["methodId"] == first["methodId"] and third["alreadyEnabled"] is False


def test_enable_phone_sign_in_without_authenticator(graph: EmulatedGraph) -> None:
    refused = _refused(graph, JOINER, "enable-phone-sign-in")
    assert refused.status == 409 and json.loads(refused.body)["error"]["code"] == "noAuthenticator"
    graph.control.register(JOINER, "mobilePhone", via_tap=False)
    assert _refused(graph, JOINER, "enable-phone-sign-in").status == 409
    graph.control.register(JOINER, "microsoftAuthenticatorPush", via_tap=False)
    unknown = _refused(graph, JOINER, "enable-phone-sign-in", {"methodId": "nope"})
    assert unknown.status == 404
    assert _refused(graph, "ghost@contoso.example", "enable-phone-sign-in").status == 404


def test_a_device_registered_in_another_tenant(graph: EmulatedGraph, raw: httpx.Client) -> None:
    registered = _control(
        graph,
        JOINER,
        "register",
        {"method": "microsoftAuthenticatorPush", "deviceRegisteredElsewhere": True},
    )
    refused = _refused(graph, JOINER, "enable-phone-sign-in")
    assert refused.status == 409
    error = json.loads(refused.body)["error"]
    assert error["code"] == "deviceRegisteredToAnotherTenant"
    [push] = _list(raw, JOINER, **{"$expand": "device"})
    assert push["id"] == registered["methodId"] and push["device"] is None
    [failure] = _audits(raw, "result eq 'failure'")
    assert failure["activityDisplayName"] == "User registered security info"
    assert "another tenant" in failure["resultReason"]
    assert failure["resultReason"] == error["message"]
    # Registering phone sign-in at once on such a phone fails the same way, registering nothing.
    direct = _refused(
        graph,
        JOINER,
        "register",
        {"method": "microsoftAuthenticatorPasswordless", "deviceRegisteredElsewhere": True},
    )
    assert json.loads(direct.body)["error"]["code"] == "deviceRegisteredToAnotherTenant"
    assert len(_list(raw, JOINER)) == 1
    assert len(_audits(raw, "result eq 'failure'")) == 2


def test_registering_phone_sign_in_directly_has_the_device_at_once(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    registered = _control(
        graph,
        JOINER,
        "register",
        {"method": "microsoftAuthenticatorPasswordless", "platform": "android",
         "displayName": "Jamie's Pixel"},
    )  # fmt: skip
    [phone] = _list(raw, JOINER, **{"$expand": "device"})
    assert phone["createdDateTime"] == registered["registeredDateTime"]
    assert phone["device"]["operatingSystem"] == "Android"
    assert phone["device"]["displayName"] == "Jamie's Pixel"
    assert raw.get(f"{REPORT}/{JOINER}").json()["methodsRegistered"] == [
        "microsoftAuthenticatorPush",
        "microsoftAuthenticatorPasswordless",
    ]
    assert _control(graph, JOINER, "enable-phone-sign-in")["alreadyEnabled"] is True


def test_seeded_phone_sign_in_enabled_later(graph: EmulatedGraph, raw: httpx.Client) -> None:
    seed = json.loads(json.dumps(graph.seed))
    joiner = next(u for u in seed["users"] if u["id"] == JOINER)
    joiner["methods"] = [
        {"type": "microsoftAuthenticatorPush", "registeredDateTime": "now-5d",
         "phoneSignInDateTime": "now-1d"},
        {"type": "microsoftAuthenticatorPush", "registeredDateTime": "now-4d",
         "deviceRegisteredElsewhere": True},
    ]  # fmt: skip
    graph.control.reset(seed)
    phone, elsewhere = _list(raw, JOINER, **{"$expand": "device"})
    assert phone["device"] is not None and phone["createdDateTime"] is not None
    assert elsewhere["device"] is None
    assert (
        _refused(graph, JOINER, "enable-phone-sign-in", {"methodId": elsewhere["id"]}).status == 409
    )


def test_batch_items_are_checked_for_the_device_permission(graph: EmulatedGraph) -> None:
    url = f"/users/{ENROLLED}/{PATH}"
    requests = [
        {"id": "plain", "method": "GET", "url": url},
        {"id": "expanded", "method": "GET", "url": url + "?$expand=device"},
    ]
    for client_id, expanded_status in ((graph.client_id, 200), (POLICY_ADMIN_APP, 403)):
        with _as(graph, client_id) as http:
            response = http.post("$batch", json={"requests": requests})
        assert response.status_code == 200
        statuses = {r["id"]: r["status"] for r in response.json()["responses"]}
        assert statuses == {"plain": 200, "expanded": expanded_status}
