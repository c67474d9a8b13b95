"""The shared email budget's rule: sliding windows over buckets, ceilings per class, waits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.campaign import hourly_allowance
from shared.domain.email_budget import BudgetWindow, EmailBudget, MailPriority

TAP, REMINDER, CAMPAIGN = (
    MailPriority.TAP_DELIVERY,
    MailPriority.JOINER_REMINDER,
    MailPriority.CAMPAIGN,
)
ACS = EmailBudget.for_limits(30, 100, campaign_share_percent=50)


@pytest.mark.parametrize(
    ("per_minute", "per_hour", "share", "minute", "hour"),
    [
        # (TAP, reminder, campaign) ceilings of the minute and of the hour
        (30, 100, 50, (30, 24, 15), (100, 80, 50)),
        (30, 100, 0, (30, 24, 0), (100, 80, 0)),
        (30, 100, 90, (30, 27, 27), (100, 90, 90)),  # reminders never below the campaign
        (1, 1, 50, (1, 1, 0), (1, 1, 0)),  # joiner mail always has a send; the campaign none
        (5, 10, 50, (5, 4, 2), (10, 8, 5)),
        (3, 7, 33, (3, 2, 0), (7, 5, 2)),
    ],
)
def test_ceilings_per_class(
    per_minute: int,
    per_hour: int,
    share: int,
    minute: tuple[int, int, int],
    hour: tuple[int, int, int],
) -> None:
    budget = EmailBudget.for_limits(per_minute, per_hour, share)
    the_minute, the_hour = budget.windows
    assert tuple(budget.ceiling(the_minute, p) for p in (TAP, REMINDER, CAMPAIGN)) == minute
    assert tuple(budget.ceiling(the_hour, p) for p in (TAP, REMINDER, CAMPAIGN)) == hour


@pytest.mark.parametrize("share", [0, 10, 33, 50, 90])
@pytest.mark.parametrize("per_hour", [1, 7, 100, 1000])
def test_the_campaigns_hourly_ceiling_is_the_campaign_plans_allowance(
    share: int, per_hour: int
) -> None:
    budget = EmailBudget.for_limits(30, per_hour, share)
    assert budget.ceiling(budget.windows[1], CAMPAIGN) == hourly_allowance(per_hour, share)


B = ACS.bucket_seconds  # 10 s


@pytest.mark.parametrize(
    ("priority", "now", "counts", "expected"),
    [
        # an empty budget takes anything
        (CAMPAIGN, 1000.0, {}, None),
        # the minute counts 7 buckets (6 before the current one): 29 sent, one more fits
        (TAP, 1000.0, {94: 20, 100: 9}, None),
        # full at 30: the send of bucket 94 leaves when bucket 101 starts (1010 s)
        (TAP, 1005.0, {94: 20, 100: 10}, 5.0),
        # bucket 93 no longer counts for the minute: 10 + 19 fit
        (TAP, 1000.0, {93: 10, 94: 10, 100: 9}, None),
        # a reminder stops at 24: 24 in the minute -> wait for bucket 95 to leave (at 1020 s)
        (REMINDER, 1001.0, {95: 10, 99: 14}, 19.0),
        # ... but a TAP delivery still fits
        (TAP, 1001.0, {95: 10, 99: 14}, None),
        # the campaign stops at 15: 15 sent -> the oldest 5 must leave (bucket 95 at 1020 s)
        (CAMPAIGN, 1000.0, {95: 5, 96: 10}, 20.0),
        (REMINDER, 1000.0, {95: 5, 96: 10}, None),
        # the hour: 100 sent over the last hour, the minute empty; the oldest bucket (at 3,000 s)
        # leaves once bucket 3000 / 10 + 361 starts
        (TAP, 6500.0, {300: 50, 500: 50}, 6610.0 - 6500.0),
        # the campaign stops at 50 in the hour: 25 + 25 -> the older bucket must go
        (CAMPAIGN, 6500.0, {300: 25, 500: 25}, 6610.0 - 6500.0),
        # 25 + 50 (joiner mail sent those): both must go, the later one at 8,610 s
        (CAMPAIGN, 6500.0, {300: 25, 500: 50}, 8610.0 - 6500.0),
        # a bucket after the current one (a host whose clock runs ahead) counts too
        (TAP, 1000.0, {101: 30}, 1080.0 - 1000.0),
    ],
)
def test_decide(
    priority: MailPriority, now: float, counts: dict[int, int], expected: float | None
) -> None:
    wait = ACS.decide(priority, now, counts)
    assert wait == (None if expected is None else pytest.approx(expected))


def test_a_campaign_with_no_share_waits_a_whole_window_and_joiner_mail_goes() -> None:
    budget = EmailBudget.for_limits(30, 100, 0)
    assert budget.decide(CAMPAIGN, 0.0, {}) == 3600.0
    assert budget.decide(REMINDER, 0.0, {}) is None


def test_forget_keeps_only_the_buckets_a_window_still_counts() -> None:
    assert ACS.history_buckets == 360
    now = 10_000.0  # bucket 1000
    assert ACS.forget({639: 1, 640: 2, 999: 0, 1000: 3}, now) == {640: 2, 1000: 3}
    assert ACS.used(ACS.windows[0], now, {640: 2, 994: 1, 1000: 3}) == 4


@pytest.mark.parametrize(
    "bad",
    [
        lambda: EmailBudget.for_limits(0, 100),
        lambda: EmailBudget.for_limits(30, 100, campaign_share_percent=101),
        lambda: EmailBudget((BudgetWindow(65.0, 30),)),  # not whole buckets
        lambda: EmailBudget((BudgetWindow(5.0, 30),)),  # shorter than a bucket
        lambda: EmailBudget.for_limits(30, 100, bucket_seconds=1.0),  # 3,600 buckets to keep
        lambda: EmailBudget(()),
    ],
)
def test_invalid_budgets_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        bad()  # type: ignore[operator]


# --- Properties over random traffic ----------------------------------------------------------

SMALL = EmailBudget(
    (BudgetWindow(6.0, 5), BudgetWindow(24.0, 12)), campaign_share_percent=50, bucket_seconds=2.0
)
attempts = st.lists(
    st.tuples(st.floats(0.0, 3.0, allow_nan=False), st.sampled_from(list(MailPriority))),
    max_size=120,
)


def _run(traffic: list[tuple[float, MailPriority]]) -> list[tuple[float, MailPriority]]:
    now, counts, sent = 0.0, dict[int, int](), []
    for gap, priority in traffic:
        now += gap
        if SMALL.decide(priority, now, counts) is None:
            bucket = SMALL.bucket_of(now)
            counts[bucket] = counts.get(bucket, 0) + 1
            sent.append((now, priority))
        counts = SMALL.forget(counts, now)
    return sent


@settings(max_examples=300)
@given(attempts)
def test_no_real_sliding_window_ever_holds_more_than_its_limit(
    traffic: list[tuple[float, MailPriority]],
) -> None:
    sent = _run(traffic)
    for window in SMALL.windows:
        for end, _ in sent:  # every window [end - W, end] that ends at a send
            inside = [(t, p) for t, p in sent if end - window.seconds <= t <= end]
            assert len(inside) <= window.limit
            # and the campaign alone never fills more than its ceiling
            campaign = sum(1 for t, p in inside if p is CAMPAIGN)
            assert campaign <= SMALL.ceiling(window, CAMPAIGN)


@settings(max_examples=300)
@given(attempts, st.sampled_from(list(MailPriority)), st.floats(0.0, 30.0, allow_nan=False))
def test_the_wait_is_exact_and_higher_classes_fit_where_lower_ones_do(
    traffic: list[tuple[float, MailPriority]], priority: MailPriority, later: float
) -> None:
    counts: dict[int, int] = {}
    now = 0.0
    for gap, p in traffic:
        now += gap
        if SMALL.decide(p, now, counts) is None:
            counts[SMALL.bucket_of(now)] = counts.get(SMALL.bucket_of(now), 0) + 1
    at = now + later
    wait = SMALL.decide(priority, at, counts)
    ranks = list(MailPriority)
    for higher in ranks[: ranks.index(priority)]:
        if wait is None:
            assert SMALL.decide(higher, at, counts) is None
    if wait is not None:
        assert wait > 0
        assert SMALL.decide(priority, at + wait, counts) is None  # no sends meanwhile: it fits
        if wait > 1e-3:
            assert SMALL.decide(priority, at + wait - 1e-3, counts) is not None  # not sooner
