"""The registration campaign's email: one user who has not reached a passwordless target yet,
and the way that fits what they have registered (`CampaignPath`).

- `in_app`: they already confirm sign-ins with SMS, a call or an app code — Authenticator, "+",
  work account, sign in with the password and that method, turn on phone sign-in (no pass);
- `turn_on_phone_sign_in`: Authenticator is there — the one setting that is left;
- `tap_path`: nothing strong — ask the manager or the service desk for a Temporary Access Pass,
  handed over in person or by phone; the email never carries one.

With passkeys as the only targets, the same paths end in "add a passkey" instead. Every path
carries the guide's caveats (one work account's phone sign-in per phone; a registration that
asks for MFA first is satisfied by the current method or a TAP) and a line naming the service
desk for who wants no more of these emails. Branded, localized, plain text and HTML as the
other emails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.domain.campaign import CampaignPath
from shared.domain.email import OutgoingEmail
from shared.domain.passwordless import DEFAULT_TARGETS, Target
from shared.emails.common import SECURITY_INFO_URL, Locale, Routes, addresses, base_context
from shared.emails.reminder import reminder_tone
from shared.emails.render import render_html, render_text
from shared.rendering import Brand

Items = list[tuple[str, Mapping[str, object]]]


def _account(upn: str | None, key: str) -> tuple[str, Mapping[str, object]]:
    return (key, {"upn": upn}) if upn else (f"{key}_no_account", {})


def _passkey(sign_in: str, install: bool) -> Items:
    url = {"url": SECURITY_INFO_URL}
    steps: Items = [("steps.1", {})] if install else []
    return [*steps, (sign_in, url), ("passkey.add", {}), ("passkey.prompts", {})]


def _content(path: CampaignPath, routes: Routes, upn: str | None) -> dict[str, object]:
    """The lead, the heading and the steps of a path, as catalogue keys."""
    phone = routes.phone_sign_in
    passkey = routes.passkey is not None
    alternative: Items = []
    if path is CampaignPath.TURN_ON_PHONE_SIGN_IN:
        if phone:
            lead, heading = "reminder.lead.turn_on_phone_sign_in", "phone_on.heading"
            steps: Items = [
                ("phone_on.1", {}),
                _account(upn, "phone_on.2"),
                ("phone_on.3", {}),
                ("phone_on.4", {}),
            ]
            if passkey:
                alternative = _passkey("campaign.passkey.sign_in", install=False)
        else:
            lead, heading = "reminder.lead.add_passkey", "passkey.heading"
            steps = _passkey("campaign.passkey.sign_in", install=False)
    elif path is CampaignPath.IN_APP:
        lead = "campaign.lead.in_app"
        if phone:
            heading = "campaign.in_app.heading"
            steps = [
                ("steps.1", {}),
                ("steps.2", {}),
                _account(upn, "steps.3"),
                ("campaign.in_app.sign_in", {}),
                ("steps.5", {}),
                ("steps.6", {}),
            ]
            if passkey:
                alternative = _passkey("campaign.passkey.sign_in", install=False)
        else:
            heading = "passkey.heading"
            steps = _passkey("campaign.passkey.sign_in", install=True)
    else:
        lead, heading = "campaign.lead.tap_path", "steps.heading_you"
        if phone:
            steps = [
                ("steps.1", {}),
                ("steps.2", {}),
                _account(upn, "steps.3"),
                ("steps.4", {}),
                ("steps.5", {}),
                ("steps.6", {}),
            ]
            if passkey:
                alternative = _passkey("passkey.sign_in_pass", install=False)
        else:
            steps = _passkey("passkey.sign_in_pass", install=True)
    return {"lead": lead, "heading": heading, "steps": steps, "alternative": alternative}


def _notes(path: CampaignPath, routes: Routes, company: str) -> Items:
    notes: Items = []
    if routes.phone_sign_in:
        notes.append(("phone_on.one_account", {}))
        notes.append(("reminder.note.registration", {"company": company}))
    notes.append(("campaign.note.security_info", {}))
    if path is CampaignPath.TAP_PATH:
        notes.append(("reminder.never_share", {"company": company}))
    return notes


def compose_campaign_email(
    *,
    to: str | Sequence[str],
    path: CampaignPath,
    step: int,
    is_last: bool,
    brand: Brand,
    cc: Sequence[str] = (),
    user_name: str | None = None,
    upn: str | None = None,
    manager_name: str | None = None,
    targets: Sequence[Target] = DEFAULT_TARGETS,
    language: str | None = None,
    time_zone: str | None = None,
) -> OutgoingEmail:
    """Campaign email `step` (1-based) on `path`; `is_last` makes it the last one."""
    routes = Routes.of(targets)
    locale = Locale.pick(language, time_zone, brand)
    cat = locale.cat
    tone = reminder_tone(step, is_last)
    subject = locale.subject(f"campaign.subject.{path.value}.{tone}", company=brand.company_name)
    preheader = cat.text(f"campaign.preheader.{path.value}")
    manager_phrase = (
        cat.text("reminder.manager_named", name=manager_name)
        if manager_name
        else cat.text("reminder.manager_unnamed")
    )
    extras: Items = []
    if routes.passkey is Target.PASSKEY:
        extras.append(("passkey.security_key", {}))
    if routes.windows_hello:
        extras.append(("reminder.windows_hello", {}))
    context = {
        **base_context(locale, brand, subject, preheader),
        **_content(path, routes, upn),
        "user": user_name,
        "tone": tone,
        "path": path.value,
        "manager_phrase": manager_phrase,
        "extras": extras,
        "notes": _notes(path, routes, brand.company_name),
    }
    return OutgoingEmail(
        to=addresses(to),
        cc=addresses(cc),
        subject=subject,
        html=render_html("campaign", context),
        text=render_text("campaign", context),
        kind="campaign",
    )
