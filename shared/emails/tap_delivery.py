"""The TAP delivery email: the joiner's Temporary Access Pass, to their manager."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from shared.domain.directory import IssuedTap
from shared.domain.email import OutgoingEmail
from shared.emails.common import SECURITY_INFO_URL, Locale, addresses, base_context
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
    start_moved: bool = False,
) -> OutgoingEmail:
    """The manager's email carrying `tap.passcode`: once in the HTML body, once in the text body.

    `language` is the recipient's (the manager's) preference; `time_zone` the joiner's, in which
    the validity is shown. The subject never contains the passcode. The hand-over notes add
    "one sitting" for a one-time pass, the QR-code way, what device registration is, and where
    the default sign-in method is changed. `start_moved`: the pass replaces one sent for an
    earlier start date, which no longer works (one email says both).
    """
    locale = Locale.pick(language, time_zone, brand)
    cat = locale.cat
    started = hire_date < tap.start.astimezone(locale.zone).date()
    hire_text = cat.date(hire_date)
    variant = "moved" if start_moved else "started" if started else ""
    subject = locale.subject(
        f"tap.subject_{variant}" if variant else "tap.subject", joiner=joiner_name, date=hire_text
    )
    context = {
        **base_context(locale, brand, subject, cat.text("tap.preheader", joiner=joiner_name)),
        "manager": manager_name,
        "joiner": joiner_name,
        "upn": joiner_upn,
        "intro_key": f"tap.intro_{variant}" if variant else "tap.intro",
        "hire_date": hire_text,
        "passcode": tap.passcode,
        "start": cat.datetime(tap.start, locale.zone),
        "end": cat.datetime(tap.start + timedelta(minutes=tap.lifetime_minutes), locale.zone),
        "lifetime": cat.duration(tap.lifetime_minutes),
        "one_time": tap.one_time,
        "notes": _notes(tap.one_time, joiner_name, brand.company_name),
    }
    return OutgoingEmail(
        to=addresses(to),
        subject=subject,
        html=render_html("tap_delivery", context),
        text=render_text("tap_delivery", context),
        kind="tap_delivery",
    )


def _notes(one_time: bool, joiner: str, company: str) -> list[tuple[str, dict[str, object]]]:
    notes: list[tuple[str, dict[str, object]]] = []
    if one_time:
        notes.append(("tap.note.one_time", {"joiner": joiner}))
    notes += [
        ("tap.note.qr", {"joiner": joiner, "url": SECURITY_INFO_URL}),
        ("tap.note.registration", {"company": company}),
        ("tap.note.default_method", {"joiner": joiner}),
    ]
    return notes
