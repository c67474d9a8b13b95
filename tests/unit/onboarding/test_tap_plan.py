from datetime import UTC, date, datetime, timedelta

import pytest

from shared.domain.directory import TapPolicy
from shared.domain.errors import PermanentError
from shared.domain.tap_plan import (
    covers,
    hire_day_start,
    onboarding_wait,
    plan_tap,
    retry_delay_seconds,
)

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def policy(**overrides: object) -> TapPolicy:
    values: dict[str, object] = {
        "enabled": True,
        "min_lifetime_minutes": 60,
        "max_lifetime_minutes": 480,
        "default_lifetime_minutes": 60,
        "default_length": 8,
        "is_usable_once": True,
        "include_all_users": False,
        "include_group_ids": ("g-pwless",),
        "exclude_group_ids": (),
    }
    values.update(overrides)
    return TapPolicy(**values)  # type: ignore[arg-type]


def test_lifetime_is_clamped_into_the_policy_range_and_the_request_remembered() -> None:
    plan = plan_tap(
        policy(),
        requested_lifetime=1440,
        requested_one_time=True,
        valid_from=NOW,
        now=NOW,
        user_group_ids={"g-pwless"},
    )
    assert (plan.lifetime_minutes, plan.clamped_from) == (480, 1440)
    low = plan_tap(
        policy(),
        requested_lifetime=15,
        requested_one_time=True,
        valid_from=NOW,
        now=NOW,
        user_group_ids={"g-pwless"},
    )
    assert (low.lifetime_minutes, low.clamped_from) == (60, 15)


def test_lifetime_inside_range_is_kept_unchanged() -> None:
    plan = plan_tap(
        policy(),
        requested_lifetime=240,
        requested_one_time=True,
        valid_from=NOW,
        now=NOW,
        user_group_ids={"g-pwless"},
    )
    assert (plan.lifetime_minutes, plan.clamped_from) == (240, None)


def test_policy_that_forces_one_time_wins_over_a_multi_use_request() -> None:
    plan = plan_tap(
        policy(),
        requested_lifetime=60,
        requested_one_time=False,
        valid_from=NOW,
        now=NOW,
        user_group_ids={"g-pwless"},
    )
    assert plan.one_time is True
    relaxed = plan_tap(
        policy(is_usable_once=False),
        requested_lifetime=60,
        requested_one_time=False,
        valid_from=NOW,
        now=NOW,
        user_group_ids={"g-pwless"},
    )
    assert relaxed.one_time is False


def test_disabled_policy_and_uncovered_user_are_refused_with_reason_codes() -> None:
    with pytest.raises(PermanentError) as off:
        plan_tap(
            policy(enabled=False),
            requested_lifetime=60,
            requested_one_time=True,
            valid_from=NOW,
            now=NOW,
            user_group_ids={"g-pwless"},
        )
    assert off.value.reason == "tap_policy_disabled"
    with pytest.raises(PermanentError) as out:
        plan_tap(
            policy(),
            requested_lifetime=60,
            requested_one_time=True,
            valid_from=NOW,
            now=NOW,
            user_group_ids={"other"},
        )
    assert out.value.reason == "tap_policy_excludes_user"


def test_coverage_all_users_with_exclusions() -> None:
    everyone = policy(
        include_all_users=True, include_group_ids=(), exclude_group_ids=("g-blocked",)
    )
    assert covers(everyone, set())
    assert not covers(everyone, {"g-blocked"})


def test_prehire_gets_a_future_start_and_a_start_today_joiner_none() -> None:
    start = hire_day_start(date(2026, 12, 1), "Europe/Berlin", 7)
    assert start.astimezone(UTC) == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    prehire = plan_tap(
        policy(),
        requested_lifetime=480,
        requested_one_time=True,
        valid_from=start,
        now=NOW,
        user_group_ids={"g-pwless"},
    )
    assert prehire.start == start
    today = plan_tap(
        policy(),
        requested_lifetime=480,
        requested_one_time=True,
        valid_from=NOW - timedelta(hours=2),
        now=NOW,
        user_group_ids={"g-pwless"},
    )
    assert today.start is None


def test_hire_day_start_follows_daylight_saving_time() -> None:
    summer = hire_day_start(date(2026, 7, 1), "Europe/Berlin", 7)
    assert summer.astimezone(UTC).hour == 5
    winter = hire_day_start(date(2026, 1, 5), "America/New_York", 7)
    assert winter.astimezone(UTC).hour == 12


def test_onboarding_waits_until_lead_days_before_the_hire_day() -> None:
    start = datetime(2026, 12, 20, 7, tzinfo=UTC)
    assert onboarding_wait(start, NOW, 3) == start - timedelta(days=3) - NOW
    assert onboarding_wait(start, start - timedelta(days=2), 3) is None


def test_retry_delays_grow_and_are_capped() -> None:
    assert [retry_delay_seconds(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay_seconds(20) == 3600
