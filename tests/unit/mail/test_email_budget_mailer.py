"""The mailer over a send budget: priorities passed through, short waits waited, long ones raised;
and the call sites: a TAP delivery reserves as `tap_delivery`, a reminder as `joiner_reminder`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from shared.adapters.rate_limited_mailer import ProcessBudget, RateLimitedMailer
from shared.domain.email import OutgoingEmail
from shared.domain.email_budget import MailPriority
from shared.domain.errors import TransientError
from shared.domain.rate_limit import RateLimiter
from tests.fakes import FakeMailer
from tests.unit.onboarding.world import World as OnboardingWorld
from tests.unit.reminders.test_send_reminder import DAY_3, REISSUE
from tests.unit.reminders.test_send_reminder import World as ReminderWorld

EMAIL = OutgoingEmail(
    kind="reminder",
    to=("ada@contoso.example",),
    cc=(),
    subject="Set up your sign-in",
    text="text",
    html="<p>html</p>",
)


@dataclass
class ScriptedBudget:
    waits: list[float | None]
    taken: list[MailPriority] = field(default_factory=list)

    async def take(self, priority: MailPriority) -> float | None:
        self.taken.append(priority)
        return self.waits.pop(0)


@dataclass
class Sender:
    sent: list[str] = field(default_factory=list)

    async def send(self, email: OutgoingEmail, operation_id: str) -> str:
        self.sent.append(operation_id)
        return operation_id

    async def was_sent(self, operation_id: str) -> bool | None:
        return operation_id in self.sent


def _mailer(budget: ScriptedBudget, slept: list[float]) -> tuple[RateLimitedMailer, Sender]:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    sender = Sender()
    return RateLimitedMailer(sender, budget, sleep=sleep), sender


def test_a_short_wait_is_waited_and_the_priority_reaches_the_budget() -> None:
    budget, slept = ScriptedBudget([2.0, 0.5, None]), list[float]()
    mailer, _ = _mailer(budget, slept)
    asyncio.run(mailer.reserve(MailPriority.TAP_DELIVERY))
    assert slept == [2.0, 0.5]
    assert budget.taken == [MailPriority.TAP_DELIVERY] * 3


def test_a_long_wait_is_the_retry_after_of_a_transient_error() -> None:
    budget, slept = ScriptedBudget([1.0, 37.5]), list[float]()
    mailer, sender = _mailer(budget, slept)
    with pytest.raises(TransientError) as raised:
        asyncio.run(mailer.send(EMAIL, "op-1"))
    assert raised.value.reason == "email_rate_limited" and raised.value.retry_after == 37.5
    assert slept == [1.0] and sender.sent == []


def test_a_send_with_a_slot_takes_none_and_one_without_takes_joiner_mail() -> None:
    budget = ScriptedBudget([None, None])
    mailer, sender = _mailer(budget, [])

    async def both() -> None:
        slot = await mailer.reserve(MailPriority.CAMPAIGN)
        await mailer.send(EMAIL, "op-1", slot)
        await mailer.send(EMAIL, "op-2")

    asyncio.run(both())
    assert budget.taken == [MailPriority.CAMPAIGN, MailPriority.JOINER_REMINDER]
    assert sender.sent == ["op-1", "op-2"]


def test_the_process_budget_is_the_sliding_limiter_of_this_process() -> None:
    now = [0.0]
    budget = ProcessBudget(RateLimiter(2, 100), lambda: now[0])

    async def takes() -> list[float | None]:
        return [await budget.take(MailPriority.TAP_DELIVERY) for _ in range(3)]

    assert asyncio.run(takes()) == [None, None, 60.0]
    now[0] = 60.0
    assert asyncio.run(budget.take(MailPriority.CAMPAIGN)) is None


def test_the_onboarding_reserves_the_tap_delivery_as_the_highest_class() -> None:
    w = OnboardingWorld()
    tid = w.joiner()
    w.outcome(tid)
    assert w.email_kinds() == ["tap_delivery"]
    assert w.mailer.priorities == [MailPriority.TAP_DELIVERY]


def test_a_reminder_is_joiner_mail_and_its_tap_reissue_a_tap_delivery() -> None:
    w = ReminderWorld()
    assert w.run(1).outcome == "sent"
    assert w.mailer.priorities == [MailPriority.JOINER_REMINDER]

    reissue = ReminderWorld(settings=REISSUE, mailer=FakeMailer())
    reissue.clock.current = DAY_3
    assert reissue.run(2).outcome == "sent"
    assert reissue.kinds() == ["tap_delivery", "reminder"]
    assert reissue.mailer.priorities == [MailPriority.TAP_DELIVERY, MailPriority.JOINER_REMINDER]
