"""The manager's final notice: the reminders ran out and the joiner has still not enrolled.

With `stuck_at` (the joiner's `Stage`) it names where the joiner is stuck and what helps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from shared.domain.email import OutgoingEmail
from shared.domain.passwordless import DEFAULT_TARGETS, Stage, Target
from shared.emails.common import Locale, Routes, addresses, base_context
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
    stuck_at: Stage | None = None,
    targets: Sequence[Target] = DEFAULT_TARGETS,
) -> OutgoingEmail:
    """`stuck_at` adds where the joiner is stuck and its fix (None: the stage is not known).

    `targets` only shape the fix at `Stage.AUTHENTICATOR`: phone sign-in when it is a target
    (a passkey named as the alternative when one is), else a passkey.
    """
    routes = Routes.of(targets)
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
        "stage_key": _stage_key(stuck_at, routes),
        "or_passkey": stuck_at is Stage.AUTHENTICATOR
        and routes.phone_sign_in
        and routes.passkey is not None,
    }
    return OutgoingEmail(
        to=addresses(to),
        cc=addresses(cc),
        subject=subject,
        html=render_html("manager_final_notice", context),
        text=render_text("manager_final_notice", context),
        kind="notice",
    )


def _stage_key(stage: Stage | None, routes: Routes) -> str | None:
    """The suffix of `final.stage.*` / `final.fix.*` for `stage`."""
    if stage is None:
        return None
    if stage is Stage.AUTHENTICATOR and not routes.phone_sign_in:
        return "authenticator_passkey"
    return stage.value
