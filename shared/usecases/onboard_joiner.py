"""Use case: onboard one joiner — resolve, decide, add to groups, create the TAP, deliver it.

Each step is recorded, so a retry resumes where the last attempt stopped. The delivery is
guarded by an operation id stored before the email is handed to ACS: after a crash, the retry
asks ACS whether that operation exists; if it does the joiner is delivered (no second TAP), if not
a fresh TAP replaces the undelivered one. The email send is reserved within the rate limit
*before* the TAP is created, so a local refusal never costs a live TAP. The TAP value exists only
in memory on its way to the email; it is registered with the logging redactor for that span.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from shared.domain.commands import OnboardJoiner
from shared.domain.directory import DirectoryUser
from shared.domain.email import mask_email
from shared.domain.email_budget import MailPriority
from shared.domain.errors import PermanentError, TapstartError, TransientError
from shared.domain.onboarding_decision import (
    Facts,
    Fail,
    Issue,
    Refuse,
    Verdict,
    Wait,
    decide,
    hire_day_wait,
    next_hour_wait,
    valid_from,
)
from shared.domain.policies import OnboardingPolicy
from shared.domain.record import JoinerRecord, Status
from shared.logging_setup import bound, redacting
from shared.ports import Clock, Ledger, Mailer, OnboardingDirectory, OnboardingQueue
from shared.rendering import Brand
from shared.usecases.notify import AdminAlerts, compose_delivery
from shared.usecases.onboarding_facts import hour_key, read_facts, with_cap

log = logging.getLogger(__name__)

# HR withdrew the offer: the cancellation use case takes the record from `cancelling` to final.
Cancel = Callable[[JoinerRecord], Awaitable[JoinerRecord]]
# The start moved: the pass carried from the previous onboarding is kept or replaced first.
SettleMove = Callable[[JoinerRecord], Awaitable[JoinerRecord]]
# A rehire that asked for it: the earlier employment's methods go right before the pass.
RemoveStale = Callable[[JoinerRecord, str], Awaitable[JoinerRecord]]


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str | None = None
    retry_in_seconds: int | None = None


@dataclass(frozen=True)
class Preview:
    """What onboarding would do with a joiner, read but not acted on (`tapstart onboard --dry-run`).

    `verdict` is today's; when today's is the wait for the hire date, `then` is the verdict on
    the day onboarding starts (`starts_at`), from the facts as they are now.
    """

    facts: Facts | None
    valid_from: datetime
    verdict: Verdict
    then: Verdict | None = None
    starts_at: datetime | None = None
    member_of: frozenset[str] = frozenset()  # the passwordless groups the user is already in


_MAX_PREVIEW_HOPS = 64  # hire dates are at most a few months out: ~9 hops of a week each


class Onboarding:
    """`await onboarding(OnboardJoiner(tracking_id))`; also `fail` (poison) and `reissue`."""

    def __init__(
        self,
        *,
        policy: OnboardingPolicy,
        brand: Brand,
        ledger: Ledger,
        directory: OnboardingDirectory,
        mailer: Mailer,
        queue: OnboardingQueue,
        clock: Clock,
        alerts: AdminAlerts,
        cancel: Cancel | None = None,
        settle_move: SettleMove | None = None,
        remove_stale: RemoveStale | None = None,
    ) -> None:
        self._remove_stale = remove_stale
        self._cancel = cancel
        self._settle_move = settle_move
        self._policy = policy
        self._brand = brand
        self._ledger = ledger
        self._directory = directory
        self._mailer = mailer
        self._queue = queue
        self._clock = clock
        self._alerts = alerts

    async def __call__(self, command: OnboardJoiner) -> Outcome:
        record = await self._ledger.get(command.tracking_id)
        if record is None:
            log.warning(
                "onboarding message for an unknown joiner dropped",
                extra={"tracking_id": command.tracking_id},
            )
            return Outcome(Status.FAILED, "unknown_tracking_id")
        with bound(tracking_id=record.tracking_id, employee_id=record.employee_id):
            if record.status is Status.CANCELLING and self._cancel is not None:
                cancelled = await self._cancel(record)
                return Outcome(cancelled.status, cancelled.reason)
            if record.status.final or record.status is Status.CANCELLING:
                log.info(
                    "joiner already in a final state; nothing to do",
                    extra={"status": record.status.value},
                )
                return Outcome(record.status, record.reason)
            try:
                return await self._attempt(record)
            except PermanentError as exc:
                return await self.fail(record.tracking_id, exc.reason, exc.detail)

    async def fail(self, tracking_id: str, reason: str, detail: str = "") -> Outcome:
        """Mark the joiner failed with a reason and tell the admins (also for poison messages)."""
        record = await self._ledger.get(tracking_id)
        if record is None or record.status.final:
            return Outcome(
                record.status if record else Status.FAILED, record.reason if record else reason
            )
        if record.tap_id and record.delivered_at is None:
            record = await self._retire_undelivered(record)
        record = record.with_step(
            "failed",
            self._clock.now(),
            "error",
            reason,
            status=Status.FAILED,
            reason=reason,
            reason_detail=detail[:500],
        )
        await self._ledger.save(record)
        log.error("onboarding failed", extra={"reason": reason})
        await self._alerts(record, reason, detail)
        return Outcome(Status.FAILED, reason)

    async def reissue(self, record: JoinerRecord) -> bool:
        """A fresh TAP to the manager for a delivered joiner whose TAP ran out.

        The same decision as onboarding, with the pass valid from now; a capped hour skips the
        re-issue instead of pausing (the reminder then tells the joiner to ask the manager).
        """
        now = self._clock.now()
        if record.status is Status.SENDING and record.delivery_operation_id:
            # An earlier re-issue stopped between the TAP and its email (an ACS 429, a crash):
            # delivered if ACS has the email, else a fresh TAP replaces the undelivered one.
            record, resumed = await self._resume_delivery(record, now)
            if resumed:
                return True
        user = await self._directory.find_user(record.employee_id, record.upn)
        if user is None:
            return False
        facts = await read_facts(self._directory, user, self._policy)
        verdict = decide(record, facts, self._policy, now, start=now)
        if not isinstance(verdict, Issue):
            log.warning("TAP re-issue not possible", extra={"verdict": _label(verdict)})
            return False
        record = record.with_step("reissue", now, "ok", "previous TAP expired before enrolment")
        try:
            outcome = await self._issue(record, facts, verdict, now, pause_on_cap=False)
        except PermanentError as exc:
            log.warning("TAP re-issue refused", extra={"reason": exc.reason})
            return False
        return outcome.status is Status.DELIVERED

    async def preview(self, record: JoinerRecord) -> Preview:
        """The same reads and the same `decide` as an attempt, with the flood cap as counted now;
        nothing is written, added, created or sent."""
        now = self._clock.now()
        facts = None
        user = await self._directory.find_user(record.employee_id, record.upn)
        if user is not None:
            facts = await read_facts(self._directory, user, self._policy)
            facts = await with_cap(facts, self._ledger, self._policy, now)
        verdict = decide(record, facts, self._policy, now)
        member_of: frozenset[str] = frozenset()
        if user is not None:
            groups = list(self._policy.group_ids)
            member_of = frozenset(await self._directory.group_ids_of(user.id, groups))
        preview = Preview(facts, valid_from(record, self._policy), verdict, member_of=member_of)
        at = now
        for _ in range(_MAX_PREVIEW_HOPS):
            if not (isinstance(verdict, Wait) and verdict.status is Status.WAITING_FOR_HIRE_DATE):
                break
            at += verdict.delay
            verdict = decide(record, facts, self._policy, at)
        if at != now:
            preview = replace(preview, then=verdict, starts_at=at)
        return preview

    async def _attempt(self, record: JoinerRecord) -> Outcome:
        if record.moved_from and self._settle_move is not None:
            record = await self._settle_move(record)
            if record.status.final:
                return Outcome(record.status, record.reason)
        now = self._clock.now()
        if record.status is Status.SENDING and record.delivery_operation_id:
            record, resumed = await self._resume_delivery(record, now)
            if resumed:
                return resumed
        facts = None
        if hire_day_wait(record, self._policy, now) is None:  # else nothing to read yet
            user = await self._directory.find_user(record.employee_id, record.upn)
            if user is not None:
                record = record.with_step(
                    "resolve_user",
                    now,
                    "ok",
                    user.id,
                    user_id=user.id,
                    upn=user.user_principal_name,
                )
                facts = await read_facts(self._directory, user, self._policy)
        verdict = decide(record, facts, self._policy, now)
        return await self._act(record, facts, verdict, now)

    async def _act(
        self, record: JoinerRecord, facts: Facts | None, verdict: Verdict, now: datetime
    ) -> Outcome:
        if isinstance(verdict, Wait):
            return await self._wait(record, verdict, now)
        if isinstance(verdict, Refuse):
            record = record.with_step(
                "guardrails",
                now,
                "refused",
                verdict.reason,
                status=Status.REFUSED,
                reason=verdict.reason,
            )
            await self._ledger.save(record)
            log.warning("joiner refused by a guardrail", extra={"reason": verdict.reason})
            return Outcome(Status.REFUSED, verdict.reason)
        if isinstance(verdict, Fail):
            raise PermanentError(verdict.reason, verdict.detail)
        assert facts is not None  # decide issues only on facts
        record = record.with_step("guardrails", now)
        if record.rehire_remove_methods and self._remove_stale is not None:
            record = await self._remove_stale(record, facts.user.id)
        record = await self._add_to_groups(record, facts.user, now)
        return await self._issue(record, facts, verdict, now)

    async def _wait(self, record: JoinerRecord, wait: Wait, now: datetime) -> Outcome:
        seconds = max(1, int(wait.delay.total_seconds()))
        record = record.with_step(
            wait.step, now, "waiting", f"retry in {seconds}s", status=wait.status
        )
        await self._ledger.save(record)
        await self._queue.send(OnboardJoiner(record.tracking_id), seconds)
        log.info("joiner waits", extra={"status": wait.status.value, "retry_in_seconds": seconds})
        return Outcome(wait.status, None, seconds)

    async def _add_to_groups(
        self, record: JoinerRecord, user: DirectoryUser, now: datetime
    ) -> JoinerRecord:
        results = []
        added = list(record.groups_added)
        for group_id in self._policy.group_ids:
            outcome = await self._directory.add_to_groups([user.id], group_id)
            results.append(f"{group_id}:{outcome[user.id]}")
            if outcome[user.id] == "added" and group_id not in added:
                added.append(group_id)
        record = record.with_step(
            "groups", now, "ok", ", ".join(results), groups_added=tuple(added)
        )
        return await self._ledger.save(record)

    async def _resume_delivery(
        self, record: JoinerRecord, now: datetime
    ) -> tuple[JoinerRecord, Outcome | None]:
        sent = await self._mailer.was_sent(record.delivery_operation_id or "")
        if sent is None:
            raise TransientError("cannot tell yet whether the TAP email went out")
        if not sent:
            detail = "previous attempt stopped before the email; issuing a fresh TAP"
            record = await self._retire_undelivered(record)
            return record.with_step("delivery", now, "not_sent", detail), None
        record = record.with_step(
            "delivery",
            now,
            "ok",
            "confirmed after a restart",
            status=Status.DELIVERED,
            delivered_at=now,
        )
        await self._ledger.save(record)
        return record, Outcome(Status.DELIVERED)

    async def _issue(
        self,
        record: JoinerRecord,
        facts: Facts,
        issue: Issue,
        now: datetime,
        *,
        pause_on_cap: bool = True,
    ) -> Outcome:
        # Reserve the send first: a rate-limit refusal (TransientError with retry_after, which
        # the trigger turns into a delayed retry) then happens before any TAP exists.
        slot = await self._mailer.reserve(MailPriority.TAP_DELIVERY)
        if not await self._ledger.take_tap_slot(hour_key(now), self._policy.tap_max_per_hour):
            if not pause_on_cap:
                return Outcome(record.status, "flood_cap_reached")
            # Lost the last slot to another worker: the decision's own answer for a closed cap.
            return await self._paused(record, next_hour_wait(now), now)
        plan = issue.plan
        if issue.not_to_manager:
            record = record.with_step("recipient", now, "fallback", issue.not_to_manager)
        tap = await self._directory.create_tap(
            facts.user.id, plan.start, plan.lifetime_minutes, plan.one_time
        )
        with redacting(tap.passcode):
            operation_id = str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"tapstart:{record.tracking_id}:{tap.id}")
            )
            detail = f"lifetime {plan.lifetime_minutes} min" + (
                f" (asked {plan.clamped_from})" if plan.clamped_from else ""
            )
            record = await self._ledger.save(
                record.with_step(
                    "tap",
                    now,
                    "ok",
                    detail,
                    status=Status.SENDING,
                    tap_id=tap.id,
                    tap_start=tap.start,
                    tap_lifetime_minutes=tap.lifetime_minutes,
                    tap_one_time=tap.one_time,
                    tap_retired_at=None,
                    delivery_operation_id=operation_id,
                    delivered_to_masked=mask_email(issue.recipient),
                )
            )
            email = compose_delivery(
                self._brand, record, facts.user, issue.manager, issue.recipient, tap
            )
            try:
                await self._mailer.send(email, operation_id, slot)
            except PermanentError:
                # Never delivered, never will be: no usable pass may stay behind.
                await self._retire_undelivered(record)
                raise
        delivered_at = self._clock.now()
        record = record.with_step(
            "delivery",
            delivered_at,
            "ok",
            mask_email(issue.recipient),
            status=Status.DELIVERED,
            delivered_at=delivered_at,
        )
        await self._ledger.save(record)
        log.info(
            "TAP delivered", extra={"tap_id": tap.id, "recipient": mask_email(issue.recipient)}
        )
        return Outcome(Status.DELIVERED)

    async def _retire_undelivered(self, record: JoinerRecord) -> JoinerRecord:
        """Delete the recorded pass whose email never went out (best effort: a failure here
        must not hide the failure that brought us here; the pass then expires on its own)."""
        if not (record.tap_id and record.user_id):
            return record
        try:
            deleted = await self._directory.delete_tap(record.user_id, record.tap_id)
        except TapstartError as exc:
            log.error("undelivered TAP could not be deleted", extra={"error": type(exc).__name__})
            return record
        now = self._clock.now()
        return record.with_step(
            "tap_retired",
            now,
            "ok",
            "undelivered pass deleted" if deleted else "already gone",
            tap_retired_at=now,
        )

    async def _paused(self, record: JoinerRecord, wait: Wait, now: datetime) -> Outcome:
        if await self._ledger.claim_once(f"flood-alert:{hour_key(now)}", now):
            await self._alerts(
                record,
                "flood_cap_reached",
                f"more than {self._policy.tap_max_per_hour} TAPs this hour; issuance paused",
            )
        return await self._wait(record, wait, now)


def _label(verdict: Verdict) -> str:
    if isinstance(verdict, Refuse | Fail):
        return f"{type(verdict).__name__.lower()}:{verdict.reason}"
    return type(verdict).__name__.lower()
