"""Use case: send one reminder slot to a joiner who has not enrolled yet.

Exactly once per slot: the slot is claimed in the ledger (insert-if-absent) and the email carries
an operation id derived from the slot key. A redelivered message finds the claim; it then asks
ACS whether that operation was accepted, and sends only if it was not (the first attempt died
before sending, or ACS answered 429). The user's methods are re-checked live first, because the
registration report lags by hours: `FollowJoiner` reads where the joiner stands (recording the
stage, retiring the TAP once a target is reached), and the reminder says what that stage needs. A TransientError with `retry_after` (ACS 429, the email rate
limit) is the trigger's to turn into a delayed retry, as for every queue command.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.cadence import final_notice_key, slot_key
from shared.domain.commands import SendReminder
from shared.domain.email_budget import MailPriority
from shared.domain.errors import PermanentError, TransientError
from shared.domain.passwordless import Nudge, Progress, Stage, TapState, nudge_for
from shared.domain.policies import ReminderPolicy
from shared.domain.quiet_hours import delay_until_allowed, recipient_zone
from shared.domain.recipients import choose_reminder_recipients
from shared.domain.record import JoinerRecord, ReminderLog, Status
from shared.emails.final_notice import compose_manager_final_notice
from shared.emails.reminder import TapStatus, compose_reminder
from shared.logging_setup import bound
from shared.ports import Clock, Ledger, Mailer, ReminderDirectory, ReminderQueue
from shared.rendering import Brand
from shared.usecases.follow_joiner import FollowJoiner
from shared.usecases.notify import AdminAlerts

log = logging.getLogger(__name__)

Reissue = Callable[[JoinerRecord], Awaitable[bool]]


@dataclass(frozen=True)
class ReminderOutcome:
    outcome: str  # sent | skipped_enrolled | duplicate | delayed | not_applicable | failed
    retry_in_seconds: int | None = None


def operation_id_for(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tapstart:{key}"))


class Reminders:
    """`await reminders(SendReminder(tracking_id, slot))`; `mark_failed` for poison messages."""

    def __init__(
        self,
        *,
        policy: ReminderPolicy,
        brand: Brand,
        ledger: Ledger,
        directory: ReminderDirectory,
        mailer: Mailer,
        queue: ReminderQueue,
        clock: Clock,
        alerts: AdminAlerts,
        reissue: Reissue,
        follow: FollowJoiner,
    ) -> None:
        self._policy = policy
        self._brand = brand
        self._follow = follow
        self._ledger = ledger
        self._directory = directory
        self._mailer = mailer
        self._queue = queue
        self._clock = clock
        self._alerts = alerts
        self._reissue = reissue

    async def __call__(self, command: SendReminder) -> ReminderOutcome:
        record = await self._ledger.get(command.tracking_id)
        # A TAP re-issue of this reminder that stopped before its email went out is finished
        # first, or nothing would (the onboarding queue holds no message for a delivered joiner).
        if record is not None and _reissue_pending(record) and await self._reissue(record):
            record = await self._ledger.get(command.tracking_id)
        if record is None or record.status is not Status.DELIVERED:
            return ReminderOutcome("not_applicable")
        with bound(tracking_id=command.tracking_id, reminder_slot=command.slot):
            if record.reminder_for_slot(command.slot):
                return ReminderOutcome("duplicate")
            return await _Attempt(self, record, command, self._clock.now()).run()

    async def mark_failed(self, command: SendReminder, reason: str) -> None:
        """For poison reminders: record the failure on the joiner and alert the admins."""
        record = await self._ledger.get(command.tracking_id)
        if record is None:
            return
        entry = ReminderLog(command.slot, self._clock.now(), "failed", detail=reason)
        record = await self._ledger.save(record.with_reminder(entry))
        await self._alerts(record, "reminder_failed", f"reminder {command.slot}: {reason}")


def _reissue_pending(record: JoinerRecord) -> bool:
    return record.status is Status.SENDING and any(s.step == "reissue" for s in record.steps)


class _Attempt:
    """One delivery attempt of one slot: the state that travels between its steps."""

    def __init__(
        self, uc: Reminders, record: JoinerRecord, command: SendReminder, now: datetime
    ) -> None:
        self.uc = uc
        self.record = record
        self.command = command
        self.slot = command.slot
        self.now = now
        self.progress = Progress(Stage.DELIVERED, TapState.GONE, None)

    async def run(self) -> ReminderOutcome:
        policy = self.uc._policy
        zone = recipient_zone(self.record.time_zone, policy.default_time_zone)
        quiet = delay_until_allowed(self.now, policy.quiet_hours, zone)
        if quiet is not None:
            await self.uc._queue.send(self.command, quiet)
            return ReminderOutcome("delayed", quiet)
        if not self.record.user_id:
            raise PermanentError("no_user_id", "delivered joiner without a directory user id")
        self.record, self.progress = await self.uc._follow(self.record, source="before a reminder")
        if self.progress.stage is Stage.TARGET:
            await self._record("skipped_enrolled")
            log.info("joiner reached a passwordless target; reminder skipped")
            return ReminderOutcome("skipped_enrolled")
        key = slot_key(self.record.tracking_id, self.slot)
        operation_id = operation_id_for(key)
        if not await self.uc._ledger.claim_once(key, self.now):
            sent = await self.uc._mailer.was_sent(operation_id)
            if sent is None:
                raise TransientError("cannot tell whether the reminder went out")
            if sent:
                return await self._record("sent", "confirmed after a redelivery")
        return await self._send(operation_id)

    async def _send(self, operation_id: str) -> ReminderOutcome:
        directory, cadence = self.uc._directory, self.uc._policy.cadence
        user = await directory.find_user(self.record.employee_id, self.record.upn)
        manager = await directory.get_manager(self.record.user_id or "")
        recipients = choose_reminder_recipients(
            personal_email=self.record.personal_email,
            other_mails=user.other_mails if user else (),
            work_mail=user.mail if user else None,
            manager_mail=manager.mail if manager else None,
            cc_manager=self.slot >= cadence.manager_cc_from,
        )
        if recipients is None:
            raise PermanentError(
                "no_reminder_address", "no personal, other or work address, and no manager"
            )
        nudge = nudge_for(self.progress, self.uc._policy.targets)
        tap_status, valid_until = await self._tap_status(nudge)
        is_last = self.slot >= cadence.slot_count
        email = compose_reminder(
            nudge=nudge,
            targets=self.uc._policy.targets,
            tap_one_time=self.record.tap_one_time,
            to=recipients.to,
            cc=recipients.cc,
            slot=self.slot,
            is_last=is_last,
            brand=self.uc._brand,
            joiner_name=self.record.display_name or self.record.given_name,
            joiner_upn=self.record.upn,
            manager_name=manager.display_name if manager else None,
            tap_status=tap_status,
            tap_valid_until=valid_until,
            language=self.record.language,
            time_zone=self.record.time_zone,
        )
        slot = await self.uc._mailer.reserve(MailPriority.JOINER_REMINDER)
        await self.uc._mailer.send(email, operation_id, slot)
        await self._record(
            "sent", f"{nudge.value} at {self.progress.stage.value}", recipients.masked
        )
        if is_last and manager and manager.mail:
            await self._final_notice(manager.mail, manager.display_name)
        return ReminderOutcome("sent")

    async def _tap_status(self, nudge: Nudge) -> tuple[TapStatus, datetime | None]:
        """What the reminder says of the pass: Graph's live state decides, not our arithmetic."""
        r = self.record
        if nudge is not Nudge.PASS_LAPSED:
            if r.tap_start and r.tap_lifetime_minutes and self.progress.tap.live:
                return TapStatus.VALID, r.tap_start + timedelta(minutes=r.tap_lifetime_minutes)
            return TapStatus.UNKNOWN, None
        if self.uc._policy.reissue_tap and await self.uc._reissue(r):
            self.record = await self.uc._ledger.get(r.tracking_id) or r
            return TapStatus.REISSUED, None
        return TapStatus.UNKNOWN, None

    async def _final_notice(self, manager_mail: str, manager_name: str | None) -> None:
        key = final_notice_key(self.record.tracking_id)
        if not await self.uc._ledger.claim_once(key, self.now):
            return
        email = compose_manager_final_notice(
            to=manager_mail,
            joiner_name=self.record.display_name or self.record.employee_id,
            hire_date=self.record.hire_date,
            reminders_sent=sum(1 for r in self.record.reminders if r.outcome == "sent"),
            brand=self.uc._brand,
            manager_name=manager_name,
            joiner_upn=self.record.upn,
            cc=self.uc._alerts.recipients,
            stuck_at=self.progress.stage,
            targets=self.uc._policy.targets,
        )
        await self.uc._mailer.send(email, operation_id_for(key))
        await self._record("final_notice")

    async def _record(self, outcome: str, detail: str = "", recipient: str = "") -> ReminderOutcome:
        entry = ReminderLog(self.slot, self.uc._clock.now(), outcome, recipient, detail)
        self.record = await self.uc._ledger.save(self.record.with_reminder(entry))
        return ReminderOutcome(outcome)
