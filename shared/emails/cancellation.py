"""The manager's notice that HR withdrew an offer: what Tapstart took back, what to delete.

No pass is ever in it (there is none left to give); HR's reason is free text, escaped by the
rendering layer like every other value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from shared.domain.email import OutgoingEmail
from shared.emails.common import Locale, addresses, base_context
from shared.emails.render import render_html, render_text
from shared.rendering import Brand


def compose_cancellation_notice(
    *,
    to: str | Sequence[str],
    joiner_name: str,
    hire_date: date,
    brand: Brand,
    reason: str | None = None,
    tap_retired: bool = False,
    tap_was_delivered: bool = False,
    groups_removed: int = 0,
    manager_name: str | None = None,
    joiner_upn: str | None = None,
    language: str | None = None,
    cc: Sequence[str] = (),
) -> OutgoingEmail:
    locale = Locale.pick(language, None, brand)
    cat = locale.cat
    subject = locale.subject("cancel.subject", joiner=joiner_name)
    context = {
        **base_context(locale, brand, subject, cat.text("cancel.preheader")),
        "manager": manager_name,
        "joiner": joiner_name,
        "upn": joiner_upn,
        "hire_date": cat.date(hire_date),
        "reason": (reason or "").strip(),
        "tap_retired": tap_retired,
        "tap_was_delivered": tap_was_delivered,
        "groups_removed": groups_removed,
    }
    return OutgoingEmail(
        to=addresses(to),
        cc=addresses(cc),
        subject=subject,
        html=render_html("manager_cancellation", context),
        text=render_text("manager_cancellation", context),
        kind="cancellation",
    )
