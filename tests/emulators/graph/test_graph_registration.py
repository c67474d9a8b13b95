"""A joiner's registrations beyond Authenticator: passkeys with real AAGUIDs and the Passkey
(FIDO2) policy's say, signing in with the TAP and registering nothing, failed registrations in the
audit log (read as the app reads the last day), and deleting the TAP."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from graph_testkit import EXCLUDED_GROUP, JOINER, POLICY_ADMIN_APP, bearer, error_of
from msgraph.generated.models.fido2_authentication_method_configuration import (
    Fido2AuthenticationMethodConfiguration,
)

from tests.fixtures.graph import ControlError, EmulatedGraph, graph_call

# TAP mechanics on a policy that covers every user; the targeting tests set their own targets.
pytestmark = pytest.mark.usefixtures("tap_for_everyone")

AUTHENTICATOR_IOS = "90a3ccdf-635c-4729-a248-9b709135078f"
AUTHENTICATOR_ANDROID = "de1e552d-db1d-4423-a619-566b625cdc84"
YUBIKEY_5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
WINDOWS_HELLO = "08987058-cadc-4b81-b6e1-30de50dcbe96"
ICLOUD = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
GOOGLE = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
REPORT = "reports/authenticationMethods/userRegistrationDetails"
TAPS = f"users/{JOINER}/authentication/temporaryAccessPassMethods"


def _register(graph: EmulatedGraph, user: str = JOINER, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = graph.control.call("POST", f"users/{user}/register", body)
    return result


def _refused(graph: EmulatedGraph, action: str, body: Any, user: str = JOINER) -> ControlError:
    with pytest.raises(ControlError) as caught:
        graph.control.call("POST", f"users/{user}/{action}", body)
    return caught.value


def _code(error: ControlError) -> str:
    code: str = json.loads(error.body)["error"]["code"]
    return code


def _fido2(raw: httpx.Client, user: str = JOINER) -> list[dict[str, Any]]:
    methods = raw.get(f"users/{user}/authentication/methods").json()["value"]
    return [m for m in methods if m["@odata.type"] == "#microsoft.graph.fido2AuthenticationMethod"]


def _kinds(raw: httpx.Client, user: str = JOINER) -> list[str]:
    kinds: list[str] = raw.get(f"{REPORT}/{user}").json()["methodsRegistered"]
    return kinds


def _reseed(graph: EmulatedGraph, policy: str, **fields: Any) -> None:
    seed = copy.deepcopy(graph.seed)
    seed["policies"][policy].update(fields)
    graph.control.reset(seed)


def _audits(raw: httpx.Client, flt: str | None = None) -> list[dict[str, Any]]:
    params = {"$filter": flt} if flt else {}
    response = raw.get("auditLogs/directoryAudits", params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["value"]
    return rows


def _create_tap(raw: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = raw.post(TAPS, json={"lifetimeInMinutes": 60, **fields})
    assert response.status_code == 201, response.text
    tap: dict[str, Any] = response.json()
    return tap


# --- Passkeys and their AAGUIDs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "platform", "aaguid", "model"),
    [
        ("passKeyDeviceBoundAuthenticator", None, AUTHENTICATOR_IOS, "Microsoft Authenticator - iOS"),
        ("passKeyDeviceBoundAuthenticator", "android", AUTHENTICATOR_ANDROID,
         "Microsoft Authenticator - Android"),
        ("fido2SecurityKey", None, YUBIKEY_5, "YubiKey 5 Series"),
        ("passKeyDeviceBound", None, YUBIKEY_5, "YubiKey 5 Series"),
        ("fido2", None, YUBIKEY_5, "YubiKey 5 Series"),
        ("passKeyDeviceBoundWindowsHello", None, WINDOWS_HELLO,
         "Windows Hello Hardware Authenticator"),
        ("passKeySynced", None, ICLOUD, "iCloud Keychain"),
        ("passKeySynced", "android", GOOGLE, "Google Password Manager"),
    ],
)  # fmt: skip
def test_each_passkey_kind_has_its_own_aaguid(
    graph: EmulatedGraph,
    raw: httpx.Client,
    kind: str,
    platform: str | None,
    aaguid: str,
    model: str,
) -> None:
    body: dict[str, Any] = {"method": kind}
    if platform:
        body["platform"] = platform
    registered = _register(graph, **body)
    assert registered["method"] == kind and registered["aaGuid"] == aaguid
    [key] = _fido2(raw)
    assert (key["aaGuid"], key["model"]) == (aaguid, model)
    assert _kinds(raw) == [kind]


def test_the_report_name_follows_an_explicit_aaguid(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    # A "device-bound passkey" whose AAGUID is Authenticator's is a passkey in Authenticator.
    registered = _register(graph, method="passKeyDeviceBound", aaGuid=AUTHENTICATOR_ANDROID.upper())
    assert registered["method"] == "passKeyDeviceBoundAuthenticator"
    assert registered["aaGuid"] == AUTHENTICATOR_ANDROID
    # ...and "Authenticator" with a security key's AAGUID is just a device-bound passkey.
    _register(graph, method="passKeyDeviceBoundAuthenticator", aaGuid=YUBIKEY_5)
    unknown = "11111111-2222-4333-8444-555555555555"
    _register(graph, method="fido2SecurityKey", aaGuid=unknown)
    keys = _fido2(raw)
    assert [k["aaGuid"] for k in keys] == [AUTHENTICATOR_ANDROID, YUBIKEY_5, unknown]
    assert keys[2]["model"] is None  # the emulator does not know that authenticator
    assert _kinds(raw) == [
        "passKeyDeviceBoundAuthenticator",
        "passKeyDeviceBound",
        "fido2SecurityKey",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"method": "passKeyDeviceBound", "aaGuid": "not-a-guid"},
        {"method": "passKeyDeviceBound", "aaGuid": "90a3ccdf635c4729a2489b709135078f"},
        {"method": "microsoftAuthenticatorPush", "aaGuid": AUTHENTICATOR_IOS},
        {"method": "passKeySynced", "platform": "windows-phone"},
        {"method": "mobilePhone", "deviceRegisteredElsewhere": True},
        {"method": "passKeyDeviceBound", "fail": ""},
    ],
)
def test_invalid_register_bodies_are_400(
    graph: EmulatedGraph, raw: httpx.Client, body: Any
) -> None:
    error = _refused(graph, "register", body)
    assert error.status == 400
    assert _fido2(raw) == [] and _audits(raw) == []


def test_seeded_fido2_policy_is_typed_and_realistic(graph: EmulatedGraph) -> None:
    policy = graph_call(
        graph,
        lambda c: (
            c.policies.authentication_methods_policy.authentication_method_configurations.by_authentication_method_configuration_id(
                "Fido2"
            ).get()
        ),
    )
    assert isinstance(policy, Fido2AuthenticationMethodConfiguration)
    assert policy.is_self_service_registration_allowed is True
    assert policy.is_attestation_enforced is False
    assert policy.key_restrictions is not None and policy.key_restrictions.is_enforced is False
    assert policy.key_restrictions.additional_data == {}  # Graph's own field names only
    assert policy.include_targets[0].id == "all_users"
    assert policy.additional_data.keys() <= {"@odata.context"}


def _restrict(graph: EmulatedGraph, enforcement: str, *aaguids: str, enforced: bool = True) -> None:
    _reseed(
        graph,
        "Fido2",
        keyRestrictions={
            "isEnforced": enforced,
            "enforcementType": enforcement,
            "aaGuids": list(aaguids),
        },
    )


def test_blocked_aaguid_is_refused_and_audited(graph: EmulatedGraph, raw: httpx.Client) -> None:
    _restrict(graph, "block", AUTHENTICATOR_IOS.upper())  # listed in any case
    error = _refused(graph, "register", {"method": "passKeyDeviceBoundAuthenticator"})
    assert (error.status, _code(error)) == (409, "aaGuidNotAllowed")
    assert _fido2(raw) == []
    [failure] = _audits(raw, "result eq 'failure'")
    assert failure["activityDisplayName"] == "User registered security info"
    assert AUTHENTICATOR_IOS in failure["resultReason"]
    assert {"key": "AAGuid", "value": AUTHENTICATOR_IOS} in failure["additionalDetails"]
    # Android's AAGUID is not on the block list.
    _register(graph, method="passKeyDeviceBoundAuthenticator", platform="android")
    assert [k["aaGuid"] for k in _fido2(raw)] == [AUTHENTICATOR_ANDROID]


def test_allow_list_lets_only_listed_aaguids_through(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    _restrict(graph, "allow", YUBIKEY_5)
    assert _code(_refused(graph, "register", {"method": "passKeySynced"})) == "aaGuidNotAllowed"
    _register(graph, method="fido2SecurityKey")
    assert [k["aaGuid"] for k in _fido2(raw)] == [YUBIKEY_5]


def test_restrictions_not_enforced_let_everything_through(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    _restrict(graph, "allow", YUBIKEY_5, enforced=False)
    _register(graph, method="passKeySynced")
    assert len(_fido2(raw)) == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"state": "disabled"}, "methodDisabledByPolicy"),
        ({"excludeTargets": [{"targetType": "group", "id": EXCLUDED_GROUP}]}, "methodDisabledByPolicy"),
        ({"includeTargets": [{"targetType": "group", "id": "20000000-0000-4000-8000-000000000001"}]},
         "methodDisabledByPolicy"),
        ({"isSelfServiceRegistrationAllowed": False}, "selfServiceRegistrationNotAllowed"),
    ],
)  # fmt: skip
def test_the_fido2_policy_refuses_passkeys_only(
    graph: EmulatedGraph, raw: httpx.Client, fields: dict[str, Any], code: str
) -> None:
    _reseed(graph, "Fido2", **fields)
    user = "xena.excluded@contoso.example"  # in the TAP Excluded group, not a passwordless user
    error = _refused(graph, "register", {"method": "passKeyDeviceBound"}, user=user)
    assert (error.status, _code(error)) == (409, code)
    assert _fido2(raw, user) == []
    assert len(_audits(raw, "result eq 'failure'")) == 1
    _register(graph, user, method="microsoftAuthenticatorPush")  # not the FIDO2 policy's business


def test_a_policy_patch_takes_effect_on_the_next_registration(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    _register(graph, method="passKeyDeviceBoundAuthenticator")
    change = {
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "keyRestrictions": {"isEnforced": True, "enforcementType": "block",
                            "aaGuids": [AUTHENTICATOR_IOS, AUTHENTICATOR_ANDROID]},
    }  # fmt: skip
    with httpx.Client(
        base_url=graph.base_url + "/",
        headers={"Authorization": f"Bearer {bearer(graph, POLICY_ADMIN_APP)}"},
        timeout=30,
    ) as admin:
        path = "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2"
        assert admin.patch(path, json=change).status_code == 204
    error = _refused(graph, "register", {"method": "passKeyDeviceBoundAuthenticator"})
    assert _code(error) == "aaGuidNotAllowed"
    _register(graph, method="passKeyDeviceBound")  # a security key is still fine
    assert [k["aaGuid"] for k in _fido2(raw)] == [AUTHENTICATOR_IOS, YUBIKEY_5]


def test_a_tenant_without_a_fido2_configuration_refuses_nothing(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    seed = copy.deepcopy(graph.seed)
    del seed["policies"]["Fido2"]
    graph.control.reset(seed)  # a custom seed without the policy
    _register(graph, method="passKeyDeviceBoundAuthenticator")
    assert len(_fido2(raw)) == 1


# --- TAP used to sign in, nothing registered --------------------------------------------------


def test_sign_in_with_a_one_time_tap_uses_it_up(graph: EmulatedGraph, raw: httpx.Client) -> None:
    tap = _create_tap(raw)
    assert graph.control.taps()[0]["usedDateTime"] is None
    result = graph.control.call(
        "POST",
        f"users/{JOINER}/sign-in-with-tap",
        {"temporaryAccessPass": tap["temporaryAccessPass"]},
    )
    assert result["tapConsumed"] is True and result["temporaryAccessPassId"] == tap["id"]
    assert (result["isUsable"], result["methodUsabilityReason"]) == (False, "OneTimeUsed")
    [listed] = raw.get(TAPS).json()["value"]
    assert (listed["isUsable"], listed["methodUsabilityReason"]) == (False, "OneTimeUsed")
    assert "usedDateTime" not in listed  # Graph has no such property
    [control] = graph.control.taps()
    assert control["usedDateTime"] == result["usedDateTime"] and control["used"] is True
    methods = raw.get(f"users/{JOINER}/authentication/methods").json()["value"]
    assert [m["@odata.type"].split(".")[-1] for m in methods] == [
        "passwordAuthenticationMethod",
        "temporaryAccessPassAuthenticationMethod",
    ]  # signed in, registered nothing
    assert _kinds(raw) == []
    again = _refused(graph, "sign-in-with-tap", {})
    assert (again.status, _code(again)) == (409, "temporaryAccessPassNotUsable")
    assert "OneTimeUsed" in again.body


def test_sign_in_with_a_multi_use_tap_keeps_it_usable(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    _reseed(graph, "TemporaryAccessPass", isUsableOnce=False)
    tap = _create_tap(raw, isUsableOnce=False)
    first = graph.control.call("POST", f"users/{JOINER}/sign-in-with-tap", {})
    assert first["tapConsumed"] is False and first["isUsable"] is True
    graph.control.advance_clock(60)
    second = graph.control.call(
        "POST",
        f"users/{JOINER}/sign-in-with-tap",
        {"temporaryAccessPass": tap["temporaryAccessPass"]},
    )
    assert second["usedDateTime"] > first["usedDateTime"]
    [control] = graph.control.taps()
    assert control["isUsable"] is True and control["usedDateTime"] == second["usedDateTime"]
    # Registering with it later still works, and records that use too.
    assert graph.control.register(JOINER, "microsoftAuthenticatorPush")["tapConsumed"] is False
    assert graph.control.taps()[0]["usedDateTime"] > second["usedDateTime"]


def test_sign_in_with_tap_validates_like_register(graph: EmulatedGraph, raw: httpx.Client) -> None:
    none = _refused(graph, "sign-in-with-tap", {})
    assert (none.status, _code(none)) == (409, "noTemporaryAccessPass")
    _create_tap(raw)
    wrong = _refused(graph, "sign-in-with-tap", {"temporaryAccessPass": "wrong-one"})
    assert (wrong.status, _code(wrong)) == (401, "temporaryAccessPassMismatch")
    assert graph.control.taps()[0]["usedDateTime"] is None  # a wrong passcode is no use
    graph.control.advance_clock(61 * 60)
    expired = _refused(graph, "sign-in-with-tap", {})
    assert expired.status == 409 and "Expired" in expired.body
    assert _refused(graph, "sign-in-with-tap", {}, user="ghost@contoso.example").status == 404


# --- Failed registrations and the audit log ---------------------------------------------------


def test_a_failed_registration_is_audited_and_registers_nothing(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    tap = _create_tap(raw)
    reason = "Blocked by Conditional Access policy"
    error = _refused(
        graph,
        "register",
        {"method": "microsoftAuthenticatorPush", "viaTap": True, "fail": reason,
         "temporaryAccessPass": tap["temporaryAccessPass"]},
    )  # fmt: skip
    assert (error.status, _code(error)) == (409, "registrationFailed")
    body = json.loads(error.body)
    assert body["error"]["message"] == reason
    assert body["tapConsumed"] is True  # the sign-in with the one-time pass happened
    assert graph.control.taps()[0]["methodUsabilityReason"] == "OneTimeUsed"
    assert (
        raw.get(f"users/{JOINER}/authentication/microsoftAuthenticatorMethods").json()["value"]
        == []
    )
    failure, created = _audits(raw)  # newest first: the failure, then the TAP's creation
    assert created["activityDisplayName"] == "Admin registered security info"
    assert failure["activityDisplayName"] == "User registered security info"
    assert (failure["result"], failure["resultReason"]) == ("failure", reason)
    assert failure["loggedByService"] == "Authentication Methods"
    assert failure["initiatedBy"]["user"]["id"] == JOINER
    assert {"key": "SignInWithTemporaryAccessPass", "value": "true"} in failure["additionalDetails"]


def test_the_apps_audit_query_for_the_last_day(graph: EmulatedGraph, raw: httpx.Client) -> None:
    graph.control.register(JOINER, "microsoftAuthenticatorPush", via_tap=False)
    _refused(graph, "register", {"method": "passKeyDeviceBound", "fail": "User canceled"})
    graph.control.call(
        "POST", "users/maria.manager@contoso.example/register", {"method": "mobilePhone"}
    )
    graph.control.advance_clock(2 * 86400)  # those three are now two days old
    graph.control.register(JOINER, "passKeySynced", via_tap=False)
    _refused(
        graph,
        "register",
        {"method": "passKeySynced", "fail": "Blocked by Conditional Access policy"},
    )
    now = datetime.now(UTC) + timedelta(
        seconds=float(graph.control.call("GET", "clock")["offsetSeconds"])
    )
    since = (now - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expr = f"loggedByService eq 'Authentication Methods' and activityDateTime ge {since}"
    # Exactly as the app builds it: percent-encoded filter, $select, $top.
    response = raw.get(
        f"auditLogs/directoryAudits?$filter={quote(expr)}"
        "&$select=activityDisplayName,activityDateTime,result,resultReason,additionalDetails"
        "&$top=500"
    )
    assert response.status_code == 200, response.text
    rows = response.json()["value"]
    assert [(r["result"], r["resultReason"]) for r in rows] == [
        ("failure", "Blocked by Conditional Access policy"),
        ("success", ""),
    ]  # newest first; the two-day-old ones are out
    assert set(rows[0]) == {
        "activityDisplayName", "activityDateTime", "result", "resultReason", "additionalDetails",
    }  # fmt: skip
    failures = _audits(raw, f"{expr} and result eq 'failure'")
    assert [f["resultReason"] for f in failures] == ["Blocked by Conditional Access policy"]
    older = _audits(raw, "result eq 'failure' and loggedByService eq 'Authentication Methods'")
    assert [f["resultReason"] for f in older] == [
        "Blocked by Conditional Access policy",
        "User canceled",
    ]


# --- Deleting the TAP -------------------------------------------------------------------------


def test_delete_tap_removes_it_and_audits(graph: EmulatedGraph, raw: httpx.Client) -> None:
    tap = _create_tap(raw)
    deleted = raw.delete(f"{TAPS}/{tap['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    methods = raw.get(f"users/{JOINER}/authentication/methods").json()["value"]
    assert tap["id"] not in {m["id"] for m in methods}
    assert not any("temporaryAccessPass" in m["@odata.type"] for m in methods)
    assert graph.control.taps() == []
    [event] = _audits(raw, "activityDisplayName eq 'Admin deleted security info'")
    assert event["operationType"] == "Delete"
    assert event["loggedByService"] == "Authentication Methods"
    assert event["category"] == "UserManagement"
    assert event["initiatedBy"]["app"]["appId"] == graph.client_id
    assert event["targetResources"][0]["id"] == JOINER
    assert {"key": "Method", "value": "Temporary Access Pass"} in event["additionalDetails"]
    again = raw.delete(f"{TAPS}/{tap['id']}")
    assert again.status_code == 404 and error_of(again)["code"] == "Request_ResourceNotFound"


def test_delete_unknown_tap_is_404_and_keeps_the_real_one(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    tap = _create_tap(raw)
    response = raw.delete(f"{TAPS}/00000000-0000-4000-8000-00000000dead")
    assert response.status_code == 404
    assert error_of(response)["code"] == "Request_ResourceNotFound"
    assert [t["id"] for t in raw.get(TAPS).json()["value"]] == [tap["id"]]
    assert _audits(raw, "activityDisplayName eq 'Admin deleted security info'") == []


def test_a_seeded_passkey_follows_its_aaguid_and_a_bad_one_is_refused(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    seed = copy.deepcopy(graph.seed)
    joiner = next(u for u in seed["users"] if u["id"] == JOINER)
    joiner["methods"] = [{"type": "passKeyDeviceBound", "aaGuid": AUTHENTICATOR_IOS}]
    graph.control.reset(seed)
    assert _kinds(raw) == ["passKeyDeviceBoundAuthenticator"]
    joiner["methods"] = [{"type": "passKeyDeviceBound", "aaGuid": "yubikey"}]
    with pytest.raises(ControlError) as caught:
        graph.control.reset(seed)
    assert caught.value.status == 400 and "aaGuid" in caught.value.body
