"""Each check tripped by a tenant seeded to fail it, through the real SDK and credential."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.doctor import CheckStatus
from tests.functional.doctor.conftest import (
    DYNAMIC_GROUP,
    EXCLUDED_GROUP,
    PASSWORDLESS_GROUP,
    ROLE_GROUP,
    by_name,
    doctor_report,
    set_app_roles,
    set_policy,
)

PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL


def test_the_test_tenant_passes_every_check(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    report = doctor_report(monkeypatch)
    assert [(r.name, r.status) for r in report.results if r.status is not PASS] == []
    assert report.exit_code == 0
    checks = by_name(report)
    assert checks["tap.scope"].found == "TAP policy targets Passwordless Users"
    assert checks["tap.privileged_reach"].found.startswith(
        "the TAP policy reaches only Passwordless Users"
    )
    assert (
        checks["group[Passwordless Users]"].found == "Passwordless Users: assigned security group"
    )
    assert checks["authenticator.target[Passwordless Users]"].found.endswith("mode 'any'")
    # The default targets (phone_sign_in, passkey) add the Passkey (FIDO2) policy's checks.
    assert checks["fido2.key_restrictions[Passwordless Users]"].found == (
        "Passwordless Users: key restrictions not enforced; passkeys in Authenticator allowed"
    )


def test_disabled_tap_policy_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(set_policy("TemporaryAccessPass", state="disabled"))
    report = doctor_report(monkeypatch)
    check = by_name(report)["tap.enabled"]
    assert check.status is FAIL
    assert "'disabled'" in check.found
    assert "Authentication methods → Policies → Temporary Access Pass" in check.fix
    assert report.exit_code == 2


def test_tap_policy_excluding_the_passwordless_group_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        set_policy(
            "TemporaryAccessPass",
            excludeTargets=[{"targetType": "group", "id": PASSWORDLESS_GROUP}],
        )
    )
    check = by_name(doctor_report(monkeypatch))["tap.scope"]
    assert check.status is FAIL
    assert check.found == "TAP policy excludes the passwordless group Passwordless Users"


def test_tap_policy_targeting_another_group_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        set_policy(
            "TemporaryAccessPass",
            includeTargets=[
                {"targetType": "group", "id": EXCLUDED_GROUP, "isRegistrationRequired": False}
            ],
            excludeTargets=[],
        )
    )
    check = by_name(doctor_report(monkeypatch))["tap.scope"]
    assert check.status is FAIL
    assert "new hires are out of scope" in check.found
    assert "Include: add Passwordless Users" in check.fix


def test_lifetime_outside_the_policy_range_warns(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(set_policy("TemporaryAccessPass", maximumLifetimeInMinutes=120))
    report = doctor_report(monkeypatch)
    check = by_name(report)["tap.lifetime"]
    assert check.status is WARN
    assert (
        check.found
        == "TAP_LIFETIME_MINUTES=240, policy allows 60–120 min: TAPs will last 120 min instead"
    )
    assert report.exit_code == 1


def test_multi_use_taps_warn_unless_tapstart_retires_them(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(set_policy("TemporaryAccessPass", isUsableOnce=False))
    check = by_name(
        doctor_report(monkeypatch, TAP_ONE_TIME="false", TAP_RETIRE_AFTER_ENROLMENT="false")
    )["tap.one_time"]
    assert check.status is WARN
    assert "multi-use TAPs stay valid" in check.found
    retired = by_name(
        doctor_report(monkeypatch, TAP_ONE_TIME="false", TAP_RETIRE_AFTER_ENROLMENT="true")
    )["tap.one_time"]
    assert retired.status is not WARN and "deleted once its joiner" in retired.found


def test_authenticator_push_only_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        set_policy(
            "MicrosoftAuthenticator",
            includeTargets=[
                {
                    "targetType": "group",
                    "id": PASSWORDLESS_GROUP,
                    "isRegistrationRequired": False,
                    "authenticationMode": "push",
                }
            ],
        )
    )
    check = by_name(doctor_report(monkeypatch))["authenticator.target[Passwordless Users]"]
    assert check.status is FAIL
    assert check.found == (
        "Passwordless Users targeted (via its own target) in mode 'push' only: push MFA, "
        "no passwordless sign-in"
    )


def test_authenticator_not_targeting_the_group_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        set_policy(
            "MicrosoftAuthenticator",
            includeTargets=[
                {
                    "targetType": "group",
                    "id": EXCLUDED_GROUP,
                    "isRegistrationRequired": False,
                    "authenticationMode": "any",
                }
            ],
        )
    )
    check = by_name(doctor_report(monkeypatch))["authenticator.target[Passwordless Users]"]
    assert check.status is FAIL
    assert check.found == "Passwordless Users is not targeted by the Authenticator policy"


def test_authenticator_disabled_and_context_off(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    off = {"state": "disabled", "includeTarget": {"targetType": "group", "id": "all_users"}}
    tenant(
        set_policy(
            "MicrosoftAuthenticator",
            state="disabled",
            featureSettings={"displayAppInformationRequiredState": off},
        )
    )
    checks = by_name(doctor_report(monkeypatch))
    assert checks["authenticator.enabled"].status is FAIL
    assert checks["authenticator.features"].status is WARN
    assert "application name in prompts" in checks["authenticator.features"].found


def test_dynamic_role_assignable_and_missing_groups(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    missing = "20000000-0000-4000-8000-0000000000ff"
    groups = ",".join([PASSWORDLESS_GROUP, DYNAMIC_GROUP, ROLE_GROUP, missing])
    checks = by_name(doctor_report(monkeypatch, PASSWORDLESS_GROUP_IDS=groups))
    dynamic = checks["group[Engineering (dynamic)]"]
    assert dynamic.status is FAIL
    assert "dynamic group" in dynamic.found and "Membership type: Assigned" in dynamic.fix
    role = checks["group[Tier 0 Admins]"]
    assert role.status is WARN
    assert "role-assignable" in role.found
    gone = checks[f"group[{missing}]"]
    assert gone.status is FAIL
    assert gone.found == f"group {missing} does not exist"


def test_missing_and_broad_permissions(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(set_app_roles(["User.Read.All", "Directory.ReadWrite.All", "Policy.Read.All"]))
    checks = by_name(doctor_report(monkeypatch))
    required = checks["permissions.required"]
    assert required.status is FAIL
    assert "UserAuthMethod-TAP.ReadWrite.All (to create TAPs)" in required.found
    assert "AuditLog.Read.All (to read the registration report)" in required.found
    assert "GroupMember" not in required.found  # Directory.ReadWrite.All grants group writes
    broad = checks["permissions.least_privilege"]
    assert broad.status is WARN
    # Policy.Read.All is the opt-in Conditional Access read: granted on purpose, not "broader".
    assert broad.found == "broader than needed: Directory.ReadWrite.All"
    report = checks["report.readable"]
    assert report.status is FAIL and "lacks AuditLog.Read.All" in report.found


def test_policy_unreadable_without_policy_permission(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    roles = [
        "User.Read.All",
        "GroupMember.ReadWrite.All",
        "UserAuthMethod-TAP.ReadWrite.All",
        "UserAuthenticationMethod.Read.All",
        "AuditLog.Read.All",
    ]
    tenant(set_app_roles(roles))
    checks = by_name(doctor_report(monkeypatch))
    assert checks["tap.policy"].status is FAIL
    assert "403 Authorization_RequestDenied" in checks["tap.policy"].found
    assert "Policy.Read.AuthenticationMethod" in checks["tap.policy"].fix


def test_report_refused_with_the_permission_means_no_licence(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    graph.control.set_faults(rules=[{"path": "^/reports/authenticationMethods", "status": 403}])  # type: ignore[attr-defined]
    try:
        check = by_name(doctor_report(monkeypatch))["report.readable"]
    finally:
        graph.control.clear_faults()  # type: ignore[attr-defined]
    assert check.status is FAIL
    assert "lacks an Entra ID P1/P2 licence" in check.found
    assert "Billing → Licenses" in check.fix


def test_wrong_client_secret_points_at_the_credential(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    checks = by_name(doctor_report(monkeypatch, GRAPH_CLIENT_SECRET="not-the-secret"))
    token = checks["permissions.required"]
    assert token.status is FAIL
    assert token.found.startswith("cannot get a Graph token: 401")
    policy = checks["tap.policy"]
    assert policy.status is FAIL
    assert "GRAPH_CLIENT_SECRET" in policy.fix
    # Services that do not depend on Graph are still checked.
    assert checks["storage.reachable"].status is PASS
