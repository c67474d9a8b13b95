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

# The MailFrom username every provisioned ACS domain has (quickstarts/email/add-multiple-senders).
DEFAULT_SENDER_USERNAMES: tuple[str, ...] = ("DoNotReply",)

# ACS answers requests whose x-ms-date is further than this from its clock with 401.
DATE_WINDOW_SECONDS = 15 * 60

# Repeatable requests (Repeatability-Request-Id / -First-Sent) are tracked this long on the
# Email Send API (Learn: "Repeatability of requests").
REPEATABILITY_WINDOW_SECONDS = 5 * 60

# What a second send with an Operation-Id already used does. ACS does not document it (see
# docs/acs-email-emulator.md), so each plausible answer can be chosen:
# new: another message under the same id; replay: the first answer again, nothing sent;
# conflict: 409 Conflict, nothing sent.
REPEATED_OPERATION_ID_MODES = ("new", "replay", "conflict")

# Entra ID access tokens for ACS: the SDK asks for this scope, and the token's audience is the
# resource (with or without its trailing slash) or the ACS first-party application id.
ACS_SCOPE = "https://communication.azure.com//.default"
ACS_AUDIENCES = frozenset(
    {
        "https://communication.azure.com",
        "https://communication.azure.com/",
        "632ec9eb-fad7-4cbd-993a-e72973ba2acc",
    }
)
# Microsoft.IdentityModel's default clock skew for exp/nbf.
TOKEN_CLOCK_SKEW_SECONDS = 5 * 60

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
    # MailFrom usernames provisioned on every linked domain (case-insensitive).
    sender_usernames: tuple[str, ...] = DEFAULT_SENDER_USERNAMES
    # Where operations are kept across restarts; None: `<outbox>-state` next to the outbox.
    state_dir: Path | None = None
    # Entra ID bearer tokens: the tenant whose tokens are accepted, and the Graph endpoint of the
    # local authority that checks a token's signature (it publishes no keys). None: HMAC only.
    entra_tenant: str | None = None
    entra_issuer_graph: str | None = None
    repeated_operation_id: str = "new"
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
        if self.repeated_operation_id not in REPEATED_OPERATION_ID_MODES:
            raise ValueError(
                f"repeated Operation-Id mode must be one of {', '.join(REPEATED_OPERATION_ID_MODES)}"
            )
        if (self.entra_tenant is None) != (self.entra_issuer_graph is None):
            raise ValueError("Entra tokens need both the tenant and the issuer's Graph endpoint")

    @property
    def state_path(self) -> Path:
        state_dir = self.state_dir or self.outbox_dir.with_name(self.outbox_dir.name + "-state")
        return state_dir / "operations.json"


def domain_is_linked(domain: str, linked: tuple[str, ...]) -> bool:
    """Whether `domain` matches one of the linked domains (`*.x` matches any subdomain of x)."""
    domain = domain.lower()
    return any(fnmatch.fnmatchcase(domain, pattern.lower()) for pattern in linked)
