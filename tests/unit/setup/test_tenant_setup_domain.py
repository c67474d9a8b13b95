"""The pure setup-as-code rules: the schema, the diff, the PATCH bodies and the rollback."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.domain.tenant_setup import (
    CAMPAIGN,
    SetupFileError,
    current_of,
    parse_desired,
    parse_rollback,
    patch_body,
    plan,
    rollback_document,
)

GROUP = "6a1f0d2e-0000-4000-8000-00000000c001"
OTHER = "6a1f0d2e-0000-4000-8000-00000000c004"
IOS = "90a3ccdf-635c-4729-a248-9b709135078f"
AUTHENTICATOR: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
    "id": "MicrosoftAuthenticator",
    "state": "enabled",
    "includeTargets": [
        {"targetType": "group", "id": GROUP, "isRegistrationRequired": False, "authenticationMode": "any"}
    ],
    "excludeTargets": [],
    "featureSettings": {
        "displayAppInformationRequiredState": {
            "state": "default",
            "includeTarget": {"targetType": "group", "id": "all_users"},
        },
        "displayLocationInformationRequiredState": {"state": "default"},
    },
}  # fmt: skip
FIDO2: dict[str, Any] = {
    "state": "enabled",
    "includeTargets": [
        {"targetType": "group", "id": GROUP, "isRegistrationRequired": False,
         "allowedPasskeyProfiles": ["p1"]}
    ],
    "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
}  # fmt: skip
POLICY: dict[str, Any] = {
    "registrationEnforcement": {
        "authenticationMethodsRegistrationCampaign": {
            "state": "default",
            "snoozeDurationInDays": 1,
            "includeTargets": [
                {"id": "all_users", "targetType": "group", "targetedAuthenticationMethod": "microsoftAuthenticator"}
            ],
            "excludeTargets": [],
        }
    }
}  # fmt: skip


def desired(document: dict[str, Any]) -> Any:
    return parse_desired(document, passwordless_groups=[GROUP])


def current() -> dict[str, dict[str, Any]]:
    return {
        "microsoftAuthenticator": copy.deepcopy(AUTHENTICATOR),
        "fido2": copy.deepcopy(FIDO2),
        CAMPAIGN: current_of(CAMPAIGN, copy.deepcopy(POLICY)),
    }


def test_a_state_the_tenant_already_has_plans_nothing() -> None:
    same = desired(
        {
            "microsoftAuthenticator": {
                "includeTargets": [{"id": GROUP.upper(), "authenticationMode": "any"}],
                "featureSettings": {"displayLocationInformationRequiredState": "default"},
            },
            "fido2": {"includeTargets": ["PASSWORDLESS_GROUP_IDS"]},  # profiles are not compared
            CAMPAIGN: {"state": "default", "includeTargets": ["all_users"]},
        }
    )
    assert plan(same, current()).empty


def test_only_the_properties_that_differ_are_planned_and_sent() -> None:
    wanted = desired(
        {
            "microsoftAuthenticator": {
                "state": "enabled",
                "featureSettings": {"displayAppInformationRequiredState": "enabled"},
            },
            "fido2": {"keyRestrictions": {"isEnforced": True, "enforcementType": "allow", "aaGuids": [IOS.upper()]}},
            CAMPAIGN: {"state": "enabled", "snoozeDurationInDays": 1},
        }
    )  # fmt: skip
    the_plan = plan(wanted, current())
    assert [(c.resource, c.name) for c in the_plan.changes] == [
        ("microsoftAuthenticator", "featureSettings"),
        ("fido2", "keyRestrictions"),
        (CAMPAIGN, "state"),
    ]
    body = patch_body("microsoftAuthenticator", the_plan)
    assert set(body) == {"@odata.type", "featureSettings"}  # state is already enabled
    app_name = body["featureSettings"]["displayAppInformationRequiredState"]
    assert app_name == {
        "state": "enabled",
        "includeTarget": {"targetType": "group", "id": "all_users"},
    }
    assert body["featureSettings"]["displayLocationInformationRequiredState"] == {
        "state": "default"
    }
    assert patch_body("fido2", the_plan)["keyRestrictions"]["aaGuids"] == [IOS]
    campaign = patch_body(CAMPAIGN, the_plan)["registrationEnforcement"]
    sent = campaign["authenticationMethodsRegistrationCampaign"]
    assert (
        sent["state"] == "enabled"
        and sent["includeTargets"]
        == POLICY["registrationEnforcement"]["authenticationMethodsRegistrationCampaign"][
            "includeTargets"
        ]
    )  # the whole campaign, unchanged parts as they were


def test_a_changed_target_list_keeps_what_the_tenant_has_on_each_target() -> None:
    wanted = desired({"fido2": {"includeTargets": [GROUP, OTHER]}})
    the_plan = plan(wanted, current())
    [change] = the_plan.changes
    sent = patch_body("fido2", the_plan)["includeTargets"]
    assert sent == [
        {"targetType": "group", "id": GROUP, "isRegistrationRequired": False, "allowedPasskeyProfiles": ["p1"]},
        {"targetType": "group", "id": OTHER, "isRegistrationRequired": False},
    ]  # fmt: skip
    assert change.previous == FIDO2["includeTargets"]


def test_the_rollback_holds_each_changed_property_whole_and_restores_it_exactly() -> None:
    wanted = desired({"fido2": {"includeTargets": [OTHER], "isAttestationEnforced": True}})
    before = current()
    the_plan = plan(wanted, before)
    document = rollback_document(the_plan, created="2026-12-03T10:00:00+00:00")
    assert document["resources"] == {
        "fido2": {"includeTargets": FIDO2["includeTargets"], "isAttestationEnforced": None}
    }
    after = copy.deepcopy(before)
    after["fido2"].update({"includeTargets": [{"targetType": "group", "id": OTHER}]})
    back = plan(parse_rollback(document), after)
    body = patch_body("fido2", back, exact=True)
    assert body["includeTargets"] == FIDO2["includeTargets"]  # as Graph had it, profiles and all
    assert plan(parse_rollback(document), before).empty  # on the original state: nothing to do


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "nothing to set up"),
        ({"version": 2, "fido2": {}}, "version: only version 1"),
        ({"tap": {}}, "[tap]: unknown table"),
        ({"fido2": {"isAttestationEnforced": "no"}}, "fido2.isAttestationEnforced: expected true or false"),
        ({"temporaryAccessPass": {"maximumLifetimeInMinutes": 50000}}, "expected an integer from 10 to 43200"),
        ({"temporaryAccessPass": {"minimumLifetimeInMinutes": 500, "maximumLifetimeInMinutes": 100}},
         "minimumLifetimeInMinutes: more than the maximum"),
        ({"microsoftAuthenticator": {"includeTargets": [{"id": GROUP, "authenticationMode": "passwordless"}]}},
         "includeTargets[0].authenticationMode: expected one of any, deviceBasedPush, push"),
        ({"microsoftAuthenticator": {"includeTargets": [{"id": GROUP, "mode": "any"}]}},
         "includeTargets[0]: unknown key 'mode'"),
        ({"microsoftAuthenticator": {"featureSettings": {"numberMatchingRequiredState": "enabled"}}},
         "number matching is always on"),
        ({"fido2": {"keyRestrictions": {"aaGuids": ["yubikey"]}}}, "expected a list of AAGUIDs"),
        ({CAMPAIGN: {"snoozeDurationInDays": 15}}, "expected an integer from 0 to 14"),
    ],
)  # fmt: skip
def test_schema_errors_name_the_key(document: dict[str, Any], message: str) -> None:
    with pytest.raises(SetupFileError, match=None) as caught:
        desired(document)
    assert message in str(caught.value)


def test_passwordless_group_ids_expand_and_need_a_setting() -> None:
    expanded = parse_desired(
        {"fido2": {"includeTargets": ["PASSWORDLESS_GROUP_IDS"]}},
        passwordless_groups=[GROUP, OTHER],
    )
    assert [t["id"] for t in expanded.resources["fido2"]["includeTargets"]] == [GROUP, OTHER]
    with pytest.raises(SetupFileError, match="PASSWORDLESS_GROUP_IDS is empty"):
        parse_desired({"fido2": {"includeTargets": ["PASSWORDLESS_GROUP_IDS"]}})


def test_a_rollback_document_is_checked() -> None:
    with pytest.raises(SetupFileError, match="not a Tapstart rollback file"):
        parse_rollback({"resources": {}})
    with pytest.raises(SetupFileError, match="not a property setup manages"):
        parse_rollback(
            {"kind": "tapstart-setup-rollback", "version": 1, "resources": {"fido2": {"x": 1}}}
        )
