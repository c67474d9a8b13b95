"""One logging setup for the whole app: structured context, one correlation id, no secrets.

- `bind(tracking_id=...)` puts keys in a context variable; a filter copies them onto every record,
  so a joiner's tracking id is on each line from HTTP intake through the queues to the email.
- Console: `time level logger message key=value ...`. In Azure, when
  APPLICATIONINSIGHTS_CONNECTION_STRING is set, azure-monitor-opentelemetry exports the same
  records (the bound keys arrive as custom dimensions): `shared.adapters.telemetry`.
- Defence in depth for credentials: `redacting(secret)` registers a value (a TAP passcode) for the
  duration of a block; the filter replaces it in any message or argument that would carry it.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import time
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "tapstart_log_context", default=MappingProxyType({})
)
_secrets: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "tapstart_secrets", default=frozenset()
)
_REDACTED = "[redacted]"
_configured = False


def bind(**keys: Any) -> contextvars.Token[Mapping[str, Any]]:
    """Add keys to the logging context of the current task/thread; returns a token for `unbind`."""
    return _context.set({**_context.get(), **{k: v for k, v in keys.items() if v is not None}})


def unbind(token: contextvars.Token[Mapping[str, Any]]) -> None:
    _context.reset(token)


@contextlib.contextmanager
def bound(**keys: Any) -> Iterator[None]:
    token = bind(**keys)
    try:
        yield
    finally:
        unbind(token)


def context() -> dict[str, Any]:
    return dict(_context.get())


@contextlib.contextmanager
def redacting(secret: str) -> Iterator[None]:
    token = _secrets.set(_secrets.get() | {secret})
    try:
        yield
    finally:
        _secrets.reset(token)


def _scrub(text: str, secrets: frozenset[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, _REDACTED)
    return text


class ContextFilter(logging.Filter):
    """Copies bound keys onto the record and scrubs registered secrets from the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        record.tapstart_keys = sorted(_context.get())
        secrets = _secrets.get()
        if secrets:
            record.msg = _scrub(str(record.msg), secrets)
            if record.args:
                args = record.args if isinstance(record.args, tuple) else (record.args,)
                record.args = tuple(
                    _scrub(str(a), secrets) if isinstance(a, str) else a for a in args
                )
        return True


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "tapstart_keys",
}


class KeyValueFormatter(logging.Formatter):
    """`2026-11-28T09:00:00Z INFO shared.x message key=value` — readable and greppable."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
        self.converter = time.gmtime  # the timestamps say Z: UTC whatever the machine's zone

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {
            k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")
        }
        if not extras:
            return base
        return base + " " + " ".join(f"{k}={v}" for k, v in sorted(extras.items()))


def configure_logging(level: str = "INFO") -> None:
    """Console logging with the context filter on every root handler (also those an exporter
    added before). Idempotent: the Functions worker may import the app more than once."""
    global _configured
    if _configured:
        return
    _configured = True
    root = logging.getLogger()
    root.setLevel(level)
    context_filter = ContextFilter()
    for handler in root.handlers:
        handler.addFilter(context_filter)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(KeyValueFormatter())
        handler.addFilter(context_filter)
        root.addHandler(handler)
    # The SDKs log request URLs and headers at INFO; keep them at WARNING.
    for noisy in (
        "azure",
        "azure.core.pipeline.policies.http_logging_policy",
        "httpx",
        "msal",
        "urllib3",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
