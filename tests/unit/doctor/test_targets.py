"""The doctor as TARGET_METHODS configure it: which policies it reads, which checks it runs,
Windows Hello's unverifiable warning, and the Device.Read.All permission (phone sign-in only)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.config import Settings
from shared.doctor import CheckStatus, run_doctor
from shared.doctor.permission_checks import DEVICE_READ, REQUIRED, check_permissions
from shared.doctor.runner import (
    AUTHENTICATOR_POLICY_PATH,
    FIDO2_POLICY_PATH,
    TAP_POLICY_PATH,
)
from shared.doctor.windows_hello_checks import check_windows_hello
from shared.domain.passwordless import Target
from tests.fakes import FakeProbes, FakeTenant

GROUP = "11111111-2222-3333-4444-555555555555"
ENV = {
    "ACS_ENDPOINT": "https://acs.example.test",
    "MAIL_SENDER": "tapstart@contoso.example",
    "ADMIN_EMAILS": "it-admins@contoso.example",
    "HR_WEBHOOK_SECRETS": "whsec_" + "A" * 32,
    "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
    "PASSWORDLESS_GROUP_IDS": GROUP,
}
LEAST = [names[0] for names in REQUIRED.values()]
EVERYONE = [{"targetType": "group", "id": "all_users", "authenticationMode": "any"}]
JOINERS = [{"targetType": "group", "id": GROUP}]  # the TAP policy reaches the joiners only
ANSWERS: dict[str, Any] = {
    TAP_POLICY_PATH: {"state": "enabled", "includeTargets": JOINERS, "isUsableOnce": True},
    AUTHENTICATOR_POLICY_PATH: {"state": "enabled", "includeTargets": EVERYONE},
    FIDO2_POLICY_PATH: {
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": True,
        "includeTargets": EVERYONE,
    },
    f"/groups/{GROUP}": {"id": GROUP, "displayName": "Joiners", "securityEnabled": True},
    "/reports/authenticationMethods/userRegistrationDetails": {"value": []},
    "/roleManagement/directory/roleAssignments": {"value": []},
    "/roleManagement/directory/roleEligibilityScheduleInstances": {"value": []},
    "/policies/authenticationMethodsPolicy": {"policyMigrationState": "migrationComplete"},
    "/identity/conditionalAccess/policies": {"value": []},
}


def doctor(targets: str, roles: list[str] | None = None) -> tuple[FakeTenant, dict[str, Any]]:
    settings = Settings.from_env({**ENV, "TARGET_METHODS": targets, "TAP_LIFETIME_MINUTES": "60"})
    tenant = FakeTenant(answers=dict(ANSWERS))
    probes = FakeProbes(roles=LEAST if roles is None else roles, storage_outcomes={"queue": None})
    report = asyncio.run(run_doctor(settings, tenant, probes))
    return tenant, {r.name: r for r in report.results}


@pytest.mark.parametrize(
    ("targets", "authenticator", "fido2"),
    [
        ("phone_sign_in,passkey", True, True),
        ("phone_sign_in", True, False),
        ("authenticator_passkey", True, True),
        ("passkey", False, True),
        ("windows_hello", False, False),
    ],
)
def test_only_the_policies_the_targets_need_are_read(
    targets: str, authenticator: bool, fido2: bool
) -> None:
    tenant, checks = doctor(targets)
    reads = {path.split("?")[0] for path in tenant.reads}
    assert TAP_POLICY_PATH in reads
    assert (AUTHENTICATOR_POLICY_PATH in reads) is authenticator
    assert (FIDO2_POLICY_PATH in reads) is fido2
    assert ("authenticator.enabled" in checks) is authenticator
    assert ("authenticator.policy" in checks) is not authenticator  # "not checked" pass
    assert ("fido2.enabled" in checks) is fido2


def test_the_default_targets_pass_on_a_healthy_tenant() -> None:
    _, checks = doctor("phone_sign_in,passkey")
    bad = {name: r.found for name, r in checks.items() if r.status is not CheckStatus.PASS}
    assert bad == {}
    assert "fido2.key_restrictions[Joiners]" in checks
    assert "windows_hello.policy" not in checks


def test_windows_hello_warns_once_and_never_passes() -> None:
    assert check_windows_hello([Target.PHONE_SIGN_IN, Target.PASSKEY]) == []
    [only] = check_windows_hello([Target.WINDOWS_HELLO, Target.PASSKEY])
    assert (only.name, only.status) == ("windows_hello.policy", CheckStatus.WARN)
    assert "not verifiable here" in only.found
    assert "Intune" in only.fix and "Group Policy" in only.fix
    _, checks = doctor("windows_hello")
    assert checks["windows_hello.policy"].status is CheckStatus.WARN


# --- Device.Read.All ---------------------------------------------------------------------------


def test_device_read_is_required_while_phone_sign_in_is_a_target() -> None:
    without = [r for r in LEAST if r != "Device.Read.All"]
    required, _ = check_permissions(without, targets=[Target.PHONE_SIGN_IN])
    assert required.status is CheckStatus.FAIL
    assert required.found == f"the app's token lacks Device.Read.All (to {DEVICE_READ})"
    assert DEVICE_READ == "tell phone sign-in from push notifications"
    for broader in ("Device.ReadWrite.All", "Directory.Read.All"):
        granted, _ = check_permissions([*without, broader], targets=[Target.PHONE_SIGN_IN])
        assert granted.status is CheckStatus.PASS


def test_device_read_is_not_required_without_phone_sign_in_but_expected_when_granted() -> None:
    without = [r for r in LEAST if r != "Device.Read.All"]
    required, extra = check_permissions(without, targets=[Target.PASSKEY])
    assert required.status is CheckStatus.PASS
    assert required.found == f"all {len(REQUIRED) - 1} needed permissions granted"
    # infra/ grants it whatever the targets: granted, it is not "broader than needed".
    required, extra = check_permissions(LEAST, targets=[Target.PASSKEY])
    assert (required.status, extra.status) == (CheckStatus.PASS, CheckStatus.PASS)


def test_the_runner_checks_permissions_for_the_configured_targets() -> None:
    without = [r for r in LEAST if r != "Device.Read.All"]
    _, checks = doctor("phone_sign_in", roles=without)
    assert "Device.Read.All" in checks["permissions.required"].found
    _, checks = doctor("passkey", roles=without)
    assert checks["permissions.required"].status is CheckStatus.PASS
