"""A Mailer that keeps every send of this process within the configured ACS rate.

Over the limit it waits briefly when the wait is short, else raises TransientError with the wait
as `retry_after`, so a queue message is re-enqueued for later instead of holding a worker.
"""

from __future__ import annotations

import time

from shared.domain.email import OutgoingEmail
from shared.domain.errors import TransientError
from shared.domain.rate_limit import RateLimiter
from shared.ports import Mailer

MAX_INLINE_WAIT_SECONDS = 5.0


class RateLimitedMailer:
    def __init__(self, inner: Mailer, limiter: RateLimiter) -> None:
        self._inner = inner
        self._limiter = limiter

    async def send(self, email: OutgoingEmail, operation_id: str) -> str:
        wait = await self._limiter.acquire(time.monotonic, MAX_INLINE_WAIT_SECONDS)
        if wait is not None:
            raise TransientError("email_rate_limited", retry_after=wait)
        return await self._inner.send(email, operation_id)

    async def was_sent(self, operation_id: str) -> bool | None:
        return await self._inner.was_sent(operation_id)
