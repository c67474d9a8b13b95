"""Benchmark: the registration campaign's planner over a large tenant (no I/O).

What the daily run and `tapstart campaign plan` do with the report's rows: the tally judges
every row as it streams (scope, path, eligibility: `CampaignTally.add`), then `plan_waves` plans
the waves within the day's capacity. Rows arrive in pages of 999 as Graph sends them and are
made before the clock starts (parsing Graph's JSON is the report benchmark's figure). Measured:
wall time of each part (the better of two untraced runs) and the peak memory the tally and the
plan allocate (a tracemalloc run of its own), at two sizes in the same run so the scaling shows;
a tenant mid-campaign (a third already written to, follow-ups due) runs too.

    python -m bench.campaign_bench --users 100000
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.domain.campaign import (
    CampaignPath,
    Membership,
    campaign_cadence,
    daily_capacity,
    hourly_allowance,
)
from shared.domain.campaign_state import CampaignContact
from shared.domain.passwordless import DEFAULT_TARGETS
from shared.domain.policies import CampaignPolicy
from shared.domain.registration import RegistrationRow
from shared.usecases.campaign_plan import CampaignPlanView, plan_from
from shared.usecases.campaign_scope import CampaignTally

PAGE = 999
START = date(2026, 12, 1)
# The mix of a tenant that mostly signs in with SMS today (the guide's starting point).
MIX: tuple[tuple[tuple[str, ...], float], ...] = (
    (("mobilePhone",), 0.40),
    (("microsoftAuthenticatorPush",), 0.22),
    (("microsoftAuthenticatorPush", "mobilePhone"), 0.05),
    ((), 0.12),
    (("email",), 0.03),
    (("microsoftAuthenticatorPasswordless", "microsoftAuthenticatorPush"), 0.10),
    (("passKeyDeviceBoundAuthenticator",), 0.08),
)


def _policy() -> CampaignPolicy:
    per_hour, share, quiet = 100, 50, (20, 7)  # the defaults: EMAIL_RATE_PER_HOUR, the share
    return CampaignPolicy(
        include_group_ids=(),
        exclude_group_ids=("e",),
        cadence=campaign_cadence((0, 7, 21), 3),
        targets=DEFAULT_TARGETS,
        hourly_allowance=hourly_allowance(per_hour, share),
        daily_capacity=daily_capacity(per_hour, share, quiet),
        quiet_hours=quiet,
        default_time_zone="UTC",
    )


def _pages(users: int, seed: int) -> Iterator[list[RegistrationRow]]:
    rng = random.Random(seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    page: list[RegistrationRow] = []
    for i in range(users):
        methods = rng.choices(kinds, weights)[0]
        guest = rng.random() < 0.03
        page.append(
            RegistrationRow(
                f"{i:08d}-0000-4000-8000-{i:012d}",
                f"user{i}@contoso.example",
                f"User {i}",
                "guest" if guest else "member",
                rng.random() < 0.01,
                None,
                None,
                None,
                None,
                tuple(sorted(methods)),
                "2026-11-30T23:00:00Z",
            )
        )
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def _contacts(users: int, share: float, seed: int) -> dict[str, CampaignContact]:
    """Mid-campaign: `share` of the users already written to over the last 30 days."""
    rng = random.Random(seed + 1)
    now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    contacts = {}
    for i in range(users):
        if rng.random() >= share:
            continue
        uid = f"{i:08d}-0000-4000-8000-{i:012d}"
        first = now - timedelta(days=rng.randint(0, 30))
        contacts[uid] = CampaignContact(
            uid,
            f"user{i}@contoso.example",
            CampaignPath.IN_APP,
            1,
            first_contact_at=first,
            sent_steps=rng.randint(1, 2),
        )
    return contacts


@dataclass(frozen=True)
class PlanRun:
    users: int
    contacted: int
    tally_s: float
    plan_s: float
    peak_mib: float
    eligible: int
    days: int
    last_first_contact: date | None
    emails: int


def _plan(
    pages: list[list[RegistrationRow]],
    contacts: dict[str, CampaignContact],
    excluded: frozenset[str],
) -> tuple[float, float, CampaignTally, CampaignPlanView]:
    policy = _policy()
    started = time.perf_counter()
    tally = CampaignTally(
        policy=policy,
        membership=Membership(None, excluded),
        opted_out={},
        joiners=frozenset(),
        contacts=contacts,
    )
    for page in pages:
        tally.add_page(page)
    tallied = time.perf_counter()
    view = plan_from(tally, policy, START)
    return tallied - started, time.perf_counter() - tallied, tally, view


def run(users: int, contacted_share: float, seed: int = 17) -> PlanRun:
    """Rows are made before the clock starts (Graph's parse is the report benchmark's); the
    timed run is untraced, and a second, traced run measures the peak of the tally and plan."""
    contacts = _contacts(users, contacted_share, seed) if contacted_share else {}
    excluded = frozenset(f"{i:08d}-0000-4000-8000-{i:012d}" for i in range(0, users, 997))
    pages = list(_pages(users, seed))
    tally_s, plan_s, tally, view = _plan(pages, contacts, excluded)
    del tally, view
    tracemalloc.start()
    _plan(pages, contacts, excluded)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tally_t, _, tally, view = _plan(pages, contacts, excluded)
    return PlanRun(
        users,
        len(contacts),
        min(tally_s, tally_t),
        plan_s,
        peak / 2**20,
        len(tally.candidates),
        len(view.plan.days),
        view.plan.last_first_contact_on,
        view.plan.emails,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args(argv)
    sizes = sorted({max(args.users // 10, 1), args.users})
    print(f"capacity {_policy().daily_capacity} emails/day, cadence days 0/7/21, pages of {PAGE}")
    print(
        f"{'users':>8} {'written to':>10} {'tally s':>8} {'plan s':>7} {'total s':>8} "
        f"{'peak MiB':>9} {'eligible':>9} {'days':>5} {'last 1st contact':>17} {'emails':>8}"
    )
    for users in sizes:
        for share in (0.0, 0.33):
            r = run(users, share)
            print(
                f"{r.users:>8,} {r.contacted:>10,} {r.tally_s:>8.2f} {r.plan_s:>7.2f} "
                f"{r.tally_s + r.plan_s:>8.2f} {r.peak_mib:>9.1f} {r.eligible:>9,} "
                f"{r.days:>5} {r.last_first_contact!s:>17} {r.emails:>8,}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
