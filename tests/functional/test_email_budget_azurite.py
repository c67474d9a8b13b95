"""The shared email budget on Azure Table storage (Azurite): two adapter instances (two hosts)
with concurrent takers never admit more than a window's limit together, and the priorities hold
across them. The clock is a fake one shared by both, moved between rounds: exact counts, no
timing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from shared.adapters.table_email_budget import TableEmailBudget
from shared.config import resolve_storage
from shared.domain.email_budget import BudgetWindow, EmailBudget, MailPriority
from tests.fixtures.azurite import Azurite

TAP, REMINDER, CAMPAIGN = (
    MailPriority.TAP_DELIVERY,
    MailPriority.JOINER_REMINDER,
    MailPriority.CAMPAIGN,
)
START = 1_800_000_000.0  # a bucket boundary (10 s buckets)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def _hosts(
    azurite: Azurite, table: str, budget: EmailBudget, clock: Clock
) -> tuple[TableEmailBudget, TableEmailBudget]:
    storage = resolve_storage({"AzureWebJobsStorage": azurite.connection_string})
    one, two = (TableEmailBudget(storage, table, budget, clock=clock) for _ in range(2))
    return one, two


async def _round(
    hosts: tuple[TableEmailBudget, ...], takers: int, priority: MailPriority
) -> list[float | None]:
    """`takers` concurrent takes on each host; what each was answered."""
    return list(await asyncio.gather(*(h.take(priority) for h in hosts for _ in range(takers))))


def test_two_hosts_with_concurrent_takers_never_exceed_the_minute_or_the_hour(
    azurite: Azurite, unique_name: Callable[[str], str]
) -> None:
    clock = Clock()
    budget = EmailBudget.for_limits(per_minute=7, per_hour=12)
    hosts = _hosts(azurite, unique_name("budget"), budget, clock)
    admitted_per_round = []
    for _ in range(5):  # a round every 30 s
        answers = asyncio.run(_round(hosts, 6, TAP))
        admitted_per_round.append(answers.count(None))
        assert all(a is None or a > 0 for a in answers)
        counts = asyncio.run(hosts[0].counts())
        for window in budget.windows:
            assert budget.used(window, clock.now, counts) <= window.limit
        clock.now += 30.0
    # 7 in the first minute; none at 30 s and 60 s (the counted minute is 7 buckets, 70 s);
    # 5 more at 90 s (the hour's 12); then nothing until the hour has passed
    assert admitted_per_round == [7, 0, 0, 5, 0]
    assert sum(asyncio.run(hosts[1].counts()).values()) == 12

    clock.now = START + 3600.0 + 10.0  # every bucket of the first round has left the hour
    assert asyncio.run(_round(hosts, 6, TAP)).count(None) == 7


def test_the_campaign_is_refused_at_its_share_while_joiner_mail_still_goes(
    azurite: Azurite, unique_name: Callable[[str], str]
) -> None:
    clock = Clock()
    # 10 a minute and an hour; the campaign's share 50 %: 5; reminders 8; TAP deliveries 10.
    budget = EmailBudget((BudgetWindow(60.0, 10), BudgetWindow(3600.0, 10)), 50)
    one, two = _hosts(azurite, unique_name("budget"), budget, clock)

    assert asyncio.run(_round((one, two), 5, CAMPAIGN)).count(None) == 5
    refused = asyncio.run(two.take(CAMPAIGN))
    assert refused is not None and refused > 60.0  # the hour holds its 5 for an hour
    assert asyncio.run(one.take(REMINDER)) is None  # joiner mail goes on past the campaign
    assert asyncio.run(_round((one, two), 3, REMINDER)).count(None) == 2  # up to 8
    assert asyncio.run(two.take(REMINDER)) is not None
    assert asyncio.run(_round((one, two), 2, TAP)).count(None) == 2  # the TAP reserve
    assert asyncio.run(one.take(TAP)) is not None  # now the window is full for everyone
    assert sum(asyncio.run(one.counts()).values()) == 10


def test_a_refusal_is_remembered_until_its_wait_has_passed_without_a_request(
    azurite: Azurite, unique_name: Callable[[str], str]
) -> None:
    clock = Clock()
    budget = EmailBudget.for_limits(per_minute=2, per_hour=100)
    one, two = _hosts(azurite, unique_name("budget"), budget, clock)
    assert asyncio.run(two.take(TAP)) is None and asyncio.run(two.take(TAP)) is None

    wait = asyncio.run(one.take(TAP))
    assert wait is not None
    requests = one.requests
    clock.now += 5.0
    assert asyncio.run(one.take(REMINDER)) == wait - 5.0  # lower classes: closed as long
    assert asyncio.run(one.take(TAP)) == wait - 5.0
    assert one.requests == requests

    clock.now = START + wait
    assert asyncio.run(one.take(TAP)) is None  # the minute moved on: taken, through the table
    assert one.requests > requests


def test_a_host_whose_clock_runs_ahead_is_counted_by_the_others(
    azurite: Azurite, unique_name: Callable[[str], str]
) -> None:
    behind, ahead = Clock(), Clock()
    ahead.now += 25.0
    budget = EmailBudget.for_limits(per_minute=3, per_hour=100)
    storage = resolve_storage({"AzureWebJobsStorage": azurite.connection_string})
    table = unique_name("budget")
    slow = TableEmailBudget(storage, table, budget, clock=behind)
    fast = TableEmailBudget(storage, table, budget, clock=ahead)

    assert [asyncio.run(fast.take(TAP)) for _ in range(2)] == [None, None]
    assert asyncio.run(slow.take(TAP)) is None
    assert asyncio.run(slow.take(TAP)) is not None  # 3 in the minute, whoever's clock
