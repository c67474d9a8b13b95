"""Client-side email rate limit of one process: sliding per-minute and per-hour windows.

One instance is shared by every send of a process. ACS counts per resource, so with several
instances the app counts in the shared budget instead (`shared.domain.email_budget`, kept in
Table storage); this limiter is what a process without storage counts with, and the
benchmark's per-process baseline. Time is injected, in seconds from
any monotonic origin, so the logic is testable without sleeping. The lock is held only for a
few list operations and never across an await, so it is safe from threads and event loops alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class _Window:
    seconds: float
    limit: int
    sends: deque[float] = field(default_factory=deque)

    def forget_before(self, now: float) -> None:
        while self.sends and self.sends[0] <= now - self.seconds:
            self.sends.popleft()

    def wait(self, now: float) -> float:
        """0 if a send fits now, else seconds until the oldest send leaves the window."""
        if len(self.sends) < self.limit:
            return 0.0
        return self.sends[0] + self.seconds - now


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        per_hour: int,
        *,
        minute_seconds: float = 60.0,
        hour_seconds: float = 3600.0,
    ) -> None:
        """`minute_seconds`/`hour_seconds` shorten the windows for benchmarks only."""
        if per_minute < 1 or per_hour < 1:
            raise ValueError("rate limits must be at least 1")
        self._windows = (_Window(minute_seconds, per_minute), _Window(hour_seconds, per_hour))
        self._lock = threading.Lock()

    def try_acquire(self, now: float) -> float | None:
        """Take a send slot at `now`: None if taken, else seconds to wait before trying again."""
        with self._lock:
            for window in self._windows:
                window.forget_before(now)
            wait = max(window.wait(now) for window in self._windows)
            if wait > 0:
                return wait
            for window in self._windows:
                window.sends.append(now)
            return None

    async def acquire(
        self,
        clock: Callable[[], float],
        max_wait: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> float | None:
        """Wait (asynchronously) for a slot; None once taken.

        If the wait would exceed `max_wait`, return it instead of waiting, so a queue function
        can re-enqueue the message with that delay rather than hold its invocation open.
        """
        while (wait := self.try_acquire(clock())) is not None:
            if wait > max_wait:
                return wait
            await sleep(wait)
        return None
