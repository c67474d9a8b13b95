"""Conditional Access, the methods policy's own settings, system-preferred MFA and the call
probes, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from shared.doctor import CheckStatus
from shared.doctor.call_probes import check_calls, probes
from shared.doctor.conditional_access_checks import check_conditional_access, location_ids
from shared.doctor.fetched import ReadFailure
from shared.doctor.methods_policy_checks import (
    check_campaign,
    check_migration,
    check_system_preferred,
)
from shared.domain.passwordless import Target

GROUP = "g-pwl"
NAMES = {GROUP: "Passwordless Users"}
ACTION = "urn:user:registersecurityinfo"
PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL


def ca(
    name: str = "Block registration off-site",
    *,
    state: str = "enabled",
    controls: tuple[str, ...] = ("block",),
    operator: str = "OR",
    users: dict[str, Any] | None = None,
    locations: dict[str, Any] | None = None,
    strength: dict[str, Any] | None = None,
    actions: tuple[str, ...] = (ACTION,),
) -> dict[str, Any]:
    return {
        "id": name,
        "displayName": name,
        "state": state,
        "conditions": {
            "applications": {"includeApplications": [], "includeUserActions": list(actions)},
            "users": users or {"includeUsers": ["All"], "excludeGroups": []},
            "locations": locations,
            "clientAppTypes": ["all"],
        },
        "grantControls": {
            "operator": operator,
            "builtInControls": list(controls),
            "authenticationStrength": strength,
        },
    }


def run_ca(*policies: dict[str, Any], locations: Any = None) -> dict[str, Any]:
    results = check_conditional_access(
        {"value": list(policies)}, locations, group_ids=[GROUP], group_names=NAMES
    )
    return {r.name: r for r in results}


def test_a_block_outside_trusted_locations_fails_and_names_them() -> None:
    policy = ca(locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted", "loc1"]})
    named = {"value": [{"id": "loc1", "displayName": "Head office"}]}
    [result] = run_ca(policy, locations=named).values()
    assert result.name == "ca.register_security_info[Block registration off-site]"
    assert result.status is FAIL
    assert result.found == (
        "'Block registration off-site' blocks it when Passwordless Users register security "
        "information from outside all trusted locations, Head office: joiners cannot finish "
        "onboarding"
    )
    assert "Require multifactor authentication" in result.fix and "Exclude" in result.fix
    assert location_ids({"value": [policy]}) == ["loc1"]


@pytest.mark.parametrize(
    ("controls", "operator", "status"),
    [
        (("compliantDevice",), "OR", FAIL),
        (("mfa", "compliantDevice"), "OR", None),  # MFA offered: a TAP satisfies it
        (("mfa", "compliantDevice"), "AND", FAIL),
        (("mfa",), "OR", None),
        (("domainJoinedDevice", "compliantDevice"), "OR", FAIL),
    ],
)
def test_controls_a_joiner_cannot_satisfy_fail(
    controls: tuple[str, ...], operator: str, status: CheckStatus | None
) -> None:
    results = run_ca(ca("Devices", controls=controls, operator=operator))
    if status is None:
        assert set(results) == {"ca.register_security_info"}
        assert results["ca.register_security_info"].status is PASS
    else:
        assert results["ca.register_security_info[Devices]"].status is status


def test_a_strength_without_a_tap_warns_and_one_with_it_passes() -> None:
    strict = {"displayName": "Phishing-resistant MFA", "allowedCombinations": ["fido2"]}
    warned = run_ca(ca("Strict", controls=(), strength=strict))["ca.register_security_info[Strict]"]
    assert warned.status is WARN and "'Phishing-resistant MFA'" in warned.found
    ok = {"displayName": "MFA", "allowedCombinations": ["fido2", "temporaryAccessPassOneTime"]}
    assert set(run_ca(ca("Ok", controls=(), strength=ok))) == {"ca.register_security_info"}


def test_report_only_is_a_note_and_disabled_or_other_actions_are_ignored() -> None:
    results = run_ca(
        ca("Report", state="enabledForReportingButNotEnforced"),
        ca("Off", state="disabled"),
        ca("Devices only", actions=("urn:user:registerdevice",)),
    )
    note = results["ca.register_security_info[Report]"]
    assert note.status is PASS and note.found.startswith("note: report-only, would apply:")
    assert results["ca.register_security_info"].found.endswith(
        "(3 policies read, 1 on that action for them)"
    )


@pytest.mark.parametrize(
    ("users", "reaches"),
    [
        ({"includeUsers": ["All"], "excludeGroups": [GROUP]}, False),
        ({"includeUsers": [], "includeGroups": [GROUP]}, True),
        ({"includeUsers": [], "includeGroups": ["other"]}, False),
        ({"includeUsers": [], "includeRoles": ["admin-role"]}, False),
    ],
)
def test_only_policies_that_reach_the_joiners_count(users: dict[str, Any], reaches: bool) -> None:
    results = run_ca(ca("P", users=users))
    assert ("ca.register_security_info[P]" in results) is reaches


def test_without_policy_read_all_it_is_not_checked_but_other_failures_fail() -> None:
    [skipped] = check_conditional_access(
        ReadFailure(403, "AccessDenied", ""), None, group_ids=[GROUP], group_names=NAMES
    )
    assert skipped.status is PASS and skipped.found.startswith("not checked")
    assert "Policy.Read.All" in skipped.found and "--conditional-access-read" in skipped.found
    [broken] = check_conditional_access(
        ReadFailure(500, "InternalServerError", ""), None, group_ids=[GROUP], group_names=NAMES
    )
    assert broken.status is FAIL


@pytest.mark.parametrize(
    ("state", "status"),
    [("migrationComplete", PASS), ("preMigration", WARN), ("migrationInProgress", WARN)],
)
def test_migration_state(state: str, status: CheckStatus) -> None:
    [result] = check_migration({"policyMigrationState": state})
    assert result.status is status
    if status is WARN:
        assert "legacy MFA and SSPR policies" in result.found
        assert "Manage migration" in result.fix


def campaign(state: str = "enabled", include: str = "all_users", **extra: Any) -> dict[str, Any]:
    return {
        "registrationEnforcement": {
            "authenticationMethodsRegistrationCampaign": {
                "state": state,
                "snoozeDurationInDays": extra.pop("snooze", 1),
                "includeTargets": [
                    {"id": include, "targetType": "group", "targetedAuthenticationMethod": "microsoftAuthenticator"}
                ],
                "excludeTargets": extra.pop("exclude", []),
            }
        }
    }  # fmt: skip


def run_campaign(policy: Any, targets: list[Target], mode: str = "any") -> Any:
    authenticator = {"includeTargets": [{"id": GROUP, "authenticationMode": mode}]}
    [result] = check_campaign(
        policy, authenticator=authenticator, group_ids=[GROUP], group_names=NAMES, targets=targets
    )
    return result


def test_campaign_off_on_and_how_it_meets_tapstart() -> None:
    phone = [Target.PHONE_SIGN_IN]
    off = run_campaign(campaign("default"), phone)
    assert off.status is PASS and "'default' (off)" in off.found
    on = run_campaign(campaign(snooze=0), phone)
    assert on.status is PASS and "(at every MFA)" in on.found
    skipped = run_campaign(campaign(), phone, mode="deviceBasedPush")
    assert skipped.status is PASS and "Passwordless mode" in skipped.found
    other_ask = run_campaign(campaign(), [Target.PASSKEY])
    assert other_ask.status is WARN and "two different asks" in other_ask.found
    excluded = run_campaign(
        campaign(exclude=[{"id": GROUP, "targetType": "group"}]), [Target.PASSKEY]
    )
    assert excluded.status is PASS and "does not target" in excluded.found


@pytest.mark.parametrize(("flag", "status"), [(True, PASS), (False, WARN), (None, PASS)])
def test_system_preferred_mfa(flag: bool | None, status: CheckStatus) -> None:
    rows = (
        [] if flag is None else [{"id": "u", "isSystemPreferredAuthenticationMethodEnabled": flag}]
    )
    [result] = check_system_preferred({"value": rows})
    assert result.status is status


def test_call_probes_are_harmless_and_refusals_name_the_permission() -> None:
    planned = probes("u1", GROUP, [Target.PHONE_SIGN_IN])
    writes = [p for p in planned if p.method in {"POST", "DELETE"}]
    assert {p.id for p in writes} == {"tapDelete", "checkGroups", "groupAdd", "groupRemove"}
    assert "devices" in {p.id for p in planned}
    assert "devices" not in {p.id for p in probes("u1", GROUP, [Target.PASSKEY])}
    first = {"value": [{"id": "u1"}]}
    answers: dict[str, Any] = {p.id: {} for p in planned}
    answers["tapDelete"] = ReadFailure(404, "Request_ResourceNotFound", "")  # authorised
    answers["eligible"] = ReadFailure(400, "AadPremiumLicenseRequired", "")  # no P2: fine
    [ok] = check_calls(first, planned, answers)
    assert ok.status is PASS and ok.found.startswith(f"all {len(planned) + 1} calls")
    answers["groupAdd"] = ReadFailure(403, "Authorization_RequestDenied", "Insufficient")
    answers["signIn"] = ReadFailure(
        403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", ""
    )
    [refused] = check_calls(first, planned, answers)
    assert refused.status is FAIL
    assert "add a joiner to the passwordless group: 403" in refused.found
    assert "(needs GroupMember.ReadWrite.All)" in refused.found
    assert "(needs Microsoft Entra ID P1 or P2)" in refused.found
    assert check_calls(None, [], {})[0].found.startswith("not probed")
