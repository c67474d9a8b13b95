"""The emulator's clock: real UTC time plus an offset tests can move, and Graph's date formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def graph_datetime(value: datetime) -> str:
    """Seven fractional digits and ``Z``, as Graph emits for authentication methods."""
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0Z"


def directory_datetime(value: datetime) -> str:
    """Whole seconds and ``Z``, as the directory emits ``createdDateTime`` and similar."""
    return f"{value.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def parse_datetime(text: str) -> datetime:
    """Accept ``Z`` or ``+00:00`` and naive values (taken as UTC), like the service does."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_RELATIVE = re.compile(r"^(now|today)\s*(?:([+-])\s*(\d+)\s*([dhm]))?$")


def parse_when(text: str, now: datetime) -> datetime:
    """Seed dates may be relative (``today+7d``, ``now-2h``) so the demo stays current."""
    match = _RELATIVE.match(text.strip().lower())
    if not match:
        return parse_datetime(text)
    base = (
        now if match.group(1) == "now" else now.replace(hour=0, minute=0, second=0, microsecond=0)
    )
    if match.group(2):
        amount = int(match.group(3)) * (1 if match.group(2) == "+" else -1)
        unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(4)]
        base += timedelta(**{unit: amount})
    return base
