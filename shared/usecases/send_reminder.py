"""Use case: send one reminder slot to a joiner who has not enrolled yet.

Exactly once per slot: the slot is claimed in the ledger (insert-if-absent) and the email carries
an operation id derived from the slot key. A redelivered message finds the claim; it then asks
ACS whether that operation was accepted, and sends only if it was not (the first attempt died
before sending, or ACS answered 429). The user's methods are re-checked live first, because the
registration report lags by hours.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.domain.cadence import CadencePolicy, final_notice_key, slot_key
from shared.domain.errors import PermanentError, TransientError
from shared.domain.guardrails import is_enrolled
from shared.domain.quiet_hours import delay_until_allowed, recipient_zone
from shared.domain.recipients import choose_reminder_recipients
from shared.domain.record import JoinerRecord, ReminderLog, Status
from shared.emails.brand import Brand
from shared.emails.final_notice import compose_manager_final_notice
from shared.emails.reminder import TapStatus, compose_reminder
from shared.logging_setup import bound
from shared.usecases.notify import alert_admins
from shared.usecases.onboard_joiner import Deps, reissue_tap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderOutcome:
    outcome: str  # sent | skipped_enrolled | duplicate | delayed | not_applicable | failed
    retry_in_seconds: int | None = None


def operation_id_for(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tapstart:{key}"))


async def send_reminder(tracking_id: str, slot: int, deps: Deps) -> ReminderOutcome:
    record = await deps.ledger.get(tracking_id)
    if record is None or record.status is not Status.DELIVERED:
        return ReminderOutcome("not_applicable")
    with bound(tracking_id=tracking_id, reminder_slot=slot):
        if record.reminder_for_slot(slot):
            return ReminderOutcome("duplicate")
        try:
            return await _Reminder(deps, record, slot).run()
        except TransientError as exc:
            if exc.retry_after is None:
                raise
            seconds = max(1, int(exc.retry_after + 0.999))
            await requeue(deps, tracking_id, slot, seconds)
            log.info(
                "reminder postponed", extra={"reason": exc.reason, "retry_in_seconds": seconds}
            )
            return ReminderOutcome("delayed", seconds)


async def requeue(deps: Deps, tracking_id: str, slot: int, seconds: int) -> None:
    payload = {
        "trackingId": tracking_id,
        "slot": slot,
        "idempotencyKey": slot_key(tracking_id, slot),
    }
    await deps.queue.enqueue(deps.settings.reminder_queue, payload, seconds)


async def mark_failed(deps: Deps, tracking_id: str, slot: int, reason: str) -> None:
    """For poison reminders: record the failure on the joiner and alert the admins."""
    record = await deps.ledger.get(tracking_id)
    if record is None:
        return
    record = record.with_reminder(ReminderLog(slot, deps.clock.now(), "failed", detail=reason))
    await deps.ledger.save(record)
    await alert_admins(deps, record, "reminder_failed", f"reminder {slot}: {reason}")


class _Reminder:
    def __init__(self, deps: Deps, record: JoinerRecord, slot: int) -> None:
        self.d = deps
        self.s = deps.settings
        self.record = record
        self.slot = slot
        self.now = deps.clock.now()
        self.policy = CadencePolicy.from_settings(deps.settings)

    async def run(self) -> ReminderOutcome:
        zone = recipient_zone(self.record.time_zone, self.s.default_time_zone)
        quiet = delay_until_allowed(self.now, self.s.quiet_hours, zone)
        if quiet is not None:
            await requeue(self.d, self.record.tracking_id, self.slot, quiet)
            return ReminderOutcome("delayed", quiet)
        if not self.record.user_id:
            raise PermanentError("no_user_id", "delivered joiner without a directory user id")
        if is_enrolled(await self.d.directory.method_types(self.record.user_id)):
            return await self._enrolled()
        key = slot_key(self.record.tracking_id, self.slot)
        operation_id = operation_id_for(key)
        if not await self.d.ledger.claim_once(key, self.now):
            sent = await self.d.mailer.was_sent(operation_id)
            if sent is None:
                raise TransientError("cannot tell whether the reminder went out")
            if sent:
                return await self._record("sent", "confirmed after a redelivery")
        return await self._send(operation_id)

    async def _enrolled(self) -> ReminderOutcome:
        self.record = self.record.with_step(
            "enrolled", self.now, "ok", "found live before a reminder"
        )
        self.record = replace(self.record, status=Status.ENROLLED, enrolled_at=self.now)
        await self._record("skipped_enrolled")
        log.info("joiner already enrolled; reminder skipped")
        return ReminderOutcome("skipped_enrolled")

    async def _send(self, operation_id: str) -> ReminderOutcome:
        user = await self.d.directory.find_user(self.record.employee_id, self.record.upn)
        manager = await self.d.directory.get_manager(self.record.user_id or "")
        cc_manager = self.slot >= self.policy.manager_cc_from
        recipients = choose_reminder_recipients(
            personal_email=self.record.personal_email,
            other_mails=user.other_mails if user else (),
            work_mail=user.mail if user else None,
            manager_mail=manager.mail if manager else None,
            cc_manager=cc_manager,
        )
        if recipients is None:
            raise PermanentError(
                "no_reminder_address", "no personal, other or work address, and no manager"
            )
        tap_status, valid_until = await self._tap_status()
        is_last = self.slot >= self.policy.slot_count
        email = compose_reminder(
            to=recipients.to,
            cc=recipients.cc,
            slot=self.slot,
            is_last=is_last,
            brand=Brand.from_settings(self.s),
            joiner_name=self.record.display_name or self.record.given_name,
            joiner_upn=self.record.upn,
            manager_name=manager.display_name if manager else None,
            tap_status=tap_status,
            tap_valid_until=valid_until,
            language=self.record.language,
            time_zone=self.record.time_zone,
        )
        await self.d.mailer.send(email, operation_id)
        await self._record("sent", recipient=recipients.masked)
        if is_last and manager and manager.mail:
            await self._final_notice(manager.mail, manager.display_name)
        return ReminderOutcome("sent")

    async def _tap_status(self) -> tuple[TapStatus, datetime | None]:
        r = self.record
        if r.tap_start and r.tap_lifetime_minutes:
            until = r.tap_start + timedelta(minutes=r.tap_lifetime_minutes)
            if until > self.now:
                return TapStatus.VALID, until
        if self.s.reminder_reissue_tap and await reissue_tap(self.d, r):
            self.record = await self.d.ledger.get(r.tracking_id) or r
            return TapStatus.REISSUED, None
        return TapStatus.UNKNOWN, None

    async def _final_notice(self, manager_mail: str, manager_name: str | None) -> None:
        key = final_notice_key(self.record.tracking_id)
        if not await self.d.ledger.claim_once(key, self.now):
            return
        email = compose_manager_final_notice(
            to=manager_mail,
            joiner_name=self.record.display_name or self.record.employee_id,
            hire_date=self.record.hire_date,
            reminders_sent=sum(1 for r in self.record.reminders if r.outcome == "sent"),
            brand=Brand.from_settings(self.s),
            manager_name=manager_name,
            joiner_upn=self.record.upn,
            cc=self.s.admin_emails,
        )
        await self.d.mailer.send(email, operation_id_for(key))
        await self._record("final_notice")

    async def _record(self, outcome: str, detail: str = "", recipient: str = "") -> ReminderOutcome:
        entry = ReminderLog(self.slot, self.d.clock.now(), outcome, recipient, detail)
        self.record = await self.d.ledger.save(self.record.with_reminder(entry))
        return ReminderOutcome(outcome)
