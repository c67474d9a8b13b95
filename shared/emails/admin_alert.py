"""The admin alert: something stopped a joiner (poison message, flood cap, no account ...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from shared.domain.email import OutgoingEmail
from shared.emails.brand import Brand
from shared.emails.common import Locale, addresses, base_context
from shared.emails.render import render_html, render_text

# Reason codes with their own explanation; any other code gets the generic one (and is shown).
KNOWN_REASONS = (
    "poison_message",
    "flood_cap_reached",
    "user_not_provisioned",
    "no_delivery_address",
)


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
    reason_key = f"alert.{reason}" if reason in KNOWN_REASONS else "alert.generic"
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
