"""One typed settings object, read from app settings (environment) and validated at start.

Every name here is an app setting: the same names appear in trigger decorators (`%NAME%`),
`local.settings.example.json` and `infra/` (a test keeps the three in step).
Validation names the setting and the problem, so a misconfigured app fails with one clear line.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.email_address import address_problem
from shared.domain.errors import ConfigurationError
from shared.domain.passwordless import DEFAULT_TARGETS, Target, parse_targets

T = TypeVar("T")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _text(raw: str) -> str:
    return raw.strip()


def _int_range(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {value}")
        return value

    return parse


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _list(raw: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[,;\s]+", raw.strip()) if p)


def _emails(raw: str) -> tuple[str, ...]:
    items = _list(raw)
    for item in items:
        _email(item)
    return items


def _email(raw: str) -> str:
    """An address the mail service takes (one rule with the recipients': a sender, an admin or
    the fallback ACS would refuse is found at start, not after a TAP was minted for it)."""
    value = raw.strip()
    problem = address_problem(value) if value else None
    if problem:
        raise ValueError(f"{value!r} is not a deliverable email address ({problem})")
    return value


def _guids(raw: str) -> tuple[str, ...]:
    items = _list(raw)
    for item in items:
        if not _GUID.match(item):
            raise ValueError(f"{item!r} is not a group object id (GUID)")
    return items


def _domains(raw: str) -> tuple[str, ...]:
    items = tuple(d.lower().rstrip(".") for d in _list(raw))
    for item in items:
        if not re.fullmatch(
            r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", item
        ):
            raise ValueError(f"{item!r} is not a mail domain")
    return items


def _days(raw: str) -> tuple[int, ...]:
    parse = _int_range(0, 365)
    days = tuple(sorted({parse(p) for p in _list(raw)}))
    if not days:
        raise ValueError("needs at least one day")
    return days


def _zone(raw: str) -> str:
    try:
        ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{raw!r} is not an IANA time zone") from None
    return raw.strip()


def _hours_range(raw: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", raw)
    if not match or not all(0 <= int(g) <= 23 for g in match.groups()):
        raise ValueError(f"expected START-END hours like 20-7, got {raw!r}")
    return int(match.group(1)), int(match.group(2))


def _country_zones(raw: str) -> tuple[tuple[str, str], ...]:
    """`DE=Europe/Berlin,FR=Europe/Paris`: a usage location (ISO country code) and its zone."""
    pairs = []
    for item in _list(raw):
        country, sep, zone = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z]{2}", country.strip()):
            raise ValueError(
                f"expected COUNTRY=Zone/Name pairs like DE=Europe/Berlin, got {item!r}"
            )
        pairs.append((country.strip().upper(), _zone(zone)))
    return tuple(pairs)


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if value and not re.match(r"^https?://", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


# Standard Webhooks keys are 24 to 64 random bytes; fewer is refused at start, not just warned of.
MIN_WEBHOOK_SECRET_BYTES = 24


def _secrets(raw: str) -> tuple[str, ...]:
    """Standard Webhooks keys: `whsec_` + base64 of at least 24 bytes. Problems name the entry
    by its position, never by its value."""
    items = _list(raw)
    if not items:
        raise ValueError("needs at least one whsec_ secret")
    for index, item in enumerate(items, start=1):
        if not item.startswith("whsec_"):
            raise ValueError(
                f"secret #{index}: each secret must start with 'whsec_' (Standard Webhooks format)"
            )
        try:
            size = len(base64.b64decode(item.removeprefix("whsec_"), validate=True))
        except (binascii.Error, ValueError):
            raise ValueError(f"secret #{index} is not base64 after 'whsec_'") from None
        if size < MIN_WEBHOOK_SECRET_BYTES:
            raise ValueError(
                f"secret #{index} is {size} bytes; a Standard Webhooks secret is 'whsec_' + base64"
                f" of at least {MIN_WEBHOOK_SECRET_BYTES} random bytes (e.g. openssl rand -base64"
                " 32)"
            )
    return items


# An HMAC-SHA256 key: 32 characters or more (a GUID from Bicep's newGuid() has 36, 122 bits).
MIN_TRACKING_KEY_CHARS = 32


def _tracking_key(raw: str) -> bytes:
    value = raw.strip()
    if len(value) < MIN_TRACKING_KEY_CHARS:
        raise ValueError(
            f"is {len(value)} characters; it needs at least {MIN_TRACKING_KEY_CHARS} random ones"
            " (e.g. openssl rand -base64 32)"
        )
    return value.encode("utf-8")


StorageService = Literal["queue", "table", "blob"]
STORAGE_SETTING = "AzureWebJobsStorage"


@dataclass(frozen=True)
class StorageConnection:
    """The app's storage account, resolved from `AzureWebJobsStorage*` as the Functions host does:

    1. `AzureWebJobsStorage` holds a connection string (Azurite locally) → use it.
    2. else `AzureWebJobsStorage__{queue|table|blob}ServiceUri` or `__accountName` → identity-
       based, with `__clientId` selecting a user-assigned managed identity.
    """

    connection_string: str | None
    service_uris: Mapping[StorageService, str]
    client_id: str | None

    def uri(self, service: StorageService) -> str:
        return self.service_uris[service]


def resolve_storage(source: Mapping[str, str], name: str = STORAGE_SETTING) -> StorageConnection:
    direct = source.get(name, "").strip()
    if direct:
        return StorageConnection(direct, {}, None)
    account = source.get(f"{name}__accountName", "").strip()
    uris: dict[StorageService, str] = {}
    for service in ("queue", "table", "blob"):
        explicit = source.get(f"{name}__{service}ServiceUri", "").strip()
        if explicit:
            uris[service] = explicit.rstrip("/")
        elif account:
            uris[service] = f"https://{account}.{service}.core.windows.net"
    if len(uris) < 3:
        raise ConfigurationError(
            f"Storage connection {name!r}: set {name} (connection string) or {name}__accountName "
            f"(or the three {name}__<service>ServiceUri settings) for identity-based access"
        )
    return StorageConnection(None, uris, source.get(f"{name}__clientId") or None)


def _has_storage(source: Mapping[str, str]) -> bool:
    return any(key == STORAGE_SETTING or key.startswith(STORAGE_SETTING + "__") for key in source)


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError(f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {raw!r}")
    return value


@dataclass(frozen=True)
class Spec:
    """How one app setting is read: parser, default (None = required), and what it is for."""

    env: str
    parse: Callable[[str], Any]
    default: str | None
    doc: str
    secret: bool = False


def _s(
    env: str, parse: Callable[[str], T], default: str | None, doc: str, *, secret: bool = False
) -> T:
    """A setting field typed by its parser: `x: int = _s("X", _text, ...)` fails mypy."""
    return cast(T, field(metadata={"spec": Spec(env, parse, default, doc, secret)}))


@dataclass(frozen=True)
class Settings:
    # --- Storage and queues (AzureWebJobsStorage is read by the storage adapters as the host does)
    onboarding_queue: str = _s(
        "ONBOARDING_QUEUE", _text, "onboarding", "Queue of joiners to onboard"
    )
    reminder_queue: str = _s("REMINDER_QUEUE", _text, "reminders", "Queue of reminders to send")
    ledger_table: str = _s(
        "LEDGER_TABLE", _text, "TapstartLedger", "Table of joiners and their steps"
    )
    report_container: str = _s(
        "REPORT_CONTAINER", _text, "tapstart-reports", "Blob container for report snapshots"
    )
    # --- Microsoft Graph
    graph_base_url: str = _s(
        "GRAPH_BASE_URL", _url, "https://graph.microsoft.com/v1.0", "Graph endpoint"
    )
    graph_authority_host: str = _s(
        "GRAPH_AUTHORITY_HOST",
        _url,
        "https://login.microsoftonline.com",
        "Entra authority for client-secret auth",
    )
    graph_tenant_id: str = _s(
        "GRAPH_TENANT_ID", _text, "", "Tenant id; required with GRAPH_CLIENT_SECRET"
    )
    graph_client_id: str = _s(
        "GRAPH_CLIENT_ID",
        _text,
        "",
        "App (client) id for client-secret auth; empty = managed identity",
    )
    graph_client_secret: str = _s(
        "GRAPH_CLIENT_SECRET",
        _text,
        "",
        "Client secret (local emulator only; Azure uses managed identity)",
        secret=True,
    )
    graph_ca_bundle: str = _s(
        "GRAPH_CA_BUNDLE", _text, "", "CA bundle to trust for the authority (local emulator only)"
    )
    azure_client_id: str = _s(
        "AZURE_CLIENT_ID", _text, "", "Client id of the user-assigned managed identity"
    )
    # --- Email (Azure Communication Services)
    acs_endpoint: str = _s(
        "ACS_ENDPOINT", _url, None, "ACS endpoint, e.g. https://<name>.communication.azure.com"
    )
    acs_access_key: str = _s(
        "ACS_ACCESS_KEY",
        _text,
        "",
        "ACS access key, for the local emulator; empty = managed identity (Azure: empty, the resource's local auth is off)",
        secret=True,
    )
    mail_sender: str = _s("MAIL_SENDER", _email, None, "Sender address on a linked ACS domain")
    admin_emails: tuple[str, ...] = _s(
        "ADMIN_EMAILS", _emails, None, "Admins who get alerts and the daily report"
    )
    fallback_delivery_email: str = _s(
        "FALLBACK_DELIVERY_EMAIL",
        _email,
        "",
        "HR/IT address for TAPs of joiners without a safe manager to receive them",
    )
    delivery_domains: tuple[str, ...] = _s(
        "DELIVERY_DOMAINS",
        _domains,
        "",
        "Mail domains a manager's address may be in to receive a TAP; empty = the joiner's",
    )
    email_rate_per_minute: int = _s(
        "EMAIL_RATE_PER_MINUTE",
        _int_range(1, 10000),
        "30",
        "Client-side email send limit per minute",
    )
    email_rate_per_hour: int = _s(
        "EMAIL_RATE_PER_HOUR", _int_range(1, 100000), "100", "Client-side email send limit per hour"
    )
    # --- HR intake
    hr_webhook_secrets: tuple[str, ...] = _s(
        "HR_WEBHOOK_SECRETS",
        _secrets,
        None,
        "Standard Webhooks secrets (whsec_...), several for rotation",
        secret=True,
    )
    tracking_id_key: bytes = _s(
        "TRACKING_ID_KEY",
        _tracking_key,
        None,
        "Server secret that makes tracking ids unguessable (an HMAC key; keep it stable)",
        secret=True,
    )
    max_event_bytes: int = _s(
        "MAX_EVENT_BYTES",
        _int_range(1024, 16 * 1024 * 1024),
        "1048576",
        "Largest HR request body accepted",
    )
    # --- Onboarding policy
    passwordless_group_ids: tuple[str, ...] = _s(
        "PASSWORDLESS_GROUP_IDS", _guids, None, "Groups joiners are added to"
    )
    protected_group_ids: tuple[str, ...] = _s(
        "PROTECTED_GROUP_IDS",
        _guids,
        "",
        "Groups whose members never get a TAP (break-glass, service, sync accounts)",
    )
    tap_lifetime_minutes: int = _s(
        "TAP_LIFETIME_MINUTES",
        _int_range(10, 43200),
        "480",
        "Requested TAP lifetime, clamped into the tenant policy",
    )
    tap_one_time: bool = _s("TAP_ONE_TIME", _bool, "true", "Request one-time TAPs")
    tap_max_per_hour: int = _s(
        "TAP_MAX_PER_HOUR",
        _int_range(1, 100000),
        "50",
        "Flood cap: TAPs issued per hour before issuance pauses",
    )
    tap_start_hour: int = _s(
        "TAP_START_HOUR",
        _int_range(0, 23),
        "7",
        "Local hour on the hire day from which a pre-hire's TAP is valid",
    )
    default_time_zone: str = _s(
        "DEFAULT_TIME_ZONE", _zone, "UTC", "Time zone of joiners whose event has none"
    )
    default_language: str = _s(
        "DEFAULT_LANGUAGE", _text, "en", "Email language when the joiner's is unknown"
    )
    prehire_lead_days: int = _s(
        "PREHIRE_LEAD_DAYS", _int_range(0, 30), "3", "Onboard this many days before the hire day"
    )
    provisioning_deadline_hours: int = _s(
        "PROVISIONING_DEADLINE_HOURS",
        _int_range(1, 720),
        "72",
        "How long to wait for the Entra account to appear",
    )
    account_retry_base_seconds: int = _s(
        "ACCOUNT_RETRY_BASE_SECONDS",
        _int_range(1, 3600),
        "60",
        "First wait for an account not yet in Entra; doubles each try, capped at 1 h",
    )
    max_account_age_days: int = _s(
        "MAX_ACCOUNT_AGE_DAYS",
        _int_range(1, 3650),
        "60",
        "Refuse accounts created longer ago than this",
    )
    # --- Report
    report_schedule: str = _s(
        "REPORT_SCHEDULE", _text, "0 0 6 * * *", "NCRONTAB schedule of the daily report (UTC)"
    )
    report_retention_days: int = _s(
        "REPORT_RETENTION_DAYS", _int_range(1, 3650), "400", "Days report snapshots are kept"
    )
    report_overdue_days: int = _s(
        "REPORT_OVERDUE_DAYS",
        _int_range(1, 365),
        "7",
        "Joiners not enrolled after this many days are named",
    )
    # --- Reminders
    reminder_days: tuple[int, ...] = _s(
        "REMINDER_DAYS", _days, "1,3,7,14", "Days after the TAP became valid when reminders are due"
    )
    reminder_max_count: int = _s(
        "REMINDER_MAX_COUNT", _int_range(0, 20), "4", "Most reminders per joiner"
    )
    reminder_manager_cc_from: int = _s(
        "REMINDER_MANAGER_CC_FROM", _int_range(1, 20), "3", "Copy the manager from this reminder on"
    )
    reminder_reissue_tap: bool = _s(
        "REMINDER_REISSUE_TAP",
        _bool,
        "false",
        "Issue a fresh TAP to the manager when the old one expired",
    )
    # --- The passwordless target
    target_methods: tuple[Target, ...] = _s(
        "TARGET_METHODS",
        parse_targets,
        ",".join(DEFAULT_TARGETS),
        "Methods that count as passwordless: phone_sign_in, authenticator_passkey, passkey, "
        "windows_hello",
    )
    tap_retire_after_enrolment: bool = _s(
        "TAP_RETIRE_AFTER_ENROLMENT",
        _bool,
        "true",
        "Delete Tapstart's TAP once the joiner reached a target method",
    )
    quiet_hours: tuple[int, int] = _s(
        "QUIET_HOURS", _hours_range, "20-7", "No reminders between these local hours"
    )
    # --- The registration campaign (every in-scope user without a target, not just joiners)
    campaign_queue: str = _s(
        "CAMPAIGN_QUEUE",
        _text,
        "campaign",
        "Queue of campaign emails to send (its own, after joiner mail)",
    )
    campaign_table: str = _s(
        "CAMPAIGN_TABLE", _text, "TapstartCampaign", "Table of the campaign's state and contacts"
    )
    campaign_include_group_ids: tuple[str, ...] = _s(
        "CAMPAIGN_INCLUDE_GROUP_IDS",
        _guids,
        "",
        "Groups whose members the campaign writes to; empty = every member of the tenant",
    )
    campaign_exclude_group_ids: tuple[str, ...] = _s(
        "CAMPAIGN_EXCLUDE_GROUP_IDS",
        _guids,
        "",
        "Groups the campaign never writes to (break-glass, service, shared accounts), on top of "
        "PROTECTED_GROUP_IDS",
    )
    campaign_cadence_days: tuple[int, ...] = _s(
        "CAMPAIGN_CADENCE_DAYS",
        _days,
        "0,7,21",
        "Days after a user's first campaign email when the next ones are due",
    )
    campaign_max_contacts: int = _s(
        "CAMPAIGN_MAX_CONTACTS", _int_range(1, 10), "3", "Most campaign emails per user"
    )
    campaign_email_share_percent: int = _s(
        "CAMPAIGN_EMAIL_SHARE_PERCENT",
        _int_range(0, 90),
        "50",
        "Share of EMAIL_RATE_PER_HOUR the campaign may use; the rest stays for joiner mail",
    )
    campaign_daily_limit: int = _s(
        "CAMPAIGN_DAILY_LIMIT",
        _int_range(0, 1000000),
        "0",
        "Most campaign emails per day; 0 = as many as the share allows",
    )
    campaign_country_zones: tuple[tuple[str, str], ...] = _s(
        "CAMPAIGN_COUNTRY_ZONES",
        _country_zones,
        "",
        "Quiet-hours zone per usage location, e.g. DE=Europe/Berlin; others use DEFAULT_TIME_ZONE",
    )
    # --- Branding
    brand_company_name: str = _s("BRAND_COMPANY_NAME", _text, "Contoso", "Company name in emails")
    brand_logo_url: str = _s("BRAND_LOGO_URL", _url, "", "Logo URL in emails")
    brand_support_contact: str = _s(
        "BRAND_SUPPORT_CONTACT", _text, "your IT service desk", "Support contact in emails"
    )
    # --- Telemetry
    log_level: str = _s(
        "TAPSTART_LOG_LEVEL", _log_level, "INFO", "Lowest level of the app's own log records"
    )
    appinsights_connection_string: str = _s(
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        _text,
        "",
        "Sends logs and traces to Application Insights when set",
    )

    # --- Storage: AzureWebJobsStorage (the host's own connection), read as the host reads it.
    # None when the environment names no storage (unit tests with in-memory ports); the
    # storage adapters then fail with `require_storage()`'s message.
    storage: StorageConnection | None = field(default=None, compare=False)

    @classmethod
    def specs(cls) -> dict[str, Spec]:
        return {f.name: f.metadata["spec"] for f in fields(cls) if "spec" in f.metadata}

    def require_storage(self) -> StorageConnection:
        if self.storage is None:
            raise ConfigurationError(
                f"Tapstart settings: {STORAGE_SETTING} is missing (the app's storage account: "
                "a connection string, or __accountName for identity-based access)"
            )
        return self.storage

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, settings_file: Path | None = None
    ) -> Settings:
        """Read and validate every setting; raise ConfigurationError listing all problems.

        `settings_file`: a local.settings.json whose `Values` fill what `env` leaves unset (the
        environment wins, as in the Functions host). Nothing is written back to the environment.
        """
        source: Mapping[str, str] = os.environ if env is None else env
        if settings_file is not None:
            source = {**read_settings_file(settings_file), **source}
        values: dict[str, Any] = {}
        problems: list[str] = []
        if _has_storage(source):
            try:
                values["storage"] = resolve_storage(source)
            except ConfigurationError as exc:
                problems.append(str(exc))
        for name, spec in cls.specs().items():
            raw = source.get(spec.env)
            if raw is None or raw.strip() == "":
                if spec.default is None:
                    problems.append(f"{spec.env} is missing ({spec.doc})")
                    continue
                raw = spec.default
            try:
                values[name] = spec.parse(raw)
            except ValueError as exc:
                problems.append(f"{spec.env} is malformed: {exc}")
        if not problems:
            problems.extend(_cross_checks(values))
        if problems:
            raise ConfigurationError("Tapstart settings: " + "; ".join(problems))
        return cls(**values)


def read_settings_file(path: Path) -> dict[str, str]:
    """The `Values` of a local.settings.json, as strings."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read settings file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigurationError(f"settings file {path} is not JSON: {exc}") from None
    values = data.get("Values") if isinstance(data, dict) else None
    if not isinstance(values, dict):
        raise ConfigurationError(f'settings file {path} has no "Values" object')
    return {str(k): str(v) for k, v in values.items() if v is not None}


def _cross_checks(values: Mapping[str, Any]) -> list[str]:
    problems = []
    if values["graph_client_secret"] and not (
        values["graph_tenant_id"] and values["graph_client_id"]
    ):
        problems.append("GRAPH_CLIENT_SECRET needs GRAPH_TENANT_ID and GRAPH_CLIENT_ID")
    if values["reminder_manager_cc_from"] > max(values["reminder_max_count"], 1) + 1:
        problems.append("REMINDER_MANAGER_CC_FROM is larger than REMINDER_MAX_COUNT")
    return problems
