"""The commands Tapstart puts on its queues, one dataclass each, with their wire format.

A message body is JSON: `{"v": 1, "trackingId": ..., ...}`. `v` is the format version: a
reader accepts every version it knows (messages without `v` come from releases before it was
added and read as version 1) and refuses others, so a rolled-back worker never guesses at a
newer message. `parse_*` raise `MalformedCommandError` with a reason; the trigger logs and
drops such a message instead of letting the host retry it into the poison queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

VERSION = 1
_KNOWN_VERSIONS = frozenset({1})
_MAX_ID_CHARS = 200


class MalformedCommandError(ValueError):
    """A queue message that is not a command this version understands; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _payload(body: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedCommandError("the message is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedCommandError("the message is not a JSON object")
    version = data.get("v", 1)
    if version not in _KNOWN_VERSIONS or isinstance(version, bool):
        raise MalformedCommandError(f"unknown message version {str(version)[:20]!r}")
    return data


def _tracking_id(data: dict[str, Any]) -> str:
    value = data.get("trackingId")
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_ID_CHARS:
        raise MalformedCommandError("trackingId is missing or not a short string")
    return value


def _versioned(data: dict[str, Any]) -> dict[str, Any]:
    return {"v": VERSION, **data}


@dataclass(frozen=True)
class OnboardJoiner:
    """Take one joiner a step further (queue ONBOARDING_QUEUE)."""

    tracking_id: str

    def to_payload(self) -> dict[str, Any]:
        return _versioned({"trackingId": self.tracking_id})

    def to_json(self) -> str:
        return json.dumps(self.to_payload(), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: bytes | str) -> OnboardJoiner:
        return cls(_tracking_id(_payload(body)))


@dataclass(frozen=True)
class SendReminder:
    """Send reminder `slot` (1-based) to one joiner (queue REMINDER_QUEUE)."""

    tracking_id: str
    slot: int

    def to_payload(self) -> dict[str, Any]:
        return _versioned({"trackingId": self.tracking_id, "slot": self.slot})

    def to_json(self) -> str:
        return json.dumps(self.to_payload(), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: bytes | str) -> SendReminder:
        data = _payload(body)
        tracking_id = _tracking_id(data)
        slot = data.get("slot")
        if isinstance(slot, str) and slot.isdigit():
            slot = int(slot)  # earlier releases' messages may carry it as text
        if not isinstance(slot, int) or isinstance(slot, bool) or not 1 <= slot <= 100:
            raise MalformedCommandError("slot is missing or not a whole number from 1 to 100")
        return cls(tracking_id, slot)


@dataclass(frozen=True)
class SendCampaignEmail:
    """Send campaign step `step` (1-based) to one user (queue CAMPAIGN_QUEUE)."""

    user_id: str
    step: int

    def to_payload(self) -> dict[str, Any]:
        return _versioned({"userId": self.user_id, "step": self.step})

    def to_json(self) -> str:
        return json.dumps(self.to_payload(), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: bytes | str) -> SendCampaignEmail:
        data = _payload(body)
        user_id = data.get("userId")
        if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > _MAX_ID_CHARS:
            raise MalformedCommandError("userId is missing or not a short string")
        step = data.get("step")
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= 20:
            raise MalformedCommandError("step is missing or not a whole number from 1 to 20")
        return cls(user_id, step)
