"""Client for the emulator's control API under `/_emulator/` (stdlib only, for tests and tools)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

UNLIMITED: Literal["unlimited"] = "unlimited"
LimitValue = int | Literal["unlimited"]


@dataclass(frozen=True)
class Fault:
    """The next `count` requests to `endpoint` ("send" or "status") answer `status`.

    `accept=True` (send only): the message is accepted first, then `status` is answered, as
    when ACS acted but its answer was lost.
    """

    status: int
    count: int = 1
    endpoint: str = "send"
    retry_after: int | None = None
    code: str | None = None
    accept: bool = False

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "endpoint": self.endpoint,
            "status": self.status,
            "count": self.count,
        }
        if self.retry_after is not None:
            body["retryAfter"] = self.retry_after
        if self.code is not None:
            body["code"] = self.code
        if self.accept:
            body["accept"] = True
        return body


class ControlClient:
    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> bytes:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.endpoint}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return cast(bytes, response.read())

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        raw = self._call(method, path, body)
        return json.loads(raw) if raw else None

    def health(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", "health"))

    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages, oldest first."""
        return cast(list[dict[str, Any]], self._json("GET", "messages"))

    def message(self, message_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", f"messages/{message_id}"))

    def eml(self, message_id: str) -> bytes:
        return self._call("GET", f"messages/{message_id}/eml")

    def attachment(self, message_id: str, index: int) -> bytes:
        return self._call("GET", f"messages/{message_id}/attachments/{index}")

    def clear(self) -> None:
        """Empty the outbox (memory and files)."""
        self._call("DELETE", "messages")

    def reset(self) -> None:
        """Back to the start-up state: outbox, limits, windows, bounces, faults, counters, clock."""
        self._call("POST", "reset", {})

    def limits(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", "limits"))

    def set_limits(
        self,
        *,
        profile: str | None = None,
        per_minute: LimitValue | None = None,
        per_hour: LimitValue | None = None,
        status_per_minute: LimitValue | None = None,
        status_per_hour: LimitValue | None = None,
        processing_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Change limits; a profile ("custom"/"managed") first sets all four, then overrides.

        A limit left as None keeps its value; `UNLIMITED` lifts it.
        """
        body: dict[str, Any] = {}
        if profile is not None:
            body["profile"] = profile
        for key, value in (
            ("perMinute", per_minute),
            ("perHour", per_hour),
            ("statusPerMinute", status_per_minute),
            ("statusPerHour", status_per_hour),
        ):
            if value is not None:
                body[key] = None if value == UNLIMITED else value
        if processing_seconds is not None:
            body["processingSeconds"] = processing_seconds
        return cast(dict[str, Any], self._json("POST", "limits", body))

    def settings(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._json("GET", "settings"))

    def set_repeated_operation_id(self, mode: str) -> dict[str, Any]:
        """What a send with a used Operation-Id does: "new", "replay" or "conflict"."""
        return cast(dict[str, Any], self._json("POST", "settings", {"repeatedOperationId": mode}))

    def set_bounces(self, addresses: Iterable[str]) -> None:
        """The suppression list: these recipients are dropped; a message to nobody else ends
        Failed (EmailDroppedAllRecipientsSuppressed)."""
        self._call("POST", "bounces", {"addresses": list(addresses)})

    def set_faults(self, *faults: Fault) -> None:
        """Replace the injected faults; no argument clears them."""
        self._call("POST", "faults", {"faults": [fault.as_json() for fault in faults]})

    def requests(self) -> dict[str, dict[str, int]]:
        """ACS API requests seen, by endpoint ("send", "status", "other") and status code."""
        return cast(dict[str, dict[str, int]], self._json("GET", "requests"))

    def advance_clock(self, seconds: float) -> None:
        """Move the rate-limit clock forward (x-ms-date checks keep the real time)."""
        self._call("POST", "clock", {"advanceSeconds": seconds})
