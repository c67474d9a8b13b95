"""Render the admin digest and the error digest: HTML for Outlook and Gmail, plus plain text.

The environments and their guards are `shared.rendering`'s, the same as the emails': HTML is
autoescaped (display names come from the directory and are attacker-controlled), every value is
made free of CR/LF and bidi overrides, and the subject is header-safe. On top of that, every
outside value in the templates (plain text and HTML) goes through the `line` or `sentence`
filter, registered here once for both: `shared.report.safe_text`, the report's one path for
outside text (one line, no control or bidi characters, a length cap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.domain.campaign import PATH_LABELS, PATH_ORDER, NotEligible
from shared.domain.campaign_figures import WINDOWS_DAYS, ConversionRow, Funnel
from shared.domain.reasons import label as reason_label
from shared.rendering import Brand, RenderedEmail, TemplateFolder
from shared.report.activity import ActivitySummary
from shared.report.cohort import CohortFigures
from shared.report.failure import ReportFailure
from shared.report.figures import TenantFigures
from shared.report.safe_text import line, sentence
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


_FOLDER = TemplateFolder(
    _TEMPLATES,
    filters={
        "num": _num,
        "pct": _pct,
        "signed": _signed,
        "figure": _figure,
        "hours": _hours,
        # Outside text: names, identifiers and codes as `line`, longer free text as `sentence`.
        "line": line,
        "sentence": sentence,
        "method_label": lambda name: line(METHOD_LABELS.get(name, name)),
        "reason_label": lambda code: line(reason_label(code)),
    },
)


def _brand(brand: Brand) -> dict[str, str]:
    return {
        "company_name": brand.company_name,
        "logo_url": brand.logo_url,
        "support_contact": brand.support_contact,
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


CAMPAIGN_WAVES_SHOWN = 10  # the latest waves in the email; the snapshot and the API have all


def _conversion_cells(label: str, row: ConversionRow) -> dict[str, Any]:
    return {
        "label": label,
        "contacted": row.contacted,
        "within": [row.within[w] for w in WINDOWS_DAYS],
        "converted": row.converted,
        "median": "n/a" if row.median_days is None else f"{row.median_days:g}",
        "bounced": row.bounced,
        "opted_out": row.opted_out,
    }


def campaign_view(funnel: Funnel) -> dict[str, Any]:
    """The registration campaign's section: funnel first, then conversion per path and wave."""
    c = funnel.conversion
    eligible = [(PATH_LABELS[p], funnel.eligible.get(p, 0)) for p in PATH_ORDER]
    still = sum(n for _, n in eligible)
    contacted = c.total.contacted
    funnel_rows = [
        ("Still to convert (in scope, no target yet)", still),
        ("Written to at least once", contacted),
        ("Reached a target after an email", c.total.converted),
        ("Bounced", c.total.bounced),
        ("Opted out", c.total.opted_out),
    ]
    stopped = [
        (r.value.replace("_", " "), n) for r in NotEligible if (n := funnel.not_eligible.get(r, 0))
    ]
    waves = [
        _conversion_cells(f"wave {r.wave}, {(r.path.value if r.path else '').replace('_', ' ')}", r)
        for r in c.by_wave[-CAMPAIGN_WAVES_SHOWN:]
    ]
    return {
        "status": funnel.status.replace("_", " "),
        "started_on": funnel.started_on,
        "counted_at": funnel.counted_at,
        "capacity": funnel.capacity_per_day,
        "last_first_contact": funnel.last_first_contact_on,
        "eligible": eligible,
        "funnel": funnel_rows,
        "funnel_base": max([still + contacted, 1]),
        "stopped": stopped,
        "windows": WINDOWS_DAYS,
        "rows": [
            _conversion_cells("all paths", c.total),
            *(
                _conversion_cells(PATH_LABELS[r.path], r)
                for r in c.by_path
                if r.path is not None and (r.contacted or r.opted_out or r.bounced)
            ),
        ],
        "waves": waves,
        "more_waves": max(len(c.by_wave) - CAMPAIGN_WAVES_SHOWN, 0),
    }


def digest_subject(brand: Brand, tenant: TenantFigures, day: str) -> str:
    findings = len(tenant.admin_findings)
    head = (
        f"{findings} admin{'s' if findings != 1 else ''} without phishing-resistant sign-in"
        if findings
        else "no admin finding"
    )
    return (
        f"{brand.company_name} sign-in report {day}: {head}, "
        f"{tenant.passwordless_capable_pct:.0f}% passwordless-capable"
    )


def render_digest(
    *,
    brand: Brand,
    retention_days: int,
    tenant: TenantFigures,
    cohort: CohortFigures,
    trend: tuple[TrendRow, ...],
    generated_at: datetime,
    run_id: str,
    csv_note: str,
    setup_findings: Sequence[Mapping[str, str]] = (),
    activity: ActivitySummary | None = None,
    campaign: Funnel | None = None,
) -> RenderedEmail:
    """`setup_findings`: the doctor's failures and warnings ({check, status, found, fix}), shown
    first; `campaign`: the registration campaign's funnel and conversion (None: not shown)."""
    day = generated_at.date().isoformat()
    context: dict[str, Any] = {
        "title": f"Passwordless sign-in report, {day}",
        "subtitle": (
            f"{_num(tenant.users)} users · "
            f"{tenant.passwordless_capable_pct:.1f} % passwordless-capable"
        ),
        "accent": "#c62828" if tenant.admin_findings else "#2f6fde",
        "brand": _brand(brand),
        "tenant": tenant,
        "adoption": _adoption(tenant),
        "methods": tenant.methods_ranked(),
        "cohort": cohort,
        "trend": trend,
        "trend_days": TREND_DAYS,
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M"),
        "run_id": run_id,
        "csv_note": csv_note,
        "retention_days": retention_days,
        "max_named": MAX_NAMED,
        "setup_findings": list(setup_findings),
        "activity": activity,
        "campaign": campaign_view(campaign) if campaign is not None else None,
    }
    return _FOLDER.render("digest", subject=digest_subject(brand, tenant, day), context=context)


def render_error_digest(
    *, brand: Brand, failure: ReportFailure, generated_at: datetime, run_id: str
) -> RenderedEmail:
    day = generated_at.date().isoformat()
    context: dict[str, Any] = {
        "title": f"Sign-in report failed, {day}",
        "subtitle": failure.headline,
        "accent": "#c62828",
        "brand": _brand(brand),
        "failure": failure,
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M"),
        "run_id": run_id,
    }
    subject = f"{brand.company_name} sign-in report FAILED {day}: {failure.headline.rstrip('.')}"
    return _FOLDER.render("error", subject=subject, context=context)
