"""Render the admin digest and the error digest: HTML for Outlook and Gmail, plus plain text.

HTML templates are autoescaped (display names come from the directory and are attacker-
controlled); the text templates are not, since plain text has no markup to inject into.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from shared.config import Settings
from shared.report.cohort import CohortFigures
from shared.report.failure import ReportFailure
from shared.report.figures import TenantFigures
from shared.report.trend import TREND_DAYS, TrendRow

_TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_NAMED = 25  # rows per named list in the email; the CSV and the snapshot have them all

METHOD_LABELS = {
    "microsoftAuthenticatorPush": "Microsoft Authenticator (push)",
    "microsoftAuthenticatorPasswordless": "Microsoft Authenticator (passwordless)",
    "passKeyDeviceBound": "Passkey (device-bound)",
    "passKeyDeviceBoundAuthenticator": "Passkey in Microsoft Authenticator",
    "passKeyDeviceBoundWindowsHello": "Passkey in Windows Hello",
    "passKeySynced": "Passkey (synced)",
    "fido2SecurityKey": "FIDO2 security key",
    "fido2": "FIDO2 security key",
    "windowsHelloForBusiness": "Windows Hello for Business",
    "macOsSecureEnclaveKey": "macOS Platform SSO key",
    "softwareOneTimePasscode": "Authenticator app code (TOTP)",
    "hardwareOneTimePasscode": "Hardware token code",
    "mobilePhone": "Mobile phone (SMS/voice)",
    "alternateMobilePhone": "Alternate mobile phone",
    "officePhone": "Office phone",
    "email": "Email",
    "securityQuestion": "Security questions",
    "temporaryAccessPass": "Temporary Access Pass",
    "sms": "SMS",
}

REASON_LABELS = {
    "admin_role": "account holds an admin role",
    "guest_account": "guest account",
    "account_disabled": "account disabled",
    "already_enrolled": "already had a strong method",
    "account_too_old": "account older than the joiner window",
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def _num(value: float) -> str:
    return f"{value:,.0f}"


def _pct(value: float) -> str:
    return f"{value:.1f} %"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+g}"


def _figure(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.1f}"


def _hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=_num,
        pct=_pct,
        signed=_signed,
        figure=_figure,
        hours=_hours,
        method_label=lambda name: METHOD_LABELS.get(name, name),
        reason_label=lambda reason: REASON_LABELS.get(reason, reason.replace("_", " ")),
    )
    return env


_HTML = _environment(autoescape=True)
_TEXT = _environment(autoescape=False)


def _brand(settings: Settings) -> dict[str, str]:
    return {
        "company_name": settings.brand_company_name,
        "logo_url": settings.brand_logo_url,
        "support_contact": settings.brand_support_contact,
    }


def _adoption(tenant: TenantFigures) -> list[tuple[str, int, float, str]]:
    return [
        (
            "Passwordless-capable",
            tenant.passwordless_capable,
            tenant.passwordless_capable_pct,
            "#2e7d32",
        ),
        (
            "Phishing-resistant method",
            tenant.phishing_resistant,
            tenant.phishing_resistant_pct,
            "#2e7d32",
        ),
        ("MFA-capable", tenant.mfa_capable, tenant.mfa_capable_pct, "#2f6fde"),
        ("MFA-registered", tenant.mfa_registered, tenant.mfa_registered_pct, "#2f6fde"),
        ("SSPR-registered", tenant.sspr_registered, tenant.sspr_registered_pct, "#2f6fde"),
    ]


def digest_subject(settings: Settings, tenant: TenantFigures, day: str) -> str:
    findings = len(tenant.admin_findings)
    head = (
        f"{findings} admin{'s' if findings != 1 else ''} without phishing-resistant sign-in"
        if findings
        else "no admin finding"
    )
    return (
        f"{settings.brand_company_name} sign-in report {day}: {head}, "
        f"{tenant.passwordless_capable_pct:.0f}% passwordless-capable"
    )


def render_digest(
    settings: Settings,
    *,
    tenant: TenantFigures,
    cohort: CohortFigures,
    trend: tuple[TrendRow, ...],
    generated_at: datetime,
    run_id: str,
    csv_note: str,
    setup_findings: Sequence[Mapping[str, str]] = (),
) -> RenderedEmail:
    """`setup_findings`: the doctor's failures and warnings ({check, status, found, fix}), shown first."""
    day = generated_at.date().isoformat()
    context: dict[str, Any] = {
        "title": f"Passwordless sign-in report, {day}",
        "subtitle": (
            f"{_num(tenant.users)} users · "
            f"{tenant.passwordless_capable_pct:.1f} % passwordless-capable"
        ),
        "accent": "#c62828" if tenant.admin_findings else "#2f6fde",
        "brand": _brand(settings),
        "tenant": tenant,
        "adoption": _adoption(tenant),
        "methods": tenant.methods_ranked(),
        "cohort": cohort,
        "trend": trend,
        "trend_days": TREND_DAYS,
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M"),
        "run_id": run_id,
        "csv_note": csv_note,
        "retention_days": settings.report_retention_days,
        "max_named": MAX_NAMED,
        "setup_findings": list(setup_findings),
    }
    return RenderedEmail(
        subject=digest_subject(settings, tenant, day),
        html=_HTML.get_template("digest.html.j2").render(context),
        text=_TEXT.get_template("digest.txt.j2").render(context),
    )


def render_error_digest(
    settings: Settings, failure: ReportFailure, *, generated_at: datetime, run_id: str
) -> RenderedEmail:
    day = generated_at.date().isoformat()
    context: dict[str, Any] = {
        "title": f"Sign-in report failed, {day}",
        "subtitle": failure.headline,
        "accent": "#c62828",
        "brand": _brand(settings),
        "failure": failure,
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M"),
        "run_id": run_id,
    }
    return RenderedEmail(
        subject=(
            f"{settings.brand_company_name} sign-in report FAILED {day}: "
            f"{failure.headline.rstrip('.')}"
        ),
        html=_HTML.get_template("error.html.j2").render(context),
        text=_TEXT.get_template("error.txt.j2").render(context),
    )
