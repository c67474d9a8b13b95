"""The manager's final notice: the reminders ran out and the joiner has still not enrolled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from shared.domain.email import OutgoingEmail
from shared.emails.common import Locale, addresses, base_context
from shared.emails.render import render_html, render_text
from shared.rendering import Brand


def compose_manager_final_notice(
    *,
    to: str | Sequence[str],
    joiner_name: str,
    hire_date: date,
    reminders_sent: int,
    brand: Brand,
    manager_name: str | None = None,
    joiner_upn: str | None = None,
    language: str | None = None,
    cc: Sequence[str] = (),
) -> OutgoingEmail:
    locale = Locale.pick(language, None, brand)
    cat = locale.cat
    subject = locale.subject("final.subject", joiner=joiner_name)
    context = {
        **base_context(locale, brand, subject, cat.text("final.preheader", joiner=joiner_name)),
        "manager": manager_name,
        "joiner": joiner_name,
        "upn": joiner_upn,
        "hire_date": cat.date(hire_date),
        "reminders_sent": reminders_sent,
    }
    return OutgoingEmail(
        to=addresses(to),
        cc=addresses(cc),
        subject=subject,
        html=render_html("manager_final_notice", context),
        text=render_text("manager_final_notice", context),
        kind="notice",
    )
