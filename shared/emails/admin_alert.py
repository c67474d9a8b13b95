"""The admin alert: something stopped a joiner (poison message, flood cap, no account ...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from shared.domain.email import OutgoingEmail
from shared.domain.reasons import Reason, admin_alert_reasons
from shared.emails.common import Locale, addresses, base_context
from shared.emails.render import render_html, render_text
from shared.rendering import Brand

# Codes that reach an alert with the generic texts (`alert.generic.*`) on purpose: the alert
# still names the code, and its details carry the error; rarer than the ones explained below.
# To explain one, give it `alert.<code>.title/what/todo` in every locale and drop it here.
GENERIC_TEXT_REASONS = frozenset(
    {
        Reason.GUEST_ACCOUNT,
        Reason.GROUP_IS_DYNAMIC,
        Reason.TAP_POLICY_DISABLED,
        Reason.TAP_POLICY_EXCLUDES_USER,
        Reason.TAP_POLICY_DISALLOWS,
        Reason.TAP_LIFETIME_REJECTED,
        Reason.TAP_CREATE_FAILED,
        Reason.USER_NOT_FOUND,
        Reason.EMAIL_REJECTED,
        Reason.GRAPH_FORBIDDEN,
        Reason.GRAPH_ERROR,
        Reason.REMINDER_FAILED,
    }
)
# Every other code that can reach an alert has its own texts (a test checks each locale).
EXPLAINED_REASONS = frozenset(admin_alert_reasons()) - GENERIC_TEXT_REASONS


def compose_admin_alert(
    *,
    to: str | Sequence[str],
    reason: str,
    occurred_at: datetime,
    brand: Brand,
    tracking_id: str | None = None,
    details: Mapping[str, str] | None = None,
    language: str | None = None,
) -> OutgoingEmail:
    """An alert for `reason` (a reason code). `details` are shown verbatim (escaped) as a table.

    Callers put ids, counts and queue names in `details`: never a TAP, never an HR payload.
    """
    locale = Locale.pick(language, None, brand)
    cat = locale.cat
    reason_key = f"alert.{reason}" if reason in EXPLAINED_REASONS else "alert.generic"
    title = cat.text(f"{reason_key}.title")
    subject = locale.subject("alert.subject", title=title, reason=reason)
    facts = [
        (cat.text("alert.label.what"), cat.text(f"{reason_key}.what")),
        (cat.text("alert.label.reason"), reason),
        (cat.text("alert.label.when"), cat.datetime(occurred_at, locale.zone)),
    ]
    if tracking_id:
        facts.append((cat.text("alert.label.tracking"), tracking_id))
    facts.append((cat.text("alert.label.todo"), cat.text(f"{reason_key}.todo")))
    context = {
        **base_context(locale, brand, subject, cat.text("alert.preheader", title=title)),
        "reason_key": reason_key,
        "facts": facts,
        "details": sorted((details or {}).items()),
    }
    return OutgoingEmail(
        to=addresses(to),
        subject=subject,
        html=render_html("admin_alert", context),
        text=render_text("admin_alert", context),
        kind="alert",
    )
