"""`tap.privileged_reach`: the TAP policy must not reach privileged accounts (issue 21 item 8),
each case a tenant seeded to trip it, read through the app's own Graph adapter."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from shared.doctor import CheckStatus
from tests.functional.doctor.conftest import (
    EXCLUDED_GROUP,
    PASSWORDLESS_GROUP,
    ROLE_GROUP,
    by_name,
    doctor_report,
    run_cli,
    set_app_roles,
    set_policy,
)

CHECK = "tap.privileged_reach"
FIX = "target the TAP policy at Tapstart's passwordless group(s) only (Passwordless Users)"


def _include(*group_ids: str) -> Callable[[dict[str, Any]], None]:
    return set_policy(
        "TemporaryAccessPass",
        includeTargets=[
            {"targetType": "group", "id": g, "isRegistrationRequired": False} for g in group_ids
        ],
        excludeTargets=[],
    )


def _group_roles(**grants: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(seed: dict[str, Any]) -> None:
        group = next(g for g in seed["groups"] if g["id"] == ROLE_GROUP)
        group.update(grants)

    return change


def test_the_seeded_policy_reaches_only_the_passwordless_group(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    check = by_name(doctor_report(monkeypatch))[CHECK]
    assert check.status is CheckStatus.PASS
    assert check.found == (
        "the TAP policy reaches only Passwordless Users: no role-assignable, role-holding or "
        "protected group"
    )


def test_all_users_fails_whatever_it_excludes(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        set_policy(
            "TemporaryAccessPass",
            includeTargets=[{"targetType": "group", "id": "all_users"}],
            excludeTargets=[{"targetType": "group", "id": ROLE_GROUP}],
        )
    )
    report = doctor_report(monkeypatch)
    check = by_name(report)[CHECK]
    assert check.status is CheckStatus.FAIL
    assert "it includes all users: every admin and break-glass account" in check.found
    assert check.fix.startswith(FIX)
    assert "Tapstart adds each joiner to them before it issues the pass" in check.fix
    assert report.exit_code == 2
    # tap.scope still says the joiners are covered: reach is its own finding.
    assert by_name(report)["tap.scope"].status is CheckStatus.PASS


def test_an_included_role_assignable_group_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(_include(PASSWORDLESS_GROUP, ROLE_GROUP))
    check = by_name(doctor_report(monkeypatch))[CHECK]
    assert check.status is CheckStatus.FAIL
    assert check.found == (
        "the TAP policy reaches privileged accounts (a pass is a sign-in as its user): "
        "Tier 0 Admins is role-assignable (a group made to hold admin roles)"
    )


def test_an_included_group_holding_roles_names_them(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        _include(PASSWORDLESS_GROUP, ROLE_GROUP),
        _group_roles(
            roleAssignments=["Global Administrator"],
            roleEligibilities=["Privileged Role Administrator", "User Administrator"],
        ),
    )
    found = by_name(doctor_report(monkeypatch))[CHECK].found
    assert "Tier 0 Admins holds 1 active directory role assignment(s)" in found
    assert "Tier 0 Admins is eligible for 2 directory role(s) through PIM" in found


def test_a_p1_tenant_has_no_eligibility_and_still_passes(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without P2 the PIM read is 400 AadPremiumLicenseRequired: no eligibility, not unknown."""

    def p1(seed: dict[str, Any]) -> None:
        seed.setdefault("settings", {})["license"] = "P1"

    tenant(p1)
    assert by_name(doctor_report(monkeypatch))[CHECK].status is CheckStatus.PASS


def test_an_included_protected_group_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(_include(PASSWORDLESS_GROUP, EXCLUDED_GROUP))
    assert by_name(doctor_report(monkeypatch))[CHECK].status is CheckStatus.PASS
    check = by_name(doctor_report(monkeypatch, PROTECTED_GROUP_IDS=EXCLUDED_GROUP))[CHECK]
    assert check.status is CheckStatus.FAIL
    assert check.found.endswith("TAP Excluded is in PROTECTED_GROUP_IDS")


def test_unreadable_role_assignments_fail_closed(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        set_app_roles(
            [
                "User.Read.All",
                "GroupMember.ReadWrite.All",
                "UserAuthMethod-TAP.ReadWrite.All",
                "UserAuthenticationMethod.Read.All",
                "AuditLog.Read.All",
                "Policy.Read.AuthenticationMethod",
                "Device.Read.All",
            ]
        )
    )
    check = by_name(doctor_report(monkeypatch))[CHECK]
    assert check.status is CheckStatus.FAIL
    assert check.found.startswith(
        "cannot tell whether the TAP policy reaches privileged accounts: role assignments of "
        "Passwordless Users: 403"
    )
    assert "RoleManagement.Read.Directory" in check.fix


def test_the_cli_shows_the_finding_and_its_fix(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant(set_policy("TemporaryAccessPass", includeTargets=[{"id": "all_users"}]))
    code, out, _ = run_cli(capsys, "doctor", "--json")
    assert code == 2
    problems = {c["check"]: c for c in json.loads(out)["checks"] if c["status"] == "fail"}
    assert "it includes all users" in problems[CHECK]["found"]
    assert problems[CHECK]["fix"].startswith(FIX)
