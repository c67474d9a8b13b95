"""Sliding-window rate limits (per minute and per hour) on an adjustable clock.

A sliding log rather than fixed windows: a request is allowed when fewer than N requests
were admitted in the last 60 s (or 3600 s). `retry-after` is the time until the oldest of
those leaves the window, so a client that honours it is admitted on its next try.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field


class Clock:
    """Monotonic time that a test can move forward, to cross a window without waiting."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.monotonic() + self._offset

    def wall(self) -> float:
        """Epoch seconds moved by the same offset (token lifetimes run on this clock)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds

    def reset(self) -> None:
        self._offset = 0.0


@dataclass
class SlidingWindow:
    seconds: float
    limit: int | None
    admitted: deque[float] = field(default_factory=deque)

    def _expire(self, now: float) -> None:
        while self.admitted and self.admitted[0] <= now - self.seconds:
            self.admitted.popleft()

    def wait_seconds(self, now: float) -> float:
        """0 when a request may pass now, else how long until one may."""
        if self.limit is None:
            return 0.0
        self._expire(now)
        if len(self.admitted) < self.limit:
            return 0.0
        if self.limit == 0:
            return self.seconds
        return self.admitted[-self.limit] + self.seconds - now

    def admit(self, now: float) -> None:
        self.admitted.append(now)


@dataclass
class RateLimiter:
    """A per-minute and a per-hour window that must both have room."""

    clock: Clock
    per_minute: int | None
    per_hour: int | None
    _windows: tuple[SlidingWindow, SlidingWindow] = field(init=False)

    def __post_init__(self) -> None:
        self._windows = (SlidingWindow(60, self.per_minute), SlidingWindow(3600, self.per_hour))

    def set_limits(self, per_minute: int | None, per_hour: int | None) -> None:
        self._windows[0].limit = per_minute
        self._windows[1].limit = per_hour

    def clear(self) -> None:
        for window in self._windows:
            window.admitted.clear()

    def retry_after(self) -> int | None:
        """None when a request may pass now, else whole seconds to wait (at least 1)."""
        now = self.clock.now()
        wait = max(window.wait_seconds(now) for window in self._windows)
        return None if wait <= 0 else max(1, math.ceil(wait))

    def admit(self) -> None:
        now = self.clock.now()
        for window in self._windows:
            window.admit(now)
