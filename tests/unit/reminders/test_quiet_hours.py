from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.domain.quiet_hours import delay_until_allowed, is_quiet, recipient_zone

NIGHT = (20, 7)
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600


@pytest.mark.parametrize(
    ("hour", "quiet"),
    [(20, True), (23, True), (0, True), (6, True), (7, False), (12, False), (19, False)],
)
def test_quiet_period_spanning_midnight(hour: int, quiet: bool) -> None:
    assert is_quiet(hour, NIGHT) is quiet


@pytest.mark.parametrize(("hour", "quiet"), [(0, True), (5, True), (6, False), (23, False)])
def test_quiet_period_within_one_day(hour: int, quiet: bool) -> None:
    assert is_quiet(hour, (0, 6)) is quiet


def test_equal_hours_mean_no_quiet_hours() -> None:
    assert not any(is_quiet(h, (7, 7)) for h in range(24))


def test_daytime_sends_now() -> None:
    assert delay_until_allowed(datetime(2026, 6, 1, 10, 0, tzinfo=UTC), NIGHT, BERLIN) is None


def test_evening_waits_until_the_next_morning() -> None:
    # 21:30 in Berlin (CEST, UTC+2) -> 07:00 next day: 9.5 hours
    now = datetime(2026, 6, 1, 19, 30, tzinfo=UTC)
    assert delay_until_allowed(now, NIGHT, BERLIN) == int(9.5 * HOUR)


def test_after_midnight_waits_until_the_same_morning() -> None:
    # 02:15 in Berlin -> 07:00 the same day
    now = datetime(2026, 6, 2, 0, 15, tzinfo=UTC)
    assert delay_until_allowed(now, NIGHT, BERLIN) == 4 * HOUR + 45 * 60


def test_the_recipients_zone_decides_not_utc() -> None:
    # 03:00 UTC is 12:00 in Tokyo (send) and 23:00 the day before in New York (wait).
    now = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    assert delay_until_allowed(now, NIGHT, ZoneInfo("Asia/Tokyo")) is None
    assert delay_until_allowed(now, NIGHT, ZoneInfo("America/New_York")) == 8 * HOUR


def test_spring_forward_night_is_an_hour_shorter() -> None:
    # 28 March 2026, 22:00 CET (UTC+1); clocks jump 02:00 -> 03:00; 07:00 CEST is 05:00 UTC.
    now = datetime(2026, 3, 28, 21, 0, tzinfo=UTC)
    assert delay_until_allowed(now, NIGHT, BERLIN) == 8 * HOUR


def test_fall_back_night_is_an_hour_longer() -> None:
    # 24 October 2026, 22:00 CEST (UTC+2); clocks fall back 03:00 -> 02:00; 07:00 CET is 06:00 UTC.
    now = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    assert delay_until_allowed(now, NIGHT, BERLIN) == 10 * HOUR


def test_delay_is_rounded_up_to_whole_seconds() -> None:
    now = datetime(2026, 6, 1, 4, 59, 59, 500_000, tzinfo=UTC)  # 06:59:59.5 in Berlin
    assert delay_until_allowed(now, NIGHT, BERLIN) == 1


def test_unknown_zone_falls_back_to_the_default() -> None:
    assert recipient_zone("Mars/Olympus_Mons", "Europe/Berlin") == BERLIN
    assert recipient_zone(None, "Europe/Berlin") == BERLIN
    assert recipient_zone("Asia/Tokyo", "Europe/Berlin") == ZoneInfo("Asia/Tokyo")
