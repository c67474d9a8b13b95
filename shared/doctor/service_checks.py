"""The services around Graph: the registration report (licence), ACS Email, storage and the HR
webhook secret. Pure: each takes what a probe observed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure
from shared.doctor.result import CheckResult, failed, passed

# Standard Webhooks: secrets are 24–64 random bytes, base64 after the `whsec_` prefix.
AZURE_MANAGED_DOMAIN_SUFFIX = ".azurecomm.net"


def check_registration_report(report: Fetched, roles: Iterable[str]) -> CheckResult:
    name = "report.readable"
    if not isinstance(report, ReadFailure):
        return passed(name, "userRegistrationDetails is readable")
    if report.status == 403 and "AuditLog.Read.All" not in set(roles):
        return failed(
            name,
            f"registration report refused ({report.describe()}): the app lacks AuditLog.Read.All",
            f"grant AuditLog.Read.All ({portal.API_PERMISSIONS})",
        )
    if report.status == 403:
        return failed(
            name,
            f"registration report refused although AuditLog.Read.All is granted "
            f"({report.describe()}): the tenant lacks an Entra ID P1/P2 licence",
            f"assign Microsoft Entra ID P1 or P2 ({portal.LICENCES}); the daily report and "
            "reminders depend on it",
        )
    return failed(
        name,
        f"registration report not readable: {report.describe()}",
        "retry; if it persists, check Graph service health",
    )


@dataclass(frozen=True)
class AcsObservation:
    """What the ACS probes saw. `domain_linked`: None when no test email was sent."""

    endpoint: str
    sender: str
    reachable: ReadFailure | None  # None = the endpoint answered and accepted our credential
    domain_linked: bool | None = None
    domain_error: str = ""


def check_acs(seen: AcsObservation) -> list[CheckResult]:
    domain = seen.sender.rpartition("@")[2]
    if seen.reachable is None:
        reach = passed("acs.reachable", f"{seen.endpoint} answers and accepts the credential")
    elif seen.reachable.status in (401, 403):
        reach = failed(
            "acs.reachable",
            f"{seen.endpoint} refuses the credential ({seen.reachable.describe()})",
            f"check ACS_ACCESS_KEY, or give the managed identity 'Communication and Email Service "
            f"Owner' ({portal.ACS_RESOURCE})",
        )
    else:
        reach = failed(
            "acs.reachable",
            f"{seen.endpoint}: {seen.reachable.describe()}",
            f"check ACS_ENDPOINT ({portal.APP_SETTINGS}) and the resource ({portal.ACS_RESOURCE})",
        )
    return [reach, _domain(seen, domain)]


def _domain(seen: AcsObservation, domain: str) -> CheckResult:
    name = "acs.sender_domain"
    if seen.domain_linked is False:
        return failed(
            name,
            f"ACS refused the sender {seen.sender}: {seen.domain_error or 'domain not linked'}",
            f"verify {domain} (SPF, DKIM) and connect it to the Communication Services resource "
            f"({portal.ACS_DOMAINS}), or set MAIL_SENDER to an address on a connected domain",
        )
    if seen.domain_linked:
        return passed(name, f"a test email from {seen.sender} was accepted")
    if domain.lower().endswith(AZURE_MANAGED_DOMAIN_SUFFIX):
        return passed(name, f"{domain} is an Azure-managed domain (verified by Azure)")
    return passed(
        name,
        f"{domain} is a custom domain; not probed (run `tapstart doctor --probe-email` to send "
        "a test email to ADMIN_EMAILS)",
    )


def check_storage(outcomes: Mapping[str, ReadFailure | None]) -> CheckResult:
    """`outcomes`: per service/resource, None when reachable."""
    broken = {k: v for k, v in outcomes.items() if v is not None}
    if not broken:
        return passed("storage.reachable", ", ".join(outcomes) + " reachable")
    denied = any(v.status in (401, 403) for v in broken.values())
    fix = (
        "give the identity Storage Queue Data Contributor, Storage Table Data Contributor and "
        f"Storage Blob Data Owner ({portal.STORAGE})"
        if denied
        else f"check AzureWebJobsStorage ({portal.APP_SETTINGS}) and the account's network rules "
        f"({portal.STORAGE})"
    )
    return failed(
        "storage.reachable",
        "; ".join(f"{k}: {v.describe()}" for k, v in broken.items()),
        fix,
    )


def check_webhook_secrets(secrets: Iterable[str]) -> CheckResult:
    name = "hr.webhook_secret"
    values = list(secrets)
    if not values:
        return failed(
            name,
            "HR_WEBHOOK_SECRETS is empty: every HR event would be refused",
            f"set HR_WEBHOOK_SECRETS to the HR system's whsec_ secret ({portal.APP_SETTINGS}, "
            "Key Vault reference)",
        )
    # Each secret's format and strength is checked once, where the settings are read
    # (shared.config): a weak one stops the app (and this CLI) before any check runs.
    plural = "s" if len(values) > 1 else ""
    return passed(name, f"{len(values)} secret{plural} configured")
