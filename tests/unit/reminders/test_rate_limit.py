from __future__ import annotations

import asyncio
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.rate_limit import RateLimiter


def test_per_minute_window() -> None:
    limiter = RateLimiter(per_minute=3, per_hour=100)

    assert [limiter.try_acquire(t) for t in (0.0, 1.0, 2.0)] == [None, None, None]
    assert limiter.try_acquire(10.0) == pytest.approx(50.0)  # the send at 0 leaves at 60
    assert limiter.try_acquire(60.0) is None
    assert limiter.try_acquire(60.5) == pytest.approx(0.5)


def test_per_hour_window_outlasts_the_minute() -> None:
    limiter = RateLimiter(per_minute=30, per_hour=4)
    for t in (0.0, 100.0, 200.0, 300.0):
        assert limiter.try_acquire(t) is None

    assert limiter.try_acquire(400.0) == pytest.approx(3200.0)
    assert limiter.try_acquire(3600.0) is None


def test_a_refused_attempt_takes_no_slot() -> None:
    limiter = RateLimiter(per_minute=1, per_hour=10)
    assert limiter.try_acquire(0.0) is None
    for t in (1.0, 2.0, 3.0):
        assert limiter.try_acquire(t) is not None

    assert limiter.try_acquire(60.0) is None


@given(st.lists(st.floats(min_value=0, max_value=7200, allow_nan=False), max_size=300))
def test_no_window_ever_holds_more_sends_than_its_limit(times: list[float]) -> None:
    limiter = RateLimiter(per_minute=5, per_hour=20)
    taken = [t for t in sorted(times) if limiter.try_acquire(t) is None]

    for start in taken:
        assert sum(1 for t in taken if start <= t < start + 60) <= 5
        assert sum(1 for t in taken if start <= t < start + 3600) <= 20


def test_threads_sharing_one_limiter_never_exceed_it() -> None:
    limiter = RateLimiter(per_minute=50, per_hour=1000)
    granted: list[int] = []

    def worker() -> None:
        granted.extend(1 for _ in range(100) if limiter.try_acquire(5.0) is None)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(granted) == 50


def test_acquire_waits_for_short_delays_and_reports_long_ones() -> None:
    clock = {"now": 0.0}
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    limiter = RateLimiter(per_minute=1, per_hour=2)

    async def scenario() -> list[float | None]:
        first = await limiter.acquire(lambda: clock["now"], max_wait=120, sleep=fake_sleep)
        second = await limiter.acquire(lambda: clock["now"], max_wait=120, sleep=fake_sleep)
        third = await limiter.acquire(lambda: clock["now"], max_wait=120, sleep=fake_sleep)
        return [first, second, third]

    first, second, third = asyncio.run(scenario())

    assert first is None and second is None
    assert slept == [pytest.approx(60.0)]
    assert third == pytest.approx(3540.0)  # the hour is full: hand the delay back


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(per_minute=0, per_hour=10)
