"""Groups, permissions (token roles), report licence, ACS, storage, webhook secrets; the report."""

from __future__ import annotations

import base64
import json

import pytest

from shared.config import Settings
from shared.doctor.fetched import ReadFailure
from shared.doctor.group_checks import check_group
from shared.doctor.permission_checks import REQUIRED, check_permissions, roles_from_token
from shared.doctor.result import CheckResult, CheckStatus, DoctorReport
from shared.doctor.service_checks import (
    AcsObservation,
    check_acs,
    check_registration_report,
    check_storage,
    check_webhook_secrets,
)
from shared.domain.errors import ConfigurationError
from tests.unit.doctor.test_targets import ENV as TARGET_ENV

LEAST = [names[0] for names in REQUIRED.values()]


def group(**fields: object) -> dict[str, object]:
    return {
        "id": "g1",
        "displayName": "Joiners",
        "groupTypes": [],
        "securityEnabled": True,
        **fields,
    }


def test_group_statuses() -> None:
    assert check_group("g1", group()).status is CheckStatus.PASS
    assert check_group("g1", group(groupTypes=["DynamicMembership"])).status is CheckStatus.FAIL
    assert check_group("g1", group(isAssignableToRole=True)).status is CheckStatus.WARN
    assert check_group("g1", group(securityEnabled=False)).status is CheckStatus.WARN
    missing = check_group("g1", ReadFailure(404, "Request_ResourceNotFound", ""))
    assert (missing.name, missing.status) == ("group[g1]", CheckStatus.FAIL)
    assert "PASSWORDLESS_GROUP_IDS" in missing.fix


def token(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_roles_are_read_from_the_token_payload() -> None:
    assert roles_from_token(token({"roles": ["AuditLog.Read.All"]})) == ["AuditLog.Read.All"]
    assert roles_from_token(token({"aud": "x"})) == []
    assert roles_from_token("not-a-jwt") == []


def test_least_privilege_set_passes_both() -> None:
    required, extra = check_permissions(LEAST)
    assert (required.status, extra.status) == (CheckStatus.PASS, CheckStatus.PASS)


def test_broad_alternatives_grant_but_warn() -> None:
    roles = [
        "Directory.ReadWrite.All",
        "UserAuthenticationMethod.ReadWrite.All",
        "AuditLog.Read.All",
        "Policy.Read.AuthenticationMethod",
        # No Directory.* permission reads PIM eligibility: these two stay needed.
        "RoleManagement.Read.Directory",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    ]
    required, extra = check_permissions(roles)
    assert required.status is CheckStatus.PASS
    assert extra.status is CheckStatus.WARN
    # The TAP fallback permission is documented (infra/), so only Directory.* is flagged.
    assert extra.found == "broader than needed: Directory.ReadWrite.All"


def test_each_missing_capability_is_named() -> None:
    required, _ = check_permissions(["User.Read.All"])
    assert required.status is CheckStatus.FAIL
    assert required.found.count("(to ") == len(REQUIRED) - 1


def test_report_403_means_licence_only_when_the_permission_is_there() -> None:
    refused = ReadFailure(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "")
    assert "licence" in check_registration_report(refused, ["AuditLog.Read.All"]).found
    assert "lacks AuditLog.Read.All" in check_registration_report(refused, []).found
    assert check_registration_report({"value": []}, []).status is CheckStatus.PASS


def test_acs_domain_verdicts() -> None:
    managed = AcsObservation("https://x", "DoNotReply@abc.azurecomm.net", None)
    assert "Azure-managed domain" in check_acs(managed)[1].found
    refused = AcsObservation("https://x", "a@contoso.example", None, False, "404 DomainNotLinked")
    assert check_acs(refused)[1].status is CheckStatus.FAIL
    denied = AcsObservation("https://x", "a@contoso.example", ReadFailure(401, "Unauthorized", ""))
    assert check_acs(denied)[0].status is CheckStatus.FAIL


def test_storage_forbidden_points_at_rbac() -> None:
    check = check_storage(
        {"queue q": None, "table t": ReadFailure(403, "AuthorizationFailure", "")}
    )
    assert check.status is CheckStatus.FAIL
    assert check.found == "table t: 403 AuthorizationFailure"
    assert "Storage Table Data Contributor" in check.fix


def test_webhook_secrets() -> None:
    good = "whsec_" + base64.b64encode(b"x" * 32).decode()
    assert check_webhook_secrets([good, good]).found == "2 secrets configured"
    assert check_webhook_secrets([]).status is CheckStatus.FAIL
    # A malformed or short secret never gets here: the settings refuse it at start-up.
    short = "whsec_" + base64.b64encode(b"x" * 16).decode()
    with pytest.raises(ConfigurationError, match="secret #2 is 16 bytes"):
        Settings.from_env({**TARGET_ENV, "HR_WEBHOOK_SECRETS": f"{good},{short}"})


def test_report_status_exit_code_and_problem_order() -> None:
    results = [
        CheckResult("a", CheckStatus.PASS, ""),
        CheckResult("b", CheckStatus.WARN, ""),
        CheckResult("c", CheckStatus.FAIL, ""),
    ]
    report = DoctorReport.of(results)
    assert (report.status, report.exit_code) == (CheckStatus.FAIL, 2)
    assert [r.name for r in report.problems()] == ["c", "b"]
    assert report.to_json()["counts"] == {"pass": 1, "warn": 1, "fail": 1}
    assert DoctorReport.of(results[:2]).exit_code == 1
    assert DoctorReport.of([]).exit_code == 0
