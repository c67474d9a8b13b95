"""The reminder email: a nudge to a joiner who has not enrolled yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from shared.domain.email import OutgoingEmail
from shared.emails.common import Locale, addresses, base_context
from shared.emails.render import render_html, render_text
from shared.rendering import Brand


class TapStatus(StrEnum):
    """What the reminder can say about the joiner's pass."""

    VALID = "valid"  # still usable; `tap_valid_until` says until when
    UNKNOWN = "unknown"  # expired or used, as far as we know: ask the manager or support
    REISSUED = "reissued"  # a fresh TAP went to the manager together with this reminder


def reminder_tone(slot: int, is_last: bool) -> str:
    """first | followup | final: the later the reminder, the more direct its wording."""
    if is_last:
        return "final"
    return "first" if slot <= 1 else "followup"


def compose_reminder(
    *,
    to: str | Sequence[str],
    slot: int,
    is_last: bool,
    brand: Brand,
    cc: Sequence[str] = (),
    joiner_name: str | None = None,
    joiner_upn: str | None = None,
    manager_name: str | None = None,
    tap_status: TapStatus = TapStatus.UNKNOWN,
    tap_valid_until: datetime | None = None,
    language: str | None = None,
    time_zone: str | None = None,
) -> OutgoingEmail:
    """The reminder for `slot` (1-based); `is_last` makes it the final reminder."""
    locale = Locale.pick(language, time_zone, brand)
    cat = locale.cat
    tone = reminder_tone(slot, is_last)
    if tap_status is TapStatus.VALID and tap_valid_until is None:
        tap_status = TapStatus.UNKNOWN
    subject = locale.subject(f"reminder.subject.{tone}", company=brand.company_name)
    manager_phrase = (
        cat.text("reminder.manager_named", name=manager_name)
        if manager_name
        else cat.text("reminder.manager_unnamed")
    )
    context = {
        **base_context(locale, brand, subject, cat.text("reminder.preheader")),
        "joiner": joiner_name,
        "upn": joiner_upn,
        "tone": tone,
        "manager_phrase": manager_phrase,
        "tap_status": tap_status.value,
        "tap_valid_until": cat.datetime(tap_valid_until, locale.zone) if tap_valid_until else "",
    }
    return OutgoingEmail(
        to=addresses(to),
        cc=addresses(cc),
        subject=subject,
        html=render_html("reminder", context),
        text=render_text("reminder", context),
        kind="reminder",
    )
