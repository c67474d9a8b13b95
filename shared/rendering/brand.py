"""What the emails and the report take from settings: branding and the house defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.config import Settings

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The settings' default support contact is English prose: the report shows it as is, the
# emails say it in their own language.
DEFAULT_SUPPORT_CONTACT = Settings.specs()["brand_support_contact"].default


@dataclass(frozen=True)
class Brand:
    company_name: str = "Contoso"
    logo_url: str = ""
    support_contact: str = ""  # free text: an address, a phone number, a portal; "" = generic
    default_language: str = "en"
    default_time_zone: str = "UTC"

    @classmethod
    def from_settings(cls, settings: Settings) -> Brand:
        return cls(
            company_name=settings.brand_company_name,
            logo_url=settings.brand_logo_url,
            support_contact=settings.brand_support_contact,
            default_language=settings.default_language,
            default_time_zone=settings.default_time_zone,
        )

    @property
    def has_custom_support(self) -> bool:
        return self.support_contact.strip() not in {"", DEFAULT_SUPPORT_CONTACT}

    @property
    def support_email(self) -> str | None:
        """The support contact when it is an address (the HTML links it with mailto:)."""
        contact = self.support_contact.strip()
        return contact if _EMAIL.match(contact) else None
