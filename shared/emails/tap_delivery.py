"""The TAP delivery email: the joiner's Temporary Access Pass, to their manager."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from shared.domain.directory import IssuedTap
from shared.domain.email import OutgoingEmail
from shared.emails.common import Locale, addresses, base_context
from shared.emails.render import render_html, render_text
from shared.rendering import Brand


def compose_tap_delivery(
    *,
    to: str | Sequence[str],
    tap: IssuedTap,
    joiner_name: str,
    hire_date: date,
    brand: Brand,
    manager_name: str | None = None,
    joiner_upn: str | None = None,
    language: str | None = None,
    time_zone: str | None = None,
) -> OutgoingEmail:
    """The manager's email carrying `tap.passcode`: once in the HTML body, once in the text body.

    `language` is the recipient's (the manager's) preference; `time_zone` the joiner's, in which
    the validity is shown. The subject never contains the passcode.
    """
    locale = Locale.pick(language, time_zone, brand)
    cat = locale.cat
    started = hire_date < tap.start.astimezone(locale.zone).date()
    hire_text = cat.date(hire_date)
    subject = locale.subject(
        "tap.subject_started" if started else "tap.subject", joiner=joiner_name, date=hire_text
    )
    context = {
        **base_context(locale, brand, subject, cat.text("tap.preheader", joiner=joiner_name)),
        "manager": manager_name,
        "joiner": joiner_name,
        "upn": joiner_upn,
        "intro_key": "tap.intro_started" if started else "tap.intro",
        "hire_date": hire_text,
        "passcode": tap.passcode,
        "start": cat.datetime(tap.start, locale.zone),
        "end": cat.datetime(tap.start + timedelta(minutes=tap.lifetime_minutes), locale.zone),
        "lifetime": cat.duration(tap.lifetime_minutes),
        "one_time": tap.one_time,
    }
    return OutgoingEmail(
        to=addresses(to),
        subject=subject,
        html=render_html("tap_delivery", context),
        text=render_text("tap_delivery", context),
        kind="tap_delivery",
    )
