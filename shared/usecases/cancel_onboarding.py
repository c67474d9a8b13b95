"""Use case: HR withdrew the offer — stop the onboarding and take back what Tapstart did.

The intake marks the person's onboarding `cancelling` and enqueues it; the onboarding worker
hands such a record here. In order, each step safe to repeat (a redelivered message resumes):
1. delete the TAP Tapstart issued, if Graph still lists it as usable (only by the recorded id;
   a pass created for this onboarding whose id was never recorded — the worker died between the
   create and the save — is recognised by its creation time after the onboarding was accepted);
2. remove the person from the passwordless groups *Tapstart* added them to (`groups_added`),
   never from groups they were in before;
3. tell the manager, the admins in copy (or the admins alone when there is no manager mail);
4. final status `cancelled`, reason `offer_withdrawn`, HR's reason text kept as the detail.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

from shared.domain.directory import Manager
from shared.domain.person import passes_to_retire
from shared.domain.record import JoinerRecord, Status
from shared.emails.cancellation import compose_cancellation_notice
from shared.ports import (
    Clock,
    GroupRemover,
    Ledger,
    Mailer,
    SignInMethodReader,
    TapRemover,
)
from shared.rendering import Brand
from shared.usecases.notify import AdminAlerts

log = logging.getLogger(__name__)


class CancelDirectory(SignInMethodReader, TapRemover, GroupRemover, Protocol):
    async def get_manager(self, user_id: str) -> Manager | None: ...


def notice_operation_id(tracking_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tapstart:cancel-notice:{tracking_id}"))


class Cancellation:
    def __init__(
        self,
        *,
        directory: CancelDirectory,
        ledger: Ledger,
        mailer: Mailer,
        clock: Clock,
        brand: Brand,
        alerts: AdminAlerts,
    ) -> None:
        self._directory = directory
        self._ledger = ledger
        self._mailer = mailer
        self._clock = clock
        self._brand = brand
        self._alerts = alerts

    async def __call__(self, record: JoinerRecord) -> JoinerRecord:
        if record.status is not Status.CANCELLING:
            return record
        tap_was_delivered = record.delivered_at is not None
        retired = removed = 0
        manager: Manager | None = None
        if record.user_id:
            retired = await self._retire_passes(record)
            removed = await self._remove_from_groups(record)
            manager = await self._directory.get_manager(record.user_id)
        now = self._clock.now()
        record = record.with_step(
            "cancel",
            now,
            "ok",
            f"passes deleted: {retired}; groups left: {removed}",
            tap_retired_at=now if retired else record.tap_retired_at,
        )
        record = await self._ledger.save(record)
        await self._notify(record, manager, tap_was_delivered, retired > 0, removed)
        record = record.with_step("cancelled", self._clock.now(), "ok", status=Status.CANCELLED)
        record = await self._ledger.save(record)
        log.info("onboarding cancelled", extra={"passes_deleted": retired, "groups_left": removed})
        return record

    async def _retire_passes(self, record: JoinerRecord) -> int:
        methods = await self._directory.sign_in_methods(record.user_id or "")
        deleted = 0
        for tap_id in passes_to_retire(record, methods):
            deleted += await self._directory.delete_tap(record.user_id or "", tap_id)
        return deleted

    async def _remove_from_groups(self, record: JoinerRecord) -> int:
        removed = 0
        for group_id in record.groups_added:
            removed += await self._directory.remove_from_group(group_id, record.user_id or "")
        return removed

    async def _notify(
        self,
        record: JoinerRecord,
        manager: Manager | None,
        delivered: bool,
        retired: bool,
        removed: int,
    ) -> None:
        admins = self._alerts.recipients
        to = manager.mail if manager and manager.mail else None
        if to is None and not admins:
            return
        email = compose_cancellation_notice(
            to=to or admins,
            cc=admins if to else (),
            joiner_name=record.display_name or record.upn or record.employee_id,
            hire_date=record.hire_date,
            brand=self._brand,
            reason=record.reason_detail,
            tap_retired=retired,
            tap_was_delivered=delivered,
            groups_removed=removed,
            manager_name=manager.display_name if manager else None,
            joiner_upn=record.upn,
            language=manager.preferred_language if manager else None,
        )
        # One notice per cancelled onboarding: the operation id makes a redelivery a no-op.
        await self._mailer.send(email, notice_operation_id(record.tracking_id))
