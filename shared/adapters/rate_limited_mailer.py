"""A Mailer that keeps every send of this process within the configured ACS rate.

A send slot can be reserved before the work that leads to the send (onboarding reserves one
before it creates a TAP, so a refusal never costs a live TAP); a send without a reservation
takes a slot itself. Over the limit it waits briefly when the wait is short, else raises
TransientError with the wait as `retry_after`, which every queue trigger turns into a delayed
retry instead of holding a worker.
"""

from __future__ import annotations

import time
from typing import Protocol

from shared.domain.email import OutgoingEmail
from shared.domain.errors import TransientError
from shared.domain.rate_limit import RateLimiter
from shared.ports import EmailSlot

MAX_INLINE_WAIT_SECONDS = 5.0


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail, operation_id: str) -> str: ...
    async def was_sent(self, operation_id: str) -> bool | None: ...


class RateLimitedMailer:
    def __init__(self, inner: EmailSender, limiter: RateLimiter) -> None:
        self._inner = inner
        self._limiter = limiter

    async def reserve(self) -> EmailSlot:
        wait = await self._limiter.acquire(time.monotonic, MAX_INLINE_WAIT_SECONDS)
        if wait is not None:
            raise TransientError("email_rate_limited", retry_after=wait)
        return EmailSlot(time.monotonic())

    async def send(
        self, email: OutgoingEmail, operation_id: str, slot: EmailSlot | None = None
    ) -> str:
        if slot is None:
            await self.reserve()
        return await self._inner.send(email, operation_id)

    async def was_sent(self, operation_id: str) -> bool | None:
        return await self._inner.was_sent(operation_id)

    async def aclose(self) -> None:
        close = getattr(self._inner, "aclose", None)
        if close is not None:
            await close()
