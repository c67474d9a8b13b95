"""Tapstart's exceptions, one tree; adapters translate SDK errors into these (`raise ... from`).

TapstartError
├── ConfigurationError        a setting is missing or malformed (fail at start, name it)
├── InvalidEventError         an HR event failed authentication or validation
│   ├── SignatureError        missing/bad/expired/replayed signature
│   ├── UnsupportedMediaError content type not accepted
│   └── PayloadTooLargeError  body over MAX_EVENT_BYTES
├── TransientError            retry later: Graph 429/5xx after SDK retries, ACS 429, storage down;
│                             every queue trigger re-enqueues with `retry_after` when it is set
├── PermanentError            will never succeed by retrying (recorded as failed with a reason)
└── ConflictError             a stale ETag: someone else saved this record first

HTTP statuses are not the domain's business: functions/http_problem.py maps these to answers.
"""

from __future__ import annotations


class TapstartError(Exception):
    """Base of every error Tapstart raises on purpose."""


class ConfigurationError(TapstartError):
    pass


class InvalidEventError(TapstartError):
    """Bad HR input. `field` names the offending field (JSON pointer) when there is one."""

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class SignatureError(InvalidEventError):
    pass


class UnsupportedMediaError(InvalidEventError):
    pass


class PayloadTooLargeError(InvalidEventError):
    pass


class TransientError(TapstartError):
    """Retry later. `retry_after` (seconds) when the service said how long to wait."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentError(TapstartError):
    """A failure that retrying cannot fix; `reason` is a stable code for the ledger and report."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ConflictError(TapstartError):
    pass
