"""Issue 18's doctor findings, one seeded tenant per case, read through the app's own Graph
adapter and the real SDK: Conditional Access on registering security information, the methods
policy's migration state and registration campaign, system-preferred MFA, and the probe of each
production call."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from shared.doctor import CheckStatus
from tests.functional.doctor.conftest import (
    EXCLUDED_GROUP,
    PASSWORDLESS_GROUP,
    by_name,
    doctor_report,
    run_cli,
    set_app_roles,
    set_policy,
)

PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL
CA = "ca.register_security_info"
ACTION = "urn:user:registersecurityinfo"
OFFICE = "d1e2f3a4-0000-4000-8000-0000000000f1"
Change = Callable[[dict[str, Any]], None]


def _ca_read(seed: dict[str, Any]) -> None:
    """The opt-in: Tapstart's app may read Conditional Access (Policy.Read.All)."""
    seed["apps"][0]["roles"].append("Policy.Read.All")


def _access(*policies: dict[str, Any]) -> Change:
    def change(seed: dict[str, Any]) -> None:
        seed["conditionalAccess"] = {
            "namedLocations": [
                {"id": OFFICE, "displayName": "Head office", "ipRanges": ["203.0.113.0/24"],
                 "isTrusted": True}
            ],
            "policies": list(policies),
        }  # fmt: skip

    return change


def _policy(name: str, **fields: Any) -> dict[str, Any]:
    users = fields.pop("users", {"includeUsers": ["All"]})
    return {
        "displayName": name,
        "state": fields.pop("state", "enabled"),
        "conditions": {
            "applications": {"includeUserActions": [ACTION]},
            "users": users,
            **fields.pop("conditions", {}),
        },
        "grantControls": fields.pop("grant", {"operator": "OR", "builtInControls": ["block"]}),
    }


def _methods_policy(**fields: Any) -> Change:
    def change(seed: dict[str, Any]) -> None:
        seed["authenticationMethodsPolicy"] = fields

    return change


BLOCK_OFFSITE = _policy(
    "Block security info off-site",
    conditions={"locations": {"includeLocations": ["All"], "excludeLocations": [OFFICE]}},
)


def test_a_block_outside_the_office_fails_with_the_location_named(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(_ca_read, _access(BLOCK_OFFSITE))
    report = doctor_report(monkeypatch)
    check = by_name(report)[f"{CA}[Block security info off-site]"]
    assert check.status is FAIL
    assert check.found == (
        "'Block security info off-site' blocks it when Passwordless Users register security "
        "information from outside Head office: joiners cannot finish onboarding"
    )
    assert check.fix.startswith(
        "Entra ID → Conditional Access → Policies → Block security info off-site → Grant: "
        "'Require multifactor authentication' instead"
    )
    assert report.exit_code == 2
    # The opt-in permission is not "broader than needed".
    assert by_name(report)["permissions.least_privilege"].status is PASS


def test_a_compliant_device_requirement_fails_and_mfa_or_device_passes(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    device = _policy(
        "Compliant device", grant={"operator": "OR", "builtInControls": ["compliantDevice"]}
    )
    either = _policy("MFA or device", grant={"operator": "OR", "builtInControls": ["mfa", "compliantDevice"]})  # fmt: skip
    tenant(_ca_read, _access(device, either))
    checks = by_name(doctor_report(monkeypatch))
    assert checks[f"{CA}[Compliant device]"].status is FAIL
    assert "requires a compliant device, which a new joiner does not have yet" in (
        checks[f"{CA}[Compliant device]"].found
    )
    assert f"{CA}[MFA or device]" not in checks


def test_report_only_is_a_note_and_an_excluded_group_is_not_reached(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    report_only = _policy("Would block", state="enabledForReportingButNotEnforced")
    excluded = _policy(
        "Block except joiners",
        users={"includeUsers": ["All"], "excludeGroups": [PASSWORDLESS_GROUP]},
    )
    tenant(_ca_read, _access(report_only, excluded))
    report = doctor_report(monkeypatch)
    checks = by_name(report)
    note = checks[f"{CA}[Would block]"]
    assert note.status is PASS and note.found.startswith("note: report-only, would apply:")
    assert f"{CA}[Block except joiners]" not in checks
    assert checks[CA].found.startswith("no enabled Conditional Access policy stops")
    assert report.exit_code == 0


def test_without_the_opt_in_conditional_access_is_not_checked(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(_access(BLOCK_OFFSITE))  # Tapstart's default grants: no Policy.Read.All
    check = by_name(doctor_report(monkeypatch))[CA]
    assert check.status is PASS
    assert check.found.startswith("not checked: reading Conditional Access needs Policy.Read.All")


@pytest.mark.parametrize("state", ["preMigration", "migrationInProgress"])
def test_legacy_mfa_and_sspr_still_in_force_warn(
    state: str,
    app_env: dict[str, str],
    tenant: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant(_methods_policy(policyMigrationState=state))
    report = doctor_report(monkeypatch)
    check = by_name(report)["methods.migration"]
    assert check.status is WARN and f"policyMigrationState is {state!r}" in check.found
    assert report.exit_code == 1


def _campaign(**fields: Any) -> Change:
    campaign = {
        "state": "enabled",
        "snoozeDurationInDays": 3,
        "includeTargets": [{"id": "all_users", "targetType": "group",
                            "targetedAuthenticationMethod": "microsoftAuthenticator"}],
        **fields,
    }  # fmt: skip
    return _methods_policy(
        registrationEnforcement={"authenticationMethodsRegistrationCampaign": campaign}
    )


def test_the_campaign_for_authenticator_warns_when_joiners_are_asked_for_passkeys(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(_campaign())
    on = by_name(doctor_report(monkeypatch))["campaign.registration"]
    assert on.status is PASS
    assert "nudges Passwordless Users after each MFA to set up microsoftAuthenticator" in on.found
    assert "(again after 3 day(s) when snoozed)" in on.found
    other = by_name(doctor_report(monkeypatch, TARGET_METHODS="passkey"))["campaign.registration"]
    assert other.status is WARN and "two different asks" in other.found


def test_the_campaign_skips_joiners_in_passwordless_mode(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = {
        "targetType": "group",
        "id": PASSWORDLESS_GROUP,
        "authenticationMode": "deviceBasedPush",
    }
    tenant(_campaign(), set_policy("MicrosoftAuthenticator", includeTargets=[target]))
    check = by_name(doctor_report(monkeypatch))["campaign.registration"]
    assert check.status is PASS and "Passwordless mode" in check.found


def test_system_preferred_mfa_off_warns(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    def off(seed: dict[str, Any]) -> None:
        seed["settings"]["systemPreferredMfaEnabled"] = False

    tenant()
    assert by_name(doctor_report(monkeypatch))["mfa.system_preferred"].status is PASS
    tenant(off)
    check = by_name(doctor_report(monkeypatch))["mfa.system_preferred"]
    assert check.status is WARN and "system-preferred MFA is off" in check.found


TAPSTART = [
    "User.Read.All",
    "GroupMember.ReadWrite.All",
    "UserAuthMethod-TAP.ReadWrite.All",
    "UserAuthenticationMethod.Read.All",
    "AuditLog.Read.All",
    "Policy.Read.AuthenticationMethod",
    "Device.Read.All",
    "RoleManagement.Read.Directory",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
]


def test_every_production_call_answers_on_the_seeded_tenant(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    check = by_name(doctor_report(monkeypatch))["graph.calls"]
    assert check.status is PASS
    assert check.found.startswith("all 16 calls Tapstart makes answered")


def test_a_missing_permission_is_named_by_the_call_it_breaks(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        set_app_roles(
            [r for r in TAPSTART if r != "PrivilegedEligibilitySchedule.Read.AzureADGroup"]
        )
    )
    check = by_name(doctor_report(monkeypatch))["graph.calls"]
    assert check.status is FAIL
    assert "read PIM for Groups eligibility: 403" in check.found
    assert "(needs PrivilegedEligibilitySchedule.Read.AzureADGroup)" in check.found


def test_without_the_group_write_the_add_and_the_removal_are_refused(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GroupMember.Read.All reads the group but cannot add a joiner: Graph answers the probe
    (a member that does not exist) 403, not 404."""
    roles = [r for r in TAPSTART if r != "GroupMember.ReadWrite.All"] + ["GroupMember.Read.All"]
    tenant(set_app_roles(roles))
    check = by_name(doctor_report(monkeypatch))["graph.calls"]
    assert check.status is FAIL
    assert "add a joiner to the passwordless group: 403" in check.found
    assert "take a withdrawn joiner out of the group: 403" in check.found
    assert "(needs GroupMember.ReadWrite.All)" in check.found
    assert "read a joiner's groups" not in check.found  # memberOf still answers


def test_the_findings_reach_the_cli_json(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant(_ca_read, _access(BLOCK_OFFSITE), _methods_policy(policyMigrationState="preMigration"))
    code, out, _ = run_cli(capsys, "doctor", "--json")
    assert code == 2
    checks = {c["check"]: c for c in json.loads(out)["checks"]}
    assert checks[f"{CA}[Block security info off-site]"]["status"] == "fail"
    assert checks["methods.migration"]["status"] == "warn"
    assert checks["tap.privileged_reach"]["status"] == "pass"
    assert EXCLUDED_GROUP not in out  # only what is named
