"""The one onboarding decision: given what the directory says, wait, refuse, fail or issue a TAP.

Pure: the worker, the TAP re-issue of a reminder and `tapstart onboard --dry-run` read the same
facts (shared.usecases.onboarding_facts) and ask this function, so they cannot disagree. The
order of the checks is the order an admin fixes things in: timing, the account, who the
person is (guardrails), the tenant's setup (groups, TAP policy), the recipient, the flood cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.directory import DirectoryUser, GroupInfo, Manager, TapPolicy
from shared.domain.errors import PermanentError
from shared.domain.guardrails import refusal_reason
from shared.domain.policies import OnboardingPolicy
from shared.domain.privilege import Privilege
from shared.domain.recipient import delivery_domains, unsafe_manager
from shared.domain.record import JoinerRecord, Status
from shared.domain.tap_plan import (
    TapPlan,
    hire_day_start,
    onboarding_wait,
    plan_tap,
    retry_delay_seconds,
)

MAX_HOP = timedelta(days=7) - timedelta(minutes=1)  # Queue storage's longest invisibility


@dataclass(frozen=True)
class Facts:
    """What the directory and the ledger say about one joiner, read for this attempt."""

    user: DirectoryUser
    privilege: Privilege
    method_types: tuple[str, ...]
    groups: tuple[GroupInfo, ...]  # the passwordless groups
    manager: Manager | None
    tap_policy: TapPolicy
    user_group_ids: frozenset[str]  # as far as the TAP policy's targets need them
    cap_open: bool = True  # a TAP slot is left this hour


@dataclass(frozen=True)
class Wait:
    status: Status
    step: str  # the ledger step that records the wait
    delay: timedelta


@dataclass(frozen=True)
class Refuse:
    reason: str


@dataclass(frozen=True)
class Fail:
    reason: str
    detail: str


@dataclass(frozen=True)
class Issue:
    plan: TapPlan
    recipient: str
    manager: Manager | None
    to_manager: bool  # False: FALLBACK_DELIVERY_EMAIL
    not_to_manager: str | None = None  # why the manager did not get it (shared.domain.recipient)

    @property
    def recipient_label(self) -> str:
        return "manager" if self.to_manager else "FALLBACK_DELIVERY_EMAIL"


Verdict = Wait | Refuse | Fail | Issue


def valid_from(record: JoinerRecord, policy: OnboardingPolicy) -> datetime:
    """When the joiner's TAP becomes valid: the start hour of the hire day, in their zone."""
    zone = record.time_zone or policy.default_time_zone
    return hire_day_start(record.hire_date, zone, policy.tap_start_hour)


def hire_day_wait(record: JoinerRecord, policy: OnboardingPolicy, now: datetime) -> Wait | None:
    """A pre-hire too early to onboard waits (in hops the queue can hold); None: go now."""
    wait = onboarding_wait(valid_from(record, policy), now, policy.prehire_lead_days)
    if wait is None:
        return None
    return Wait(Status.WAITING_FOR_HIRE_DATE, "hire_date", min(wait, MAX_HOP))


def account_wait(record: JoinerRecord, policy: OnboardingPolicy, now: datetime) -> Wait | Fail:
    """No Entra account yet: wait with growing delays until the provisioning deadline."""
    deadline = record.accepted_at + timedelta(hours=policy.provisioning_deadline_hours)
    if now >= deadline:
        return Fail(
            "user_not_provisioned",
            f"no Entra account after {policy.provisioning_deadline_hours} h",
        )
    attempts = sum(1 for s in record.steps if s.step == "resolve_user")
    delay = timedelta(
        seconds=retry_delay_seconds(attempts + 1, base=policy.account_retry_base_seconds)
    )
    return Wait(
        Status.WAITING_FOR_ACCOUNT,
        "resolve_user",
        min(delay, deadline - now + timedelta(seconds=1), MAX_HOP),
    )


def next_hour_wait(now: datetime) -> Wait:
    """The flood cap is reached: resume just after the hour rolls over."""
    next_hour = (now + timedelta(hours=1)).replace(minute=0, second=5, microsecond=0)
    return Wait(Status.PAUSED, "flood_cap", next_hour - now)


def decide(
    record: JoinerRecord,
    facts: Facts | None,
    policy: OnboardingPolicy,
    now: datetime,
    *,
    start: datetime | None = None,
) -> Verdict:
    """The verdict for one attempt. `facts` None: the account is not in the directory (yet).

    `start` overrides the TAP's validity start (a re-issue starts now, not on the hire day).
    """
    if start is None and (wait := hire_day_wait(record, policy, now)) is not None:
        return wait
    if facts is None:
        return account_wait(record, policy, now)
    refused = refusal_reason(
        facts.user,
        privilege=facts.privilege,
        method_types=list(facts.method_types),
        now=now,
        max_account_age_days=policy.max_account_age_days,
        rehire=record.rehire_by is not None,
        employee_id=record.employee_id,
        own_pass_since=record.tap_start if record.tap_id else None,
    )
    if refused is not None:
        return Refuse(refused)
    for group in facts.groups:
        if group.dynamic:  # Graph refuses members for a dynamic group: fail clearly, once
            return Fail("group_is_dynamic", f"passwordless group {group.id} has dynamic membership")
    domains = delivery_domains(policy.delivery_domains, facts.user.user_principal_name)
    not_to_manager = unsafe_manager(facts.manager, domains)
    manager_mail = facts.manager.mail if facts.manager and not_to_manager is None else None
    recipient = manager_mail or policy.fallback_delivery_email
    if not recipient:
        return Fail(
            "no_delivery_address",
            f"{not_to_manager} and no FALLBACK_DELIVERY_EMAIL is set",
        )
    try:
        plan = plan_tap(
            facts.tap_policy,
            requested_lifetime=policy.tap_lifetime_minutes,
            requested_one_time=policy.tap_one_time,
            valid_from=start or valid_from(record, policy),
            now=now,
            user_group_ids=set(facts.user_group_ids),
        )
    except PermanentError as exc:
        return Fail(exc.reason, exc.detail)
    if not facts.cap_open:
        return next_hour_wait(now)
    return Issue(
        plan,
        recipient,
        facts.manager,
        to_manager=manager_mail is not None,
        not_to_manager=not_to_manager,
    )
