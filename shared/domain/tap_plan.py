"""TAP policy maths: what to ask Graph for, inside the tenant's policy, valid from the hire day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.domain.directory import TapPolicy
from shared.domain.errors import PermanentError


@dataclass(frozen=True)
class TapPlan:
    start: datetime | None  # None: usable immediately
    lifetime_minutes: int
    one_time: bool
    clamped_from: int | None = None  # the requested lifetime, when the policy changed it


def hire_day_start(hire_date: date, tz_name: str, start_hour: int) -> datetime:
    """The moment the joiner's hire day begins (at `start_hour` local time), as an aware datetime."""
    return datetime.combine(hire_date, time(hour=start_hour), tzinfo=ZoneInfo(tz_name))


def covers(policy: TapPolicy, user_group_ids: set[str]) -> bool:
    if user_group_ids.intersection(policy.exclude_group_ids):
        return False
    return policy.include_all_users or bool(user_group_ids.intersection(policy.include_group_ids))


def plan_tap(
    policy: TapPolicy,
    *,
    requested_lifetime: int,
    requested_one_time: bool,
    valid_from: datetime,
    now: datetime,
    user_group_ids: set[str],
) -> TapPlan:
    if not policy.enabled:
        raise PermanentError(
            "tap_policy_disabled", "the tenant's Temporary Access Pass policy is off"
        )
    if not covers(policy, user_group_ids):
        raise PermanentError("tap_policy_excludes_user", "the TAP policy does not target this user")
    low = max(10, policy.min_lifetime_minutes)
    high = min(43200, policy.max_lifetime_minutes)
    lifetime = min(max(requested_lifetime, low), high)
    # A policy that forces one-time use refuses multi-use requests; one that allows both keeps ours.
    one_time = requested_one_time or policy.is_usable_once
    start = valid_from if valid_from > now + timedelta(minutes=1) else None
    return TapPlan(
        start, lifetime, one_time, requested_lifetime if lifetime != requested_lifetime else None
    )


def onboarding_wait(valid_from: datetime, now: datetime, lead_days: int) -> timedelta | None:
    """How long a pre-hire must wait before its TAP is created (None: go now)."""
    opens = valid_from - timedelta(days=lead_days)
    return opens - now if opens > now else None


def retry_delay_seconds(attempt: int, base: int = 60, cap: int = 3600) -> int:
    """Growing delays for "not yet" (account not provisioned): 1, 2, 4 ... minutes, capped."""
    return int(min(cap, base * (2 ** max(0, attempt - 1))))
