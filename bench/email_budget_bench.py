"""Benchmark: the email budget shared by all instances against the per-process limiter, on Azurite.

2 and 4 "hosts" (each its own budget adapter and mailer, as each Functions instance has) send
as fast as their budget lets them: every host runs a few senders that reserve a slot and, when
refused, wait the `retry_after` as the queue's re-enqueue would. The per-process limiter lets
each host fill the limit by itself; the shared budget (`TableEmailBudget`, one entity in Table
storage) holds all hosts together to it. Then a mixed run on the shared budget: campaign and
reminder senders flat out and a trickle of TAP deliveries, to show each class at its ceiling and
the TAPs going out past both.

Windows are scaled down so that a run takes seconds: the "minute" is `--minute-seconds` (2 s)
and the "hour" 4 minutes, in buckets of an eighth of the minute (the app: 60 s, 3,600 s, 10 s
buckets). The peaks printed are the most sends seen in any real sliding window of that length,
at the instants the slots were granted.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass, field

from bench.tap_cap_bench import azurite_connection
from shared.adapters.rate_limited_mailer import ProcessBudget, RateLimitedMailer, SendBudget
from shared.adapters.table_email_budget import TableEmailBudget
from shared.config import resolve_storage
from shared.domain.email import OutgoingEmail
from shared.domain.email_budget import BudgetWindow, EmailBudget, MailPriority
from shared.domain.errors import TransientError
from shared.domain.rate_limit import RateLimiter

TAP, REMINDER, CAMPAIGN = (
    MailPriority.TAP_DELIVERY,
    MailPriority.JOINER_REMINDER,
    MailPriority.CAMPAIGN,
)


class _NoSend:
    """Stands in for ACS: the benchmark measures the budget, not the sending."""

    async def send(self, email: OutgoingEmail, operation_id: str) -> str:
        return f"{email.kind}:{operation_id}"

    async def was_sent(self, operation_id: str) -> bool | None:
        return bool(operation_id)


@dataclass
class Traffic:
    granted: list[tuple[float, MailPriority]] = field(default_factory=list)
    refusals: int = 0
    tap_waits: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Shape:
    per_minute: int
    per_hour: int
    minute: float
    campaign_share: int

    @property
    def hour(self) -> float:
        return 4 * self.minute

    @property
    def bucket(self) -> float:
        return self.minute / 8

    def budget(self) -> EmailBudget:
        windows = (
            BudgetWindow(self.minute, self.per_minute),
            BudgetWindow(self.hour, self.per_hour),
        )
        return EmailBudget(windows, self.campaign_share, self.bucket)


def peak(times: list[float], seconds: float) -> int:
    """The most of `times` in any closed window of `seconds`."""
    ordered, best, first = sorted(times), 0, 0
    for last, end in enumerate(ordered):
        while ordered[first] < end - seconds:
            first += 1
        best = max(best, last - first + 1)
    return best


async def _sender(
    mailer: RateLimitedMailer,
    priority: MailPriority,
    traffic: Traffic,
    deadline: float,
    pause: float = 0.0,
) -> None:
    while time.monotonic() < deadline:
        asked = time.monotonic()
        while True:
            try:
                await mailer.reserve(priority)
                break
            except TransientError as refused:
                traffic.refusals += 1
                await asyncio.sleep(
                    min(refused.retry_after or 0.1, max(deadline - time.monotonic(), 0))
                )
                if time.monotonic() >= deadline:
                    return
        granted = time.monotonic()
        traffic.granted.append((granted, priority))
        if priority is TAP:
            traffic.tap_waits.append(granted - asked)
        if pause:
            await asyncio.sleep(pause)


async def _run(
    budgets: list[SendBudget],
    mix: list[tuple[MailPriority, int, float]],
    seconds: float,
    shape: Shape,
) -> Traffic:
    traffic = Traffic()
    deadline = time.monotonic() + seconds
    # The inline wait scaled as the windows are (the app: 5 s of a 60 s minute).
    inline = 5.0 * shape.minute / 60.0
    tasks = []
    for budget in budgets:
        mailer = RateLimitedMailer(_NoSend(), budget, max_inline_wait=inline)
        for priority, senders, pause in mix:
            tasks += [_sender(mailer, priority, traffic, deadline, pause) for _ in range(senders)]
    await asyncio.gather(*tasks)
    return traffic


def _table_budgets(connection: str, hosts: int, shape: Shape) -> list[TableEmailBudget]:
    storage = resolve_storage({"AzureWebJobsStorage": connection})
    table = "mail" + uuid.uuid4().hex[:10]
    return [TableEmailBudget(storage, table, shape.budget()) for _ in range(hosts)]


def _process_budgets(hosts: int, shape: Shape) -> list[ProcessBudget]:
    return [
        ProcessBudget(
            RateLimiter(
                shape.per_minute,
                shape.per_hour,
                minute_seconds=shape.minute,
                hour_seconds=shape.hour,
            )
        )
        for _ in range(hosts)
    ]


def _requests(budgets: list[SendBudget]) -> tuple[int, int]:
    tables = [b for b in budgets if isinstance(b, TableEmailBudget)]
    return sum(b.requests for b in tables), sum(b.conflicts for b in tables)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-minute", type=int, default=20)
    parser.add_argument("--per-hour", type=int, default=40)
    parser.add_argument("--minute-seconds", type=float, default=2.0, help="the scaled minute")
    parser.add_argument("--campaign-share", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0, help="each run's length")
    parser.add_argument("--senders", type=int, default=8, help="senders per host")
    args = parser.parse_args(argv)
    shape = Shape(args.per_minute, args.per_hour, args.minute_seconds, args.campaign_share)
    # TAP deliveries, the class that may fill the whole limit, so the peaks meet the limits.
    flat_out = [(TAP, args.senders, 0.0)]
    rows = []
    ok = True
    with azurite_connection() as connection:
        for hosts in (2, 4):
            for label, build in (
                ("per-process limiter", lambda h: _process_budgets(h, shape)),
                ("shared budget", lambda h: _table_budgets(connection, h, shape)),
            ):
                budgets: list[SendBudget] = list(build(hosts))
                asyncio.run(_warm(budgets))  # the table and the clients, outside the run
                before = _requests(budgets)
                traffic = asyncio.run(_run(budgets, flat_out, args.seconds, shape))
                times = [t for t, _ in traffic.granted]
                requests, lost = (a - b for a, b in zip(_requests(budgets), before, strict=True))
                rows.append(
                    (
                        label,
                        hosts,
                        traffic,
                        peak(times, shape.minute),
                        peak(times, shape.hour),
                        requests,
                        lost,
                    )
                )
                if label == "shared budget":
                    ok &= peak(times, shape.minute) <= shape.per_minute
                    ok &= peak(times, shape.hour) <= shape.per_hour
        mixed_budgets: list[SendBudget] = list(_table_budgets(connection, 4, shape))
        asyncio.run(_warm(mixed_budgets))
        mix = [
            (CAMPAIGN, args.senders, 0.0),
            (REMINDER, args.senders, 0.0),
            (TAP, 1, shape.minute * 2.5),
        ]
        mixed = asyncio.run(_run(mixed_budgets, mix, args.seconds * 1.5, shape))

    print(
        f"limits {shape.per_minute} a 'minute' ({shape.minute:g} s) and {shape.per_hour} an 'hour' "
        f"({shape.hour:g} s), buckets of {shape.bucket:g} s; {args.senders} senders per host, "
        f"{args.seconds:g} s a run; Azurite"
    )
    print(
        f"{'':22}{'hosts':>6}{'sends':>7}{'peak/min':>10}{'limit':>7}{'peak/hour':>11}{'limit':>7}"
        f"{'refused':>9}{'requests/send':>15}{'lost writes':>13}"
    )
    for label, hosts, traffic, minute_peak, hour_peak, requests, lost in rows:
        sends = len(traffic.granted)
        per = f"{requests / sends:.2f}" if requests else "-"
        print(
            f"{label:22}{hosts:>6}{sends:>7}{minute_peak:>10}{shape.per_minute:>7}{hour_peak:>11}"
            f"{shape.per_hour:>7}{traffic.refusals:>9}{per:>15}{lost if requests else '-':>13}"
        )
    budget = shape.budget()
    print(f"\nMixed load on the shared budget, 4 hosts, {args.seconds * 1.5:g} s:")
    print(f"{'class':18}{'sends':>7}{'peak/min':>10}{'ceiling':>9}{'peak/hour':>11}{'ceiling':>9}")
    for priority in MailPriority:
        times = [t for t, p in mixed.granted if p is priority]
        minute_ceiling, hour_ceiling = (budget.ceiling(w, priority) for w in budget.windows)
        print(
            f"{priority.value:18}{len(times):>7}{peak(times, shape.minute):>10}{minute_ceiling:>9}"
            f"{peak(times, shape.hour):>11}{hour_ceiling:>9}"
        )
        ok &= (
            peak(times, shape.minute) <= minute_ceiling and peak(times, shape.hour) <= hour_ceiling
        )
    everything = [t for t, _ in mixed.granted]
    print(
        f"{'all':18}{len(everything):>7}{peak(everything, shape.minute):>10}{shape.per_minute:>9}"
        f"{peak(everything, shape.hour):>11}{shape.per_hour:>9}"
    )
    waits = sorted(mixed.tap_waits)
    if waits:
        print(
            f"TAP deliveries: {len(waits)} asked, waited p50 {waits[len(waits) // 2]:.2f} s, "
            f"max {waits[-1]:.2f} s (the scaled minute is {shape.minute:g} s)"
        )
    print(f"Shared budget within every limit and ceiling: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


async def _warm(budgets: list[SendBudget]) -> None:
    for budget in budgets:
        if isinstance(budget, TableEmailBudget):
            await budget.counts()


if __name__ == "__main__":
    raise SystemExit(main())
