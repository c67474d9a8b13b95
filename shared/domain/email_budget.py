"""The email budget shared by every instance: sliding windows over time buckets, and priorities.

ACS counts sends per resource (defaults 30 a minute and 100 an hour) in sliding windows, so N
instances that each keep to the limit send N times it together. The budget is one count that
all of them draw from (`shared/adapters/table_email_budget.py` keeps it in Table storage); this
module is the pure part: what the count looks like, whether a send fits, and how long to wait.

Buckets. Time is cut into buckets of `bucket_seconds` (10 s in the app). A window of W seconds
counts the sends of the last W / bucket_seconds buckets *and* the current one: one bucket more
than W, so that any real sliding window of W seconds (the one ACS applies, which may start in the
middle of a bucket) holds at most the limit. The price is a little rate in a steady stream: a
30-a-minute limit lets through 30 per 70 s, 100 an hour 100 per 3,610 s. Fixed minute and hour
buckets would have no such price, but let twice the limit through across a boundary (30 at
12:00:59, 30 more at 12:01:00), which a sliding-window server answers with 429s.

Priorities. Each class of mail may fill a window only up to its ceiling; higher classes can go
on past it, so a reserve above each ceiling stays for them whatever the lower classes send:
- `tap_delivery`: the whole limit. A TAP delivery is refused only when the window is full.
- `joiner_reminder` (every mail but TAP deliveries and the campaign: reminders, final notices,
  admin alerts, digests): the limit less a reserve of `TAP_RESERVE_PERCENT` (rounded up) kept for
  TAP deliveries, but never below the campaign's ceiling nor below one send.
- `campaign`: `campaign_share_percent` of the limit, rounded down (0: no campaign mail) — the
  same arithmetic as the campaign's plan (`shared.domain.campaign.hourly_allowance`), applied to
  every window.
So campaign mail can never take the last (100 − share) % of a window: joiner mail always finds
at least that much room whatever the campaign sent, and TAP deliveries always find their reserve
whatever reminders and the campaign sent. A TAP delivery is refused only when joiner mail
itself (TAPs and reminders) has used the window up. Ceilings apply to the window's total, so a
lower class never sends while a higher one would be refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class MailPriority(StrEnum):
    """Classes of mail, highest first."""

    TAP_DELIVERY = "tap_delivery"
    JOINER_REMINDER = "joiner_reminder"
    CAMPAIGN = "campaign"


# What reminders (and all other joiner mail) leave to TAP deliveries in every window.
TAP_RESERVE_PERCENT = 20
# The app's bucket width: 7 buckets make the counted minute, 361 the counted hour.
BUCKET_SECONDS = 10.0
# A budget's state holds at most this many buckets (it travels in one Table entity).
MAX_BUCKETS = 1000


@dataclass(frozen=True)
class BudgetWindow:
    seconds: float
    limit: int


@dataclass(frozen=True)
class EmailBudget:
    """The limits, the bucket width and the campaign's share; `decide` is the whole rule."""

    windows: tuple[BudgetWindow, ...]
    campaign_share_percent: int = 0
    bucket_seconds: float = BUCKET_SECONDS

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("an email budget needs at least one window")
        if self.bucket_seconds <= 0:
            raise ValueError("buckets must be longer than 0 s")
        if not 0 <= self.campaign_share_percent <= 100:
            raise ValueError("the campaign's share is a percentage (0-100)")
        for window in self.windows:
            if window.limit < 1:
                raise ValueError("rate limits must be at least 1")
            span = window.seconds / self.bucket_seconds
            if span < 1 or abs(span - round(span)) > 1e-9:
                raise ValueError("a window must be a whole number (≥ 1) of buckets")
        if self.history_buckets > MAX_BUCKETS:
            raise ValueError(f"a window may span at most {MAX_BUCKETS} buckets")

    @classmethod
    def for_limits(
        cls,
        per_minute: int,
        per_hour: int,
        campaign_share_percent: int = 0,
        bucket_seconds: float = BUCKET_SECONDS,
    ) -> EmailBudget:
        """ACS's two windows: a minute and an hour."""
        return cls(
            (BudgetWindow(60.0, per_minute), BudgetWindow(3600.0, per_hour)),
            campaign_share_percent,
            bucket_seconds,
        )

    def span(self, window: BudgetWindow) -> int:
        """Buckets before the current one that `window` counts (so it counts span + 1)."""
        return round(window.seconds / self.bucket_seconds)

    @property
    def history_buckets(self) -> int:
        """How many buckets before the current one any window still counts."""
        return max(self.span(window) for window in self.windows)

    def bucket_of(self, now: float) -> int:
        return math.floor(now / self.bucket_seconds)

    def ceiling(self, window: BudgetWindow, priority: MailPriority) -> int:
        """How full `window` may be for a send of `priority` to still go out."""
        limit = window.limit
        campaign = limit * self.campaign_share_percent // 100
        if priority is MailPriority.CAMPAIGN:
            return campaign
        if priority is MailPriority.JOINER_REMINDER:
            reserve = math.ceil(limit * TAP_RESERVE_PERCENT / 100)
            return min(limit, max(limit - reserve, campaign, 1))
        return limit

    def decide(self, priority: MailPriority, now: float, counts: Mapping[int, int]) -> float | None:
        """None if a send of `priority` fits at `now`, else the seconds until one may.

        `counts`: sends per bucket index (`bucket_of`); buckets no window counts any more are
        ignored, and sends in buckets after the current one (a host whose clock runs ahead)
        count too. The wait assumes no further sends; if others send meanwhile, the next try
        answers a new wait.
        """
        current = self.bucket_of(now)
        wait = 0.0
        for window in self.windows:
            ceiling, span = self.ceiling(window, priority), self.span(window)
            if ceiling <= 0:
                # This class may not use the window at all: try again once it has gone by.
                wait = max(wait, window.seconds)
                continue
            counted = sorted((b, n) for b, n in counts.items() if b >= current - span and n > 0)
            total = sum(n for _, n in counted)
            for bucket, sent in counted:
                if total < ceiling:
                    break
                total -= sent
                # `bucket` leaves the window when the window's first bucket is the next one.
                wait = max(wait, (bucket + span + 1) * self.bucket_seconds - now)
        return wait if wait > 0 else None

    def forget(self, counts: Mapping[int, int], now: float) -> dict[int, int]:
        """The buckets of `counts` that some window still counts at `now` (the state to keep)."""
        first = self.bucket_of(now) - self.history_buckets
        return {b: n for b, n in counts.items() if b >= first and n > 0}

    def used(self, window: BudgetWindow, now: float, counts: Mapping[int, int]) -> int:
        """Sends `window` counts at `now`."""
        first = self.bucket_of(now) - self.span(window)
        return sum(n for b, n in counts.items() if b >= first)
