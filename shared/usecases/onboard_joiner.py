"""Use case: onboard one joiner — resolve, guard, add to groups, create the TAP, deliver it.

Each step is recorded, so a retry resumes where the last attempt stopped. The delivery is
guarded by an operation id stored before the email is handed to ACS: after a crash, the retry
asks ACS whether that operation exists; if it does the joiner is delivered (no second TAP), if not
a fresh TAP replaces the undelivered one. The TAP value exists only in memory on its way to the
email; it is registered with the logging redactor for that span.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.config import Settings
from shared.domain.directory import DirectoryUser, Manager
from shared.domain.email import mask_email
from shared.domain.errors import PermanentError, TransientError
from shared.domain.guardrails import refusal_reason
from shared.domain.record import JoinerRecord, Status
from shared.domain.tap_plan import (
    covers,
    hire_day_start,
    onboarding_wait,
    plan_tap,
    retry_delay_seconds,
)
from shared.logging_setup import bound, redacting
from shared.ports import Clock, Directory, JobQueue, Ledger, Mailer
from shared.usecases.notify import alert_admins, compose_delivery

log = logging.getLogger(__name__)

MAX_HOP = timedelta(days=7) - timedelta(minutes=1)  # Queue storage's longest invisibility


@dataclass(frozen=True)
class Deps:
    settings: Settings
    ledger: Ledger
    directory: Directory
    mailer: Mailer
    queue: JobQueue
    clock: Clock


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str | None = None
    retry_in_seconds: int | None = None


async def onboard_joiner(tracking_id: str, deps: Deps) -> Outcome:
    record = await deps.ledger.get(tracking_id)
    if record is None:
        log.warning(
            "onboarding message for an unknown joiner dropped", extra={"tracking_id": tracking_id}
        )
        return Outcome(Status.FAILED, "unknown_tracking_id")
    with bound(tracking_id=tracking_id, employee_id=record.employee_id):
        if record.status.final:
            log.info(
                "joiner already in a final state; nothing to do",
                extra={"status": record.status.value},
            )
            return Outcome(record.status, record.reason)
        try:
            return await _Onboarding(deps, record).run()
        except PermanentError as exc:
            return await fail(deps, tracking_id, exc.reason, exc.detail)


async def fail(deps: Deps, tracking_id: str, reason: str, detail: str = "") -> Outcome:
    """Mark the joiner failed with a reason and tell the admins (also used for poison messages)."""
    record = await deps.ledger.get(tracking_id)
    if record is None or record.status.final:
        return Outcome(
            record.status if record else Status.FAILED, record.reason if record else reason
        )
    now = deps.clock.now()
    record = record.with_step(
        "failed",
        now,
        "error",
        reason,
        status=Status.FAILED,
        reason=reason,
        reason_detail=detail[:500],
    )
    await deps.ledger.save(record)
    log.error("onboarding failed", extra={"reason": reason})
    await alert_admins(deps, record, reason, detail)
    return Outcome(Status.FAILED, reason)


class _Onboarding:
    def __init__(self, deps: Deps, record: JoinerRecord) -> None:
        self.d = deps
        self.s = deps.settings
        self.record = record
        self.now = deps.clock.now()

    async def run(self) -> Outcome:
        if self.record.status is Status.SENDING and self.record.delivery_operation_id:
            done = await self._resume_delivery()
            if done:
                return done
        tz = self.record.time_zone or self.s.default_time_zone
        valid_from = hire_day_start(self.record.hire_date, tz, self.s.tap_start_hour)
        wait = onboarding_wait(valid_from, self.now, self.s.prehire_lead_days)
        if wait is not None:
            return await self._wait(Status.WAITING_FOR_HIRE_DATE, "hire_date", min(wait, MAX_HOP))
        user = await self.d.directory.find_user(self.record.employee_id, self.record.upn)
        if user is None:
            return await self._not_provisioned()
        self._step("resolve_user", detail=user.id, user_id=user.id, upn=user.user_principal_name)
        refused = await self._guardrails(user)
        if refused:
            return refused
        await self._add_to_groups(user)
        self.record = await self.d.ledger.save(self.record)
        manager = await self.d.directory.get_manager(user.id)
        recipient = (
            manager.mail if manager and manager.mail else None
        ) or self.s.fallback_delivery_email
        if not recipient:
            raise PermanentError(
                "no_delivery_address",
                "no manager mail in the directory and no FALLBACK_DELIVERY_EMAIL",
            )
        return await self._issue_and_deliver(user, manager, recipient, valid_from)

    def _step(self, step: str, outcome: str = "ok", detail: str = "", **changes: object) -> None:
        self.record = self.record.with_step(step, self.now, outcome, detail, **changes)

    async def _wait(self, status: Status, step: str, delay: timedelta) -> Outcome:
        seconds = max(1, int(delay.total_seconds()))
        self._step(step, "waiting", f"retry in {seconds}s", status=status)
        self.record = await self.d.ledger.save(self.record)
        await self.d.queue.enqueue(
            self.s.onboarding_queue, {"trackingId": self.record.tracking_id}, seconds
        )
        log.info("joiner waits", extra={"status": status.value, "retry_in_seconds": seconds})
        return Outcome(status, None, seconds)

    async def _not_provisioned(self) -> Outcome:
        deadline = self.record.accepted_at + timedelta(hours=self.s.provisioning_deadline_hours)
        if self.now >= deadline:
            raise PermanentError(
                "user_not_provisioned",
                f"no Entra account after {self.s.provisioning_deadline_hours} h",
            )
        attempts = sum(1 for s in self.record.steps if s.step == "resolve_user")
        delay = timedelta(
            seconds=retry_delay_seconds(attempts + 1, base=self.s.account_retry_base_seconds)
        )
        return await self._wait(
            Status.WAITING_FOR_ACCOUNT,
            "resolve_user",
            min(delay, deadline - self.now + timedelta(seconds=1)),
        )

    async def _guardrails(self, user: DirectoryUser) -> Outcome | None:
        is_admin = await self.d.directory.is_admin(user.id)
        methods = await self.d.directory.method_types(user.id)
        reason = refusal_reason(
            user,
            is_admin=is_admin,
            method_types=methods,
            now=self.now,
            max_account_age_days=self.s.max_account_age_days,
        )
        if reason is None:
            self._step("guardrails")
            return None
        self._step("guardrails", "refused", reason, status=Status.REFUSED, reason=reason)
        self.record = await self.d.ledger.save(self.record)
        log.warning("joiner refused by a guardrail", extra={"reason": reason})
        return Outcome(Status.REFUSED, reason)

    async def _add_to_groups(self, user: DirectoryUser) -> None:
        results = []
        for group_id in self.s.passwordless_group_ids:
            # Graph refuses members for a dynamic group: fail clearly instead of per request.
            if (await self.d.directory.group_info(group_id)).dynamic:
                raise PermanentError(
                    "group_is_dynamic", f"passwordless group {group_id} has dynamic membership"
                )
            outcome = await self.d.directory.add_to_groups([user.id], group_id)
            results.append(f"{group_id}:{outcome[user.id]}")
        self._step("groups", detail=", ".join(results))

    async def _resume_delivery(self) -> Outcome | None:
        sent = await self.d.mailer.was_sent(self.record.delivery_operation_id or "")
        if sent is None:
            raise TransientError("cannot tell yet whether the TAP email went out")
        if not sent:
            self._step(
                "delivery",
                "not_sent",
                "previous attempt stopped before the email; issuing a fresh TAP",
            )
            return None
        self._step(
            "delivery",
            detail="confirmed after a restart",
            status=Status.DELIVERED,
            delivered_at=self.now,
        )
        self.record = await self.d.ledger.save(self.record)
        return Outcome(Status.DELIVERED)

    async def _covered_groups(self, user: DirectoryUser) -> set[str]:
        """The user's groups as far as the TAP policy's targets need them, in as few reads as we can.

        Direct memberships come with the $batch already read; only when they do not show the user
        inside the policy's include targets is the transitive checkMemberGroups asked (nested
        groups). A nested exclusion the direct view misses is still enforced by Graph itself.
        """
        policy = await self.d.directory.tap_policy()
        groups = set(self.s.passwordless_group_ids)  # the user was just added to these
        if policy.include_all_users and not policy.exclude_group_ids:
            return groups
        groups |= set(await self.d.directory.direct_group_ids(user.id))
        if covers(policy, groups):
            return groups
        unknown = set(policy.include_group_ids) - groups
        if unknown:
            groups |= set(await self.d.directory.group_ids_of(user.id, sorted(unknown)))
        return groups

    async def _issue_and_deliver(
        self,
        user: DirectoryUser,
        manager: Manager | None,
        recipient: str,
        valid_from: datetime,
        pause_on_cap: bool = True,
    ) -> Outcome:
        policy = await self.d.directory.tap_policy()
        plan = plan_tap(
            policy,
            requested_lifetime=self.s.tap_lifetime_minutes,
            requested_one_time=self.s.tap_one_time,
            valid_from=valid_from,
            now=self.now,
            user_group_ids=await self._covered_groups(user),
        )
        hour = self.now.strftime("%Y%m%d%H")
        if not await self.d.ledger.take_tap_slot(hour, self.s.tap_max_per_hour):
            return (
                await self._paused()
                if pause_on_cap
                else Outcome(self.record.status, "flood_cap_reached")
            )
        tap = await self.d.directory.create_tap(
            user.id, plan.start, plan.lifetime_minutes, plan.one_time
        )
        with redacting(tap.passcode):
            operation_id = str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"tapstart:{self.record.tracking_id}:{tap.id}")
            )
            detail = f"lifetime {plan.lifetime_minutes} min" + (
                f" (asked {plan.clamped_from})" if plan.clamped_from else ""
            )
            self._step(
                "tap",
                detail=detail,
                status=Status.SENDING,
                tap_id=tap.id,
                tap_start=tap.start,
                tap_lifetime_minutes=tap.lifetime_minutes,
                tap_one_time=tap.one_time,
                delivery_operation_id=operation_id,
                delivered_to_masked=mask_email(recipient),
            )
            self.record = await self.d.ledger.save(self.record)
            email = compose_delivery(self.s, self.record, user, manager, recipient, tap)
            await self.d.mailer.send(email, operation_id)
        self._step(
            "delivery",
            detail=mask_email(recipient),
            status=Status.DELIVERED,
            delivered_at=self.d.clock.now(),
        )
        self.record = await self.d.ledger.save(self.record)
        log.info("TAP delivered", extra={"tap_id": tap.id, "recipient": mask_email(recipient)})
        return Outcome(Status.DELIVERED)

    async def _paused(self) -> Outcome:
        next_hour = (self.now + timedelta(hours=1)).replace(minute=0, second=5, microsecond=0)
        if await self.d.ledger.claim_once(f"flood-alert:{self.now:%Y%m%d%H}", self.now):
            await alert_admins(
                self.d,
                self.record,
                "flood_cap_reached",
                f"more than {self.s.tap_max_per_hour} TAPs this hour; issuance paused",
            )
        return await self._wait(Status.PAUSED, "flood_cap", next_hour - self.now)


async def reissue_tap(deps: Deps, record: JoinerRecord) -> bool:
    """A fresh TAP to the manager for a delivered joiner whose TAP ran out (REMINDER_REISSUE_TAP).

    The same guardrails and hourly cap as onboarding apply; a capped hour skips the re-issue
    instead of pausing (the reminder then tells the joiner to ask the manager).
    """
    flow = _Onboarding(deps, record)
    user = await deps.directory.find_user(record.employee_id, record.upn)
    if user is None or await flow._guardrails(user) is not None:
        return False
    manager = await deps.directory.get_manager(user.id)
    recipient = (
        manager.mail if manager and manager.mail else None
    ) or deps.settings.fallback_delivery_email
    if not recipient:
        return False
    flow._step("reissue", detail="previous TAP expired before enrolment")
    try:
        outcome = await flow._issue_and_deliver(
            user, manager, recipient, flow.now, pause_on_cap=False
        )
    except PermanentError as exc:
        log.warning("TAP re-issue refused", extra={"reason": exc.reason})
        return False
    return outcome.status is Status.DELIVERED
