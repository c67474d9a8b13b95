"""The reminder email: a nudge to a joiner who has not reached a passwordless target yet.

What it asks for follows the joiner's stage (`Nudge`, from `shared.domain.passwordless`): sign
in with the pass and set up a target, get a new pass, turn on phone sign-in, or add a passkey.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from shared.domain.email import OutgoingEmail
from shared.domain.passwordless import DEFAULT_TARGETS, Nudge, Target
from shared.emails.common import (
    SECURITY_INFO_URL,
    Locale,
    Routes,
    addresses,
    base_context,
    describe_targets,
)
from shared.emails.render import render_html, render_text
from shared.rendering import Brand

# A list of catalogue texts for a template to show in order: (key, the key's values).
Items = list[tuple[str, Mapping[str, object]]]


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


def _passkey_steps(*, with_pass: bool, install: bool) -> Items:
    url = {"url": SECURITY_INFO_URL}
    steps: Items = [("steps.1", {})] if install else []
    steps.append(("passkey.sign_in_pass" if with_pass else "passkey.sign_in", url))
    steps += [("passkey.add", {}), ("passkey.prompts", {})]
    return steps


def _phone_on_steps(upn: str | None) -> Items:
    second: tuple[str, Mapping[str, object]] = (
        ("phone_on.2", {"upn": upn}) if upn else ("phone_on.2_no_account", {})
    )
    return [("phone_on.1", {}), second, ("phone_on.3", {}), ("phone_on.4", {})]


def _notes(nudge: Nudge, routes: Routes, one_time: bool | None, company: str) -> Items:
    url = {"url": SECURITY_INFO_URL}
    notes: Items = []
    if nudge in (Nudge.USE_PASS, Nudge.PASS_LAPSED):
        if one_time is True:
            notes.append(("reminder.note.one_time", {}))
        elif one_time is False:
            notes.append(("reminder.note.multi_use", {}))
        notes.append(("reminder.note.qr", url))
    if routes.phone_sign_in and nudge is not Nudge.ADD_PASSKEY:
        notes.append(("reminder.note.registration", {"company": company}))
        notes.append(("reminder.note.default_method", url))
    return notes


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
    tap_one_time: bool | None = None,
    nudge: Nudge = Nudge.USE_PASS,
    targets: Sequence[Target] = DEFAULT_TARGETS,
    language: str | None = None,
    time_zone: str | None = None,
) -> OutgoingEmail:
    """The reminder for `slot` (1-based); `is_last` makes it the final reminder.

    `nudge` is what the joiner needs to do next (`Nudge.NONE` has nothing to remind of and
    raises `ValueError`); `targets` are the methods that count as done, and decide which ways
    the email offers. `tap_status` and `tap_valid_until` describe the pass for `USE_PASS` and
    `PASS_LAPSED`; `tap_one_time` (None: not known) adds the one-sitting note. Neither the
    subject nor the preheader ever carries anything from the pass.
    """
    if nudge is Nudge.NONE:
        raise ValueError("no reminder for a joiner who reached a target (Nudge.NONE)")
    routes = Routes.of(targets)
    locale = Locale.pick(language, time_zone, brand)
    cat = locale.cat
    tone = reminder_tone(slot, is_last)
    if tap_status is TapStatus.VALID and (tap_valid_until is None or nudge is Nudge.PASS_LAPSED):
        tap_status = TapStatus.UNKNOWN
    subject = locale.subject(f"reminder.subject.{nudge.value}.{tone}", company=brand.company_name)
    preheader = cat.text(f"reminder.preheader.{nudge.value}")
    manager_phrase = (
        cat.text("reminder.manager_named", name=manager_name)
        if manager_name
        else cat.text("reminder.manager_unnamed")
    )
    setup = nudge in (Nudge.USE_PASS, Nudge.PASS_LAPSED)
    if setup:
        # With phone sign-in allowed, a passkey is the alternative and Authenticator is
        # already installed by then; without it, the passkey is the way in.
        passkey_steps = _passkey_steps(with_pass=True, install=not routes.phone_sign_in)
    else:
        passkey_steps = _passkey_steps(with_pass=False, install=False)
    context = {
        **base_context(locale, brand, subject, preheader),
        "joiner": joiner_name,
        "upn": joiner_upn,
        "tone": tone,
        "nudge": nudge.value,
        "setup": setup,
        "stuck_key": f"reminder.stuck.{nudge.value}" if is_last else None,
        "routes": routes,
        "any_passkey": routes.passkey is not None,
        "security_key": routes.passkey is Target.PASSKEY,
        "targets_text": describe_targets(cat, routes),
        "passkey_steps": passkey_steps,
        "phone_on_steps": _phone_on_steps(joiner_upn),
        "notes": _notes(nudge, routes, tap_one_time, brand.company_name),
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
