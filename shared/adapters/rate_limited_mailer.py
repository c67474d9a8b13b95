"""A Mailer that keeps every send within an email budget: the one all instances share
(`TableEmailBudget`), or this process's own (`ProcessBudget`, for a process without storage).

A send slot can be reserved before the work that leads to the send (onboarding reserves one
before it creates a TAP, so a refusal never costs a live TAP); a send without a reservation
takes a slot itself, as joiner mail (`MailPriority.JOINER_REMINDER`). Over the budget it waits
briefly when the wait is short, else raises TransientError with the wait as `retry_after`, which
every queue trigger turns into a delayed retry instead of holding a worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from shared.domain.email import OutgoingEmail
from shared.domain.email_budget import MailPriority
from shared.domain.errors import TransientError
from shared.domain.rate_limit import RateLimiter
from shared.ports import EmailSlot

MAX_INLINE_WAIT_SECONDS = 5.0


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail, operation_id: str) -> str: ...
    async def was_sent(self, operation_id: str) -> bool | None: ...


class SendBudget(Protocol):
    async def take(self, priority: MailPriority) -> float | None:
        """Take one send now: None if taken, else the seconds until one may be free."""
        ...


class ProcessBudget:
    """This process's sends only (sliding minute and hour, `RateLimiter`); no priorities.

    Right for one process alone; N instances each keeping to it send N times the limit."""

    def __init__(self, limiter: RateLimiter, clock: Callable[[], float] = time.monotonic) -> None:
        self._limiter = limiter
        self._clock = clock

    async def take(self, priority: MailPriority) -> float | None:  # noqa: ARG002 (no classes)
        return self._limiter.try_acquire(self._clock())


class RateLimitedMailer:
    def __init__(
        self,
        inner: EmailSender,
        budget: SendBudget,
        *,
        max_inline_wait: float = MAX_INLINE_WAIT_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._inner = inner
        self._budget = budget
        self._max_inline_wait = max_inline_wait
        self._sleep = sleep

    async def reserve(self, priority: MailPriority = MailPriority.JOINER_REMINDER) -> EmailSlot:
        while (wait := await self._budget.take(priority)) is not None:
            if wait > self._max_inline_wait:
                raise TransientError("email_rate_limited", retry_after=wait)
            await self._sleep(wait)
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
        for part in (self._inner, self._budget):
            close = getattr(part, "aclose", None)
            if close is not None:
                await close()
