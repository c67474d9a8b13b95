"""Settings of one emulator run: key, linked sender domains, limits and timing."""

from __future__ import annotations

import base64
import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# Not a secret: a fixed key so that local settings and docs can name it. It only opens the
# emulator, which listens on loopback.
WELL_KNOWN_ACCESS_KEY = base64.b64encode(b"tapstart-local-acs-email-emulator-key").decode()

SUPPORTED_API_VERSIONS = frozenset({"2023-03-31", "2024-07-01-preview", "2025-09-01"})

# `contoso.example` for the app's settings; `*.azurecomm.net` because an Azure-managed domain
# is always `<guid>.azurecomm.net` and samples use it.
DEFAULT_SENDER_DOMAINS: tuple[str, ...] = ("contoso.example", "*.azurecomm.net")

# ACS answers requests whose x-ms-date is further than this from its clock with 401.
DATE_WINDOW_SECONDS = 15 * 60

MAX_RECIPIENTS = 50
MAX_REQUEST_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Requests allowed per sliding window; `None` means unlimited."""

    per_minute: int | None
    per_hour: int | None
    status_per_minute: int | None
    status_per_hour: int | None

    def as_json(self) -> dict[str, int | None]:
        return {
            "perMinute": self.per_minute,
            "perHour": self.per_hour,
            "statusPerMinute": self.status_per_minute,
            "statusPerHour": self.status_per_hour,
        }

    def updated(self, body: dict[str, Any]) -> Limits:
        """These limits with the camelCase fields present in a control request replaced."""
        names = {
            "perMinute": "per_minute",
            "perHour": "per_hour",
            "statusPerMinute": "status_per_minute",
            "statusPerHour": "status_per_hour",
        }
        changes: dict[str, int | None] = {}
        for key, attr in names.items():
            if key not in body:
                continue
            value = body[key]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{key} must be a non-negative integer or null")
            if value is not None and value < 0:
                raise ValueError(f"{key} must be a non-negative integer or null")
            changes[attr] = value
        return replace(self, **changes)


# Service limits for email (per subscription), from the ACS service-limits page.
PROFILES: dict[str, Limits] = {
    "custom": Limits(per_minute=30, per_hour=100, status_per_minute=60, status_per_hour=200),
    "managed": Limits(per_minute=5, per_hour=10, status_per_minute=10, status_per_hour=20),
}


@dataclass(frozen=True)
class EmulatorConfig:
    outbox_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    access_key: str = WELL_KNOWN_ACCESS_KEY
    sender_domains: tuple[str, ...] = DEFAULT_SENDER_DOMAINS
    profile: str = "custom"
    limits: Limits = field(default_factory=lambda: PROFILES["custom"])
    # How long an accepted operation stays Running before it turns terminal.
    processing_seconds: float = 0.5
    # Sent on 202 and on non-terminal status answers. The SDK waits this long between polls and
    # reads it as an integer; 0 would make it fall back to its 30 s default interval.
    retry_after_seconds: int = 1

    def __post_init__(self) -> None:
        base64.b64decode(self.access_key, validate=True)  # fail at start, not on first request
        if self.retry_after_seconds < 1:
            raise ValueError("retry-after must be at least 1 second")
        if self.processing_seconds < 0:
            raise ValueError("processing time cannot be negative")


def domain_is_linked(domain: str, linked: tuple[str, ...]) -> bool:
    """Whether `domain` matches one of the linked domains (`*.x` matches any subdomain of x)."""
    domain = domain.lower()
    return any(fnmatch.fnmatchcase(domain, pattern.lower()) for pattern in linked)
