"""What the four emails share: recipient checks, the locale, and the base template context."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from shared.domain.passwordless import Target
from shared.domain.quiet_hours import recipient_zone
from shared.emails.i18n import Catalogue, catalogue, negotiate
from shared.rendering import Brand, header_safe, one_line

SECURITY_INFO_URL = "https://mysignins.microsoft.com/security-info"
MY_SIGNINS_URL = "https://mysignins.microsoft.com/"

_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")

# Inline styles, one place: mail clients ignore <style> blocks too often to rely on them.
# Markup because they are ours: escaping would only turn their quotes into entities.
STYLE = {
    name: Markup(css)
    for name, css in {
        "font": "font-family:'Segoe UI',Helvetica,Arial,sans-serif;",
        "p": "margin:0 0 14px 0;",
        "h2": "margin:22px 0 10px 0;font-size:17px;line-height:24px;color:#111827;",
        "li": "margin:0 0 8px 0;",
        "link": "color:#0f6cbd;text-decoration:underline;",
        "accent": "#0f6cbd",
    }.items()
}


def addresses(value: str | Sequence[str]) -> tuple[str, ...]:
    """Recipients as a tuple, each one plain address (nothing a header could be split at)."""
    items = (value,) if isinstance(value, str) else tuple(value)
    for item in items:
        if not _ADDRESS.match(item):
            raise ValueError("not a single plain email address: " + repr(one_line(item)[:80]))
    return items


@dataclass(frozen=True)
class Locale:
    cat: Catalogue
    zone: ZoneInfo

    @classmethod
    def pick(cls, language: str | None, time_zone: str | None, brand: Brand) -> Locale:
        return cls(
            catalogue(negotiate(language, brand.default_language)),
            recipient_zone(time_zone, brand.default_time_zone),
        )

    def support(self, brand: Brand) -> str:
        if brand.has_custom_support:
            return brand.support_contact.strip()
        return self.cat.text("common.support_default")

    def subject(self, key: str, **values: object) -> str:
        clean = {k: header_safe(v) if isinstance(v, str) else v for k, v in values.items()}
        return header_safe(self.cat.text(key, **clean))


@dataclass(frozen=True)
class Routes:
    """Which ways to the finish line the configured targets allow, as the emails explain them.

    `passkey` is the passkey target to describe: `passkey` (any passkey, a security key too)
    wins over `authenticator_passkey`, which it includes.
    """

    phone_sign_in: bool
    passkey: Target | None
    windows_hello: bool

    @classmethod
    def of(cls, targets: Sequence[Target]) -> Routes:
        if not targets:
            raise ValueError("name at least one target method")
        passkey = next(
            (t for t in (Target.PASSKEY, Target.AUTHENTICATOR_PASSKEY) if t in targets), None
        )
        return cls(Target.PHONE_SIGN_IN in targets, passkey, Target.WINDOWS_HELLO in targets)

    def shown(self) -> tuple[Target, ...]:
        """The targets as the emails name them, phone sign-in first."""
        return tuple(
            t
            for t, on in (
                (Target.PHONE_SIGN_IN, self.phone_sign_in),
                (self.passkey, self.passkey is not None),
                (Target.WINDOWS_HELLO, self.windows_hello),
            )
            if on and t is not None
        )


def describe_targets(cat: Catalogue, routes: Routes) -> str:
    """ "phone sign-in in Microsoft Authenticator or a passkey (...)", in the catalogue's words."""
    names = [cat.text(f"targets.{t.value}") for t in routes.shown()]
    if len(names) == 1:
        return names[0]
    return cat.text(
        "targets.or", first=cat.text("targets.separator").join(names[:-1]), last=names[-1]
    )


def base_context(locale: Locale, brand: Brand, subject: str, preheader: str) -> dict[str, Any]:
    return {
        "cat": locale.cat,
        "lang": locale.cat.language,
        "brand": brand,
        "support": locale.support(brand),
        "support_email": brand.support_email,
        "subject": subject,
        "preheader": preheader,
        "links": {"my_signins": MY_SIGNINS_URL, "security_info": SECURITY_INFO_URL},
        "style": STYLE,
    }
