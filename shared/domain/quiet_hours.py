"""Quiet hours: no reminder at night in the recipient's time zone.

Hours are wall-clock hours of the recipient's zone; `(20, 7)` means quiet from 20:00 until
07:00 the next morning, `(0, 6)` from midnight to 06:00, and equal hours mean no quiet hours.
The delay is computed by building the local morning time and converting it to UTC, so it is
right across DST changes (a spring-forward night is an hour shorter).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def recipient_zone(time_zone: str | None, default_time_zone: str) -> ZoneInfo:
    """The recipient's zone, or the default when theirs is missing or not an IANA name."""
    for name in (time_zone, default_time_zone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_quiet(hour: int, quiet: tuple[int, int]) -> bool:
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end  # the quiet period spans midnight


def delay_until_allowed(now: datetime, quiet: tuple[int, int], zone: ZoneInfo) -> int | None:
    """None when sending is allowed at `now` (aware); else whole seconds until the quiet end."""
    local = now.astimezone(zone)
    if not is_quiet(local.hour, quiet):
        return None
    end = quiet[1]
    morning = datetime.combine(local.date(), time(end), tzinfo=zone)
    if morning.astimezone(UTC) <= now.astimezone(UTC):
        morning = datetime.combine(local.date() + timedelta(days=1), time(end), tzinfo=zone)
    # Subtract in UTC: aware datetimes sharing a tzinfo subtract as wall clocks, ignoring DST.
    return math.ceil((morning.astimezone(UTC) - now.astimezone(UTC)).total_seconds())
