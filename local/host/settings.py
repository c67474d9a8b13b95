"""App settings and host.json options, read the way the Functions host reads them.

App settings come from the environment, with `local.settings.json` `Values` underneath (the
environment wins, as with Core Tools). Binding values may reference settings as `%NAME%`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

_SETTING_REFERENCE = re.compile(r"%([^%]+)%")
# host.json TimeSpans: "hh:mm:ss", "hh:mm:ss.fff" or "d.hh:mm:ss".
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$")


class HostConfigError(ValueError):
    """The app, its settings or host.json cannot be run; the message says which value."""


def load_local_settings(path: Path | None) -> dict[str, str]:
    """`Values` of a local.settings.json file, or nothing when there is no such file."""
    if path is None or not path.is_file():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    values = document.get("Values", {})
    if not isinstance(values, dict):
        raise HostConfigError(f"{path}: 'Values' must be an object")
    return {str(k): str(v) for k, v in values.items()}


def merged_settings(local_values: Mapping[str, str]) -> dict[str, str]:
    return {**local_values, **os.environ}


def setting_references(value: str) -> list[str]:
    """Names referenced as `%NAME%` in a binding value."""
    return _SETTING_REFERENCE.findall(value)


def resolve_references(value: str, settings: Mapping[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in settings:
            raise HostConfigError(f"{where}: app setting {name!r} is referenced but not set")
        return settings[name]

    return _SETTING_REFERENCE.sub(replace, value)


def parse_timespan(raw: str, where: str) -> timedelta:
    match = _TIMESPAN.match(raw.strip())
    if match is None:
        raise HostConfigError(f"{where}: expected a TimeSpan like '00:00:30', got {raw!r}")
    days, hours, minutes, seconds, fraction = match.groups()
    return timedelta(
        days=int(days or 0),
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds),
        microseconds=int((fraction or "0").ljust(7, "0")[:6]),
    )


# The runtime holds a received queue message invisible this long, renewed at half while it runs.
PROCESSING_VISIBILITY = timedelta(minutes=10)

# The Functions host's request body limit and the app setting that overrides it (bytes).
REQUEST_BODY_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"
DEFAULT_REQUEST_BODY_LIMIT = 104_857_600
# The Azure load balancer's idle timeout: an HTTP function that has not answered by then gets 502.
HTTP_RESPONSE_LIMIT = timedelta(seconds=230)


def request_body_limit(settings: Mapping[str, str]) -> int:
    """`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` in bytes, or the host's default of 100 MB.

    Azure ignores a value that is not a number (the default applies); here it is refused at start,
    so a typo cannot silently turn a 1 MiB limit into 100 MB.
    """
    raw = settings.get(REQUEST_BODY_LIMIT_SETTING, "").strip()
    if not raw:
        return DEFAULT_REQUEST_BODY_LIMIT
    if not raw.isdigit():
        raise HostConfigError(
            f"app setting {REQUEST_BODY_LIMIT_SETTING} must be a number of bytes, got {raw!r}"
        )
    return int(raw)


@dataclass(frozen=True)
class QueueOptions:
    """`extensions.queues` with the extension 5.x defaults (maxPollingInterval: local default).

    `processing_lease` is not a host.json option (Azure has none): the local host's
    `--queue-lease` flag sets it, so fault tests see a dead worker's messages come back.
    """

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_polling_interval: timedelta = timedelta(seconds=2)
    visibility_timeout: timedelta = timedelta(0)
    max_dequeue_count: int = 5
    message_encoding: str = "base64"
    processing_lease: timedelta = PROCESSING_VISIBILITY

    @classmethod
    def from_host_json(cls, section: Mapping[str, Any]) -> QueueOptions:
        where = "host.json extensions.queues"
        batch_size = int(section.get("batchSize", cls.batch_size))
        if not 1 <= batch_size <= 32:
            raise HostConfigError(f"{where}.batchSize must be 1..32, got {batch_size}")
        encoding = str(section.get("messageEncoding", cls.message_encoding)).lower()
        if encoding not in {"base64", "none"}:
            raise HostConfigError(f"{where}.messageEncoding must be base64 or none")
        max_dequeue = int(section.get("maxDequeueCount", cls.max_dequeue_count))
        if max_dequeue < 1:
            raise HostConfigError(f"{where}.maxDequeueCount must be >= 1")
        polling = cls.max_polling_interval
        if "maxPollingInterval" in section:
            polling = parse_timespan(str(section["maxPollingInterval"]), where)
        visibility = cls.visibility_timeout
        if "visibilityTimeout" in section:
            visibility = parse_timespan(str(section["visibilityTimeout"]), where)
        return cls(
            batch_size=batch_size,
            # The host's default is batchSize/2 per processor; one local process counts as one.
            new_batch_threshold=int(section.get("newBatchThreshold", batch_size // 2)),
            max_polling_interval=max(polling, timedelta(milliseconds=100)),
            visibility_timeout=visibility,
            max_dequeue_count=max_dequeue,
            message_encoding=encoding,
        )


# functionTimeout when host.json has none, on Flex Consumption (its maximum is unbounded).
FLEX_FUNCTION_TIMEOUT = timedelta(minutes=30)
# A blob lease lasts 15 to 60 s; the WebJobs SDK holds singleton lock periods to that range.
MIN_LEASE = timedelta(seconds=15)
MAX_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class SingletonOptions:
    """host.json `singleton` (the listener locks of timers), with the SDK's defaults and limits.

    A `listener_lock_recovery` below the SDK's 15 s minimum can only come from the local host's
    `--timer-lock-recovery` flag, so tests see a stopped host's timers move within seconds.
    """

    listener_lock_period: timedelta = MAX_LEASE
    listener_lock_recovery: timedelta = timedelta(minutes=1)

    @classmethod
    def from_host_json(cls, section: Mapping[str, Any]) -> SingletonOptions:
        where = "host.json singleton"
        period, recovery = cls.listener_lock_period, cls.listener_lock_recovery
        if "listenerLockPeriod" in section:
            period = parse_timespan(str(section["listenerLockPeriod"]), where)
        if not MIN_LEASE <= period <= MAX_LEASE:
            raise HostConfigError(f"{where}.listenerLockPeriod must be 00:00:15..00:01:00")
        if "listenerLockRecoveryPollingInterval" in section:
            raw = str(section["listenerLockRecoveryPollingInterval"])
            recovery = parse_timespan(raw, where)
        if recovery < MIN_LEASE:
            raise HostConfigError(
                f"{where}.listenerLockRecoveryPollingInterval must be at least 00:00:15"
            )
        return cls(listener_lock_period=period, listener_lock_recovery=recovery)


def _function_timeout(raw: object) -> timedelta | None:
    if raw is None:
        return FLEX_FUNCTION_TIMEOUT
    if str(raw) == "-1":
        return None
    return parse_timespan(str(raw), "host.json functionTimeout")


@dataclass(frozen=True)
class HostOptions:
    """host.json, plus `http_response_limit`, which is the Azure load balancer's, not host.json's."""

    route_prefix: str = "api"
    queues: QueueOptions = QueueOptions()
    # Flex Consumption's default when host.json sets none; None ("-1"): no limit (Flex allows it).
    function_timeout: timedelta | None = FLEX_FUNCTION_TIMEOUT
    singleton: SingletonOptions = SingletonOptions()
    http_response_limit: timedelta = HTTP_RESPONSE_LIMIT

    @classmethod
    def load(cls, path: Path | None) -> HostOptions:
        if path is None or not path.is_file():
            return cls()
        document = json.loads(path.read_text(encoding="utf-8"))
        extensions = document.get("extensions", {})
        http = extensions.get("http", {})
        timeout = document.get("functionTimeout")
        return cls(
            route_prefix=str(http.get("routePrefix", "api")).strip("/"),
            queues=QueueOptions.from_host_json(extensions.get("queues", {})),
            function_timeout=_function_timeout(timeout),
            singleton=SingletonOptions.from_host_json(document.get("singleton", {})),
        )
