"""Everything the emulator remembers between requests (one instance per server)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from local.acs_email_emulator.config import (
    PROFILES,
    REPEATED_OPERATION_ID_MODES,
    EmulatorConfig,
    Limits,
)
from local.acs_email_emulator.errors import AcsError
from local.acs_email_emulator.operations import Operation, OperationStore
from local.acs_email_emulator.outbox import Outbox
from local.acs_email_emulator.ratelimit import Clock, RateLimiter

ENDPOINTS = ("send", "status")

_FAULT_CODES = {
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class FaultRule:
    endpoint: str
    status: int
    remaining: int
    retry_after: int | None
    code: str
    accept: bool = False  # the send is carried out, then the fault is answered (a lost answer)

    @classmethod
    def from_json(cls, body: Any) -> FaultRule:
        if not isinstance(body, dict):
            raise ValueError("each fault must be an object")
        endpoint = body.get("endpoint", "send")
        status = body.get("status")
        count = body.get("count", 1)
        retry_after = body.get("retryAfter")
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {', '.join(ENDPOINTS)}")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if not isinstance(count, int) or count < 0:
            raise ValueError("count must be a non-negative integer")
        if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
            raise ValueError("retryAfter must be a non-negative integer")
        if retry_after is None and status == 429:
            retry_after = 1  # what a throttled ACS always sends
        accept = body.get("accept", False)
        if not isinstance(accept, bool) or (accept and endpoint != "send"):
            raise ValueError("accept must be a boolean, and only for the send endpoint")
        code = body.get("code") or _FAULT_CODES.get(status, "InjectedFault")
        return cls(endpoint, status, count, retry_after, str(code), accept)

    def error(self) -> AcsError:
        return AcsError(
            self.status,
            self.code,
            "Fault injected by the emulator's control API.",
            retry_after=self.retry_after,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "status": self.status,
            "count": self.remaining,
            "retryAfter": self.retry_after,
            "code": self.code,
            "accept": self.accept,
        }


@dataclass
class EmulatorState:
    config: EmulatorConfig
    outbox: Outbox
    clock: Clock = field(default_factory=Clock)
    operations: OperationStore = field(init=False)
    # The managed suppression list: addresses that hard-bounced before (lower case).
    bounces: set[str] = field(default_factory=set)
    faults: list[FaultRule] = field(default_factory=list)
    requests: dict[str, Counter[str]] = field(default_factory=dict)
    profile: str = field(init=False)
    repeated_operation_id: str = field(init=False)
    limits: Limits = field(init=False)
    processing_seconds: float = field(init=False)
    send_limiter: RateLimiter = field(init=False)
    status_limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.operations = OperationStore(self.config.state_path, self.clock)
        self.send_limiter = RateLimiter(self.clock, None, None)
        self.status_limiter = RateLimiter(self.clock, None, None)
        self._apply_startup_settings()

    def _apply_startup_settings(self) -> None:
        self.profile = self.config.profile
        self.repeated_operation_id = self.config.repeated_operation_id
        self.processing_seconds = self.config.processing_seconds
        self.apply_limits(self.config.limits)

    def apply_limits(self, limits: Limits) -> None:
        self.limits = limits
        self.send_limiter.set_limits(limits.per_minute, limits.per_hour)
        self.status_limiter.set_limits(limits.status_per_minute, limits.status_per_hour)

    def update_limits(self, body: dict[str, Any]) -> None:
        base = self.limits
        profile = body.get("profile")
        if profile is not None:
            if profile not in PROFILES:
                raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
            self.profile = profile
            base = PROFILES[profile]
        limits = base.updated(body)
        if "processingSeconds" in body:
            seconds = body["processingSeconds"]
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                raise ValueError("processingSeconds must be a non-negative number")
            self.processing_seconds = float(seconds)
        self.apply_limits(limits)

    def settings_json(self) -> dict[str, Any]:
        return {"repeatedOperationId": self.repeated_operation_id}

    def update_settings(self, body: dict[str, Any]) -> None:
        mode = body.get("repeatedOperationId", self.repeated_operation_id)
        if mode not in REPEATED_OPERATION_ID_MODES:
            raise ValueError(
                f"repeatedOperationId must be one of {', '.join(REPEATED_OPERATION_ID_MODES)}"
            )
        self.repeated_operation_id = mode

    def limits_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            **self.limits.as_json(),
            "processingSeconds": self.processing_seconds,
            "retryAfterSeconds": self.config.retry_after_seconds,
        }

    def take_fault(self, endpoint: str) -> FaultRule | None:
        for rule in self.faults:
            if rule.endpoint == endpoint and rule.remaining > 0:
                rule.remaining -= 1
                return rule
        return None

    def count_request(self, endpoint: str, status: int) -> None:
        self.requests.setdefault(endpoint, Counter())[str(status)] += 1

    def status_of(self, record: dict[str, Any]) -> str:
        operation = self.operations.by_message.get(record["id"])
        if operation is None:  # an outbox record without its operation (state file removed)
            return str(record["finalStatus"])
        return operation.status(self.clock.now())

    def operation(self, operation_id: str) -> Operation | None:
        return self.operations.by_id.get(operation_id)

    def reset(self) -> None:
        self.outbox.clear()
        self.operations.clear()
        self.bounces.clear()
        self.faults.clear()
        self.requests.clear()
        self.clock.reset()
        self.send_limiter.clear()
        self.status_limiter.clear()
        self._apply_startup_settings()
