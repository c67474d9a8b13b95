"""PATCH of the authentication methods policy and its configurations: what Graph accepts, what
it refuses (and that a refused PATCH changes nothing), and who may send one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graph_testkit import POLICY_ADMIN_APP, bearer, error_of

from tests.fixtures.graph import EmulatedGraph

POLICY = "policies/authenticationMethodsPolicy"
CONFIGS = f"{POLICY}/authenticationMethodConfigurations"
TYPES = {
    "TemporaryAccessPass": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
    "MicrosoftAuthenticator": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
    "Fido2": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
}


@pytest.fixture
def admin(graph: EmulatedGraph) -> Any:
    with httpx.Client(
        base_url=graph.base_url + "/",
        headers={"Authorization": f"Bearer {bearer(graph, POLICY_ADMIN_APP)}"},
        timeout=30,
    ) as http:
        yield http


def _patch(admin: httpx.Client, config: str, **fields: Any) -> httpx.Response:
    return admin.patch(f"{CONFIGS}/{config}", json={"@odata.type": TYPES[config], **fields})


def test_the_methods_policy_shows_its_migration_state_and_campaign(raw: httpx.Client) -> None:
    policy = raw.get(POLICY).json()
    assert policy["policyMigrationState"] == "migrationComplete"
    campaign = policy["registrationEnforcement"]["authenticationMethodsRegistrationCampaign"]
    assert (campaign["state"], campaign["snoozeDurationInDays"]) == ("default", 1)
    assert {c["id"] for c in policy["authenticationMethodConfigurations"]} >= set(TYPES)


def test_the_campaign_and_the_migration_state_are_patched(
    admin: httpx.Client, raw: httpx.Client
) -> None:
    body = {
        "policyMigrationState": "migrationInProgress",
        "registrationEnforcement": {
            "authenticationMethodsRegistrationCampaign": {"state": "enabled", "snoozeDurationInDays": 0}
        },
    }  # fmt: skip
    assert admin.patch(POLICY, json=body).status_code == 204
    policy = raw.get(POLICY).json()
    campaign = policy["registrationEnforcement"]["authenticationMethodsRegistrationCampaign"]
    assert policy["policyMigrationState"] == "migrationInProgress"
    assert (campaign["state"], campaign["snoozeDurationInDays"]) == ("enabled", 0)
    assert campaign["includeTargets"][0]["id"] == "all_users"  # untouched fields stay


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"registrationEnforcement": {"authenticationMethodsRegistrationCampaign": {"snoozeDurationInDays": 15}}},
         "snoozeDurationInDays"),
        ({"registrationEnforcement": {"authenticationMethodsRegistrationCampaign": {"state": "on"}}},
         "authenticationMethodsRegistrationCampaign.state"),
        ({"policyMigrationState": "done"}, "policyMigrationState"),
    ],
)  # fmt: skip
def test_bad_values_on_the_policy_are_refused(
    admin: httpx.Client, raw: httpx.Client, body: dict[str, Any], names: str
) -> None:
    before = raw.get(POLICY).json()
    refused = admin.patch(POLICY, json=body)
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["code"] == "badRequest" and f"'{names}'" in error["message"]
    assert raw.get(POLICY).json() == before


def test_an_undeclared_property_gets_the_odata_message(admin: httpx.Client) -> None:
    refused = _patch(admin, "TemporaryAccessPass", numberMatchingRequiredState="enabled")
    assert refused.status_code == 400
    assert error_of(refused) | {"innerError": None} == {
        "code": "BadRequest",
        "message": "The property 'numberMatchingRequiredState' does not exist on type "
        "'microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration'. Make sure to "
        "only use property names that are defined by the type or mark the type as open type.",
        "innerError": None,
    }


@pytest.mark.parametrize(
    ("config", "fields", "named"),
    [
        ("TemporaryAccessPass", {"defaultLength": 7}, "defaultLength"),
        ("TemporaryAccessPass", {"maximumLifetimeInMinutes": 43201}, "maximumLifetimeInMinutes"),
        ("TemporaryAccessPass", {"minimumLifetimeInMinutes": 500}, "minimumLifetimeInMinutes"),
        ("TemporaryAccessPass", {"defaultLifetimeInMinutes": 30}, "defaultLifetimeInMinutes"),
        ("TemporaryAccessPass", {"state": "on"}, "state"),
        ("TemporaryAccessPass", {"includeTargets": [{"targetType": "group", "id": "engineering"}]},
         "includeTargets.id"),
        ("MicrosoftAuthenticator",
         {"includeTargets": [{"targetType": "group", "id": "all_users", "authenticationMode": "passwordless"}]},
         "includeTargets.authenticationMode"),
        ("MicrosoftAuthenticator",
         {"featureSettings": {"displayAppInformationRequiredState": {"state": "on"}}},
         "featureSettings.displayAppInformationRequiredState.state"),
        ("Fido2", {"keyRestrictions": {"isEnforced": True, "enforcementType": "deny", "aaGuids": []}},
         "keyRestrictions.enforcementType"),
        ("Fido2", {"keyRestrictions": {"aaGuids": ["not-a-guid"]}}, "keyRestrictions.aaGuids"),
        ("Fido2", {"isSelfServiceRegistrationAllowed": "yes"}, "isSelfServiceRegistrationAllowed"),
    ],
)  # fmt: skip
def test_graph_refuses_bad_values_and_nothing_changes(
    admin: httpx.Client, raw: httpx.Client, config: str, fields: dict[str, Any], named: str
) -> None:
    before = raw.get(f"{CONFIGS}/{config}").json()
    refused = _patch(admin, config, **fields)
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["code"] == "badRequest" and f"'{named}'" in error["message"]
    assert raw.get(f"{CONFIGS}/{config}").json() == before


def test_a_good_patch_lands_and_tapstart_cannot_send_one(
    admin: httpx.Client, raw: httpx.Client
) -> None:
    target = {"targetType": "group", "id": "20000000-0000-4000-8000-000000000001",
              "isRegistrationRequired": False, "authenticationMode": "deviceBasedPush"}  # fmt: skip
    assert _patch(admin, "MicrosoftAuthenticator", includeTargets=[target]).status_code == 204
    got = raw.get(f"{CONFIGS}/MicrosoftAuthenticator").json()
    assert got["includeTargets"] == [target]
    refused = raw.patch(POLICY, json={"policyMigrationState": "preMigration"})
    assert (
        refused.status_code == 403
    )  # Tapstart's app reads only (Policy.Read.AuthenticationMethod)
    assert error_of(refused)["code"] == "Authorization_RequestDenied"
