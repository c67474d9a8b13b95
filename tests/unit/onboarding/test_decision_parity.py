"""The CLI dry run (`Onboarding.preview`) and the worker (`Onboarding.__call__`) agree.

Each case builds the same world twice: one for the dry run, on a record that is not stored (as
`tapstart onboard --dry-run` does), one for the worker, on the same record stored in the
ledger. The dry run's verdict and the worker's outcome must say the same thing, and the dry run
must leave every fake as it found it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pytest

from shared.config import Settings
from shared.domain.commands import OnboardJoiner
from shared.domain.directory import Manager
from shared.domain.onboarding_decision import Fail, Issue, Refuse, Verdict, Wait
from shared.domain.record import JoinerRecord, Status
from shared.usecases.onboard_joiner import Outcome, Preview
from shared.usecases.onboarding_facts import hour_key
from tests.unit.onboarding.world import (
    GROUP,
    NOW,
    POLICY,
    SETTINGS,
    TODAY,
    World,
    joiner_record,
    user,
)

STRONG = "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"


def _nothing(w: World) -> None:
    return None


def _admin(w: World) -> None:
    w.directory.admins.add("id-E1")


def _guest(w: World) -> None:
    w.directory.users["E1"] = user("E1", user_type="Guest")


def _external(w: World) -> None:
    w.directory.users["E1"] = user("E1", external=True)


def _disabled(w: World) -> None:
    w.directory.users["E1"] = user("E1", account_enabled=False)


def _enrolled(w: World) -> None:
    w.directory.methods["id-E1"] = ["#microsoft.graph.passwordAuthenticationMethod", STRONG]


def _too_old(w: World) -> None:
    w.directory.users["E1"] = user("E1", created=NOW - timedelta(days=61))


def _dynamic_group(w: World) -> None:
    w.directory.dynamic_groups.add(GROUP)


def _flood_cap(w: World) -> None:
    w.ledger.tap_slots[hour_key(NOW)] = w.settings.tap_max_per_hour


def _no_manager(w: World) -> None:
    del w.directory.managers["id-E1"]


def _manager_without_mail(w: World) -> None:
    w.directory.managers["id-E1"] = Manager("m1", "Grace Hopper", None, "de")


def _tap_policy_off(w: World) -> None:
    w.directory.policy = replace(POLICY, enabled=False)


def _tap_policy_excludes(w: World) -> None:
    w.directory.policy = replace(POLICY, exclude_group_ids=(GROUP,))


def _tap_policy_targets_others(w: World) -> None:
    w.directory.policy = replace(POLICY, include_group_ids=("g-someone-else",))


def _tap_policy_targets_a_group_the_user_is_in(w: World) -> None:
    w.directory.policy = replace(POLICY, include_group_ids=("g-staff",))
    w.directory.groups["g-staff"] = {"id-E1"}


def _no_account(w: World) -> None:
    w.directory.users.clear()


@dataclass(frozen=True)
class Case:
    setup: Callable[[World], None]
    expected: tuple[str, str | None]  # what both must say: (status, reason)
    settings: Settings = SETTINGS
    hire: date = TODAY
    extra: dict[str, Any] = field(default_factory=dict)


CASES = {
    "issue": Case(_nothing, ("delivered", None)),
    "admin role": Case(_admin, ("refused", "admin_role")),
    "guest": Case(_guest, ("refused", "guest_account")),
    "external guest": Case(_external, ("refused", "guest_account")),
    "disabled": Case(_disabled, ("refused", "account_disabled")),
    "already enrolled": Case(_enrolled, ("refused", "already_enrolled")),
    "account too old": Case(_too_old, ("refused", "account_too_old")),
    "dynamic group": Case(_dynamic_group, ("failed", "group_is_dynamic")),
    "flood cap reached": Case(_flood_cap, ("paused", None)),
    "no manager, no fallback": Case(_no_manager, ("failed", "no_delivery_address")),
    "manager without mail": Case(_manager_without_mail, ("failed", "no_delivery_address")),
    "no manager, fallback address": Case(
        _no_manager,
        ("delivered", None),
        settings=replace(SETTINGS, fallback_delivery_email="it@contoso.example"),
    ),
    "TAP policy disabled": Case(_tap_policy_off, ("failed", "tap_policy_disabled")),
    "TAP policy excludes the user": Case(
        _tap_policy_excludes, ("failed", "tap_policy_excludes_user")
    ),
    "TAP policy targets other groups": Case(
        _tap_policy_targets_others, ("failed", "tap_policy_excludes_user")
    ),
    "TAP policy targets a group the user is in": Case(
        _tap_policy_targets_a_group_the_user_is_in, ("delivered", None)
    ),
    "no account yet": Case(_no_account, ("waiting_for_account", None)),
    "pre-hire": Case(_nothing, ("waiting_for_hire_date", None), hire=TODAY + timedelta(days=20)),
}


def verdict_says(verdict: Verdict) -> tuple[str, str | None]:
    if isinstance(verdict, Refuse):
        return Status.REFUSED.value, verdict.reason
    if isinstance(verdict, Fail):
        return Status.FAILED.value, verdict.reason
    if isinstance(verdict, Wait):
        return verdict.status.value, None
    assert isinstance(verdict, Issue)
    return Status.DELIVERED.value, None


def outcome_says(outcome: Outcome) -> tuple[str, str | None]:
    return outcome.status.value, outcome.reason


def world_for(case: Case) -> tuple[World, JoinerRecord]:
    w = World(case.settings)
    w.add_user("E1")
    case.setup(w)
    return w, joiner_record("E1", case.hire)


def snapshot(w: World) -> dict[str, Any]:
    """Everything onboarding could change, copied."""
    return {
        "records": dict(w.ledger.records),
        "ledger_version": w.ledger.version,
        "tap_slots": dict(w.ledger.tap_slots),
        "claims": set(w.ledger.claims),
        "groups": {g: set(m) for g, m in w.directory.groups.items()},
        "taps": list(w.directory.taps),
        "sent": list(w.mailer.sent),
        "reserved": w.mailer.reserved,
        "messages": list(w.queue.messages),
    }


def dry_run(case: Case) -> Preview:
    w, record = world_for(case)
    before = snapshot(w)
    preview = asyncio.run(w.services.onboard_joiner.preview(record))
    assert snapshot(w) == before, "the dry run changed something"
    return preview


def worker(case: Case) -> tuple[World, Outcome]:
    w, record = world_for(case)
    asyncio.run(w.ledger.create(record))
    return w, asyncio.run(w.services.onboard_joiner(OnboardJoiner(record.tracking_id)))


@pytest.mark.parametrize("name", list(CASES))
def test_the_dry_run_and_the_worker_give_the_same_verdict(name: str) -> None:
    case = CASES[name]
    preview = dry_run(case)
    w, outcome = worker(case)

    assert verdict_says(preview.verdict) == case.expected
    assert outcome_says(outcome) == case.expected

    verdict = preview.verdict
    if isinstance(verdict, Wait):
        assert outcome.retry_in_seconds == int(verdict.delay.total_seconds())
        assert w.queue.delays(case.settings.onboarding_queue) == [outcome.retry_in_seconds]
    if isinstance(verdict, Fail):
        record = next(iter(w.ledger.records.values()))
        assert record.reason_detail == verdict.detail[:500]
    if isinstance(verdict, Refuse | Fail):
        assert w.directory.taps == [] and w.directory.groups.get(GROUP) is None
    if isinstance(verdict, Issue):
        # The TAP and the email are the ones the dry run announced.
        [(user_id, tap)] = w.directory.taps
        [(email, _)] = w.mailer.sent
        assert user_id == "id-E1" and email.to == (verdict.recipient,)
        assert tap.lifetime_minutes == verdict.plan.lifetime_minutes
        assert tap.one_time is verdict.plan.one_time
        assert "id-E1" in w.directory.groups[GROUP]


def test_the_cases_cover_every_kind_of_verdict() -> None:
    kinds = {type(dry_run(case).verdict) for case in CASES.values()}
    assert kinds == {Wait, Refuse, Fail, Issue}


def test_a_pre_hire_dry_run_also_says_what_happens_on_the_day_onboarding_starts() -> None:
    preview = dry_run(CASES["pre-hire"])
    assert isinstance(preview.verdict, Wait) and isinstance(preview.then, Issue)
    assert preview.starts_at is not None
    # Onboarding starts PREHIRE_LEAD_DAYS before the hire day's start hour (07:00 Berlin).
    assert preview.starts_at == preview.valid_from - timedelta(days=SETTINGS.prehire_lead_days)
    assert preview.then.plan.start == preview.valid_from


def test_the_flood_cap_one_slot_short_still_issues_in_both() -> None:
    def one_left(w: World) -> None:
        w.ledger.tap_slots[hour_key(NOW)] = w.settings.tap_max_per_hour - 1

    case = Case(one_left, ("delivered", None))
    assert verdict_says(dry_run(case).verdict) == case.expected
    w, outcome = worker(case)
    assert outcome_says(outcome) == case.expected
    assert w.ledger.tap_slots[hour_key(NOW)] == SETTINGS.tap_max_per_hour
