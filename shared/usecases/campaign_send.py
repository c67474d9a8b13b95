"""Use case: send one campaign email (`SendCampaignEmail(user_id, step)`), exactly once.

In order, each step able to end the attempt:
1. the campaign runs (a pause holds queued mail: the message is dropped, and the next daily run
   queues the step again), the user has a contact record, is not stopped (converted, opted out,
   bounced) and has not had this step yet;
2. the account is an enabled member with a mailbox;
3. quiet hours in the user's zone (usage location, else the default): back on the queue for the
   morning;
4. the live check: the user's methods read now (the report lags by hours). A target reached
   stops the campaign for them, recorded as converted, before anything is sent. The email
   follows the path the live methods show; a user who would now need a TAP but was planned on
   another path (possibly an admin) is left to the next daily run's judgement;
5. the campaign's hourly share, counted in Table storage for every instance together: full →
   TransientError with the wait, so the trigger puts it back for the next hour; then a send of
   the shared email budget as `MailPriority.CAMPAIGN`, the lowest class (its ceiling leaves
   joiner mail and TAP deliveries their room in every window);
6. the step's claim (insert-if-absent) and an operation id derived from it: a redelivered message
   asks the mail service whether the first attempt went out and sends only if it did not;
7. the email (to the user's mailbox; on the TAP path the manager in copy, who can hand over the
   pass), then the record. A mail service refusal marks the contact bounced: no more mail.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.domain.campaign import CampaignPath, live_path, zone_for
from shared.domain.campaign_state import CampaignContact, CampaignUser, step_key
from shared.domain.commands import SendCampaignEmail
from shared.domain.email_address import address_problem
from shared.domain.email_budget import MailPriority
from shared.domain.errors import ConflictError, PermanentError, TransientError
from shared.domain.passwordless import needs_device_read, target_reached, with_devices
from shared.domain.policies import CampaignPolicy
from shared.domain.quiet_hours import delay_until_allowed
from shared.emails.campaign import compose_campaign_email
from shared.logging_setup import bound
from shared.ports import CampaignDirectory, CampaignQueue, CampaignStore, Clock, Mailer
from shared.rendering import Brand

log = logging.getLogger(__name__)
_RETRIES = 3
_Change = Callable[[CampaignContact], CampaignContact]


@dataclass(frozen=True)
class CampaignOutcome:
    # sent | converted | duplicate | delayed | paused | stopped | not_applicable | bounced
    outcome: str
    retry_in_seconds: int | None = None


def operation_id_for(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tapstart:{key}"))


def hour_key(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H")


def seconds_to_next_hour(now: datetime) -> int:
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return max(1, int((start - now).total_seconds()) + 1)


class CampaignSend:
    def __init__(
        self,
        *,
        policy: CampaignPolicy,
        brand: Brand,
        store: CampaignStore,
        directory: CampaignDirectory,
        mailer: Mailer,
        queue: CampaignQueue,
        clock: Clock,
    ) -> None:
        self._policy = policy
        self._brand = brand
        self._store = store
        self._directory = directory
        self._mailer = mailer
        self._queue = queue
        self._clock = clock

    async def __call__(self, command: SendCampaignEmail) -> CampaignOutcome:
        with bound(campaign_user=command.user_id, campaign_step=command.step):
            return await self._attempt(command)

    async def _attempt(self, command: SendCampaignEmail) -> CampaignOutcome:
        checked = await self._check(command)
        if isinstance(checked, CampaignOutcome):
            return checked
        contact, user = checked
        now = self._clock.now()
        policy = self._policy
        zone = zone_for(user.usage_location, dict(policy.country_zones), policy.default_time_zone)
        quiet = delay_until_allowed(now, policy.quiet_hours, zone)
        if quiet is not None:
            await self._queue.send(command, quiet)
            return CampaignOutcome("delayed", quiet)
        methods = await self._directory.sign_in_methods(user.id)
        if needs_device_read(methods, policy.targets):
            methods = with_devices(methods, await self._directory.phone_sign_in_devices(user.id))
        if target_reached(methods, policy.targets) is not None:
            await self._update(contact, lambda c: c.converted(now))
            log.info("campaign user reached a target; no email")
            return CampaignOutcome("converted")
        path = live_path(methods)
        if path is CampaignPath.TAP_PATH and contact.path is not CampaignPath.TAP_PATH:
            log.info("campaign user's methods changed; the next daily run plans them again")
            return CampaignOutcome("not_applicable")
        if not user.mail or address_problem(user.mail):
            await self._update(contact, lambda c: replace(c, bounced=True, detail="no mailbox"))
            return CampaignOutcome("bounced")
        if not await self._store.take_send_slot(hour_key(now), policy.hourly_allowance):
            wait = seconds_to_next_hour(now)
            raise TransientError("campaign_hourly_share_used", retry_after=wait)
        key = step_key(user.id, command.step)
        operation_id = operation_id_for(key)
        if not await self._store.claim(key, now):
            sent = await self._mailer.was_sent(operation_id)
            if sent is None:
                raise TransientError("cannot tell whether the campaign email went out")
            if sent:
                await self._update(contact, lambda c: c.sent(command.step, now, path))
                return CampaignOutcome("sent")
        return await self._send(command, contact, user, path, zone.key, operation_id, now)

    async def _check(
        self, command: SendCampaignEmail
    ) -> CampaignOutcome | tuple[CampaignContact, CampaignUser]:
        if not (await self._store.state()).running:
            return CampaignOutcome("paused")
        contact = await self._store.contact(command.user_id)
        if contact is None:
            return CampaignOutcome("not_applicable")
        if contact.stopped or command.user_id in await self._store.opted_out():
            return CampaignOutcome("stopped")
        if command.step <= contact.sent_steps:
            return CampaignOutcome("duplicate")
        user = await self._directory.campaign_user(command.user_id)
        if user is None or not user.account_enabled or user.user_type != "Member":
            return CampaignOutcome("not_applicable")
        return contact, user

    async def _send(
        self,
        command: SendCampaignEmail,
        contact: CampaignContact,
        user: CampaignUser,
        path: CampaignPath,
        zone: str,
        operation_id: str,
        now: datetime,
    ) -> CampaignOutcome:
        # Campaign mail draws last from the budget all instances share: it never takes the room
        # joiner mail and TAP deliveries keep (shared/domain/email_budget).
        slot = await self._mailer.reserve(MailPriority.CAMPAIGN)
        cc: tuple[str, ...] = ()
        manager_name = None
        if path is CampaignPath.TAP_PATH:
            manager = await self._directory.get_manager(user.id)
            if manager is not None and manager.mail and not address_problem(manager.mail):
                cc, manager_name = (manager.mail,), manager.display_name
        email = compose_campaign_email(
            to=user.mail or "",
            cc=cc,
            path=path,
            step=command.step,
            is_last=command.step >= self._policy.cadence.slot_count,
            brand=self._brand,
            user_name=user.display_name or user.given_name,
            upn=user.user_principal_name,
            manager_name=manager_name,
            targets=self._policy.targets,
            language=user.preferred_language,
            time_zone=zone,
        )
        try:
            await self._mailer.send(email, operation_id, slot)
        except PermanentError as exc:
            if exc.reason != "email_rejected":
                raise
            detail = str(exc)[:200]
            await self._update(contact, lambda c: replace(c, bounced=True, detail=detail))
            return CampaignOutcome("bounced")
        await self._update(contact, lambda c: c.sent(command.step, now, path))
        log.info("campaign email sent", extra={"path": path.value})
        return CampaignOutcome("sent")

    async def mark_failed(self, command: SendCampaignEmail, reason: str) -> None:
        """For poison messages: keep why on the contact; the next daily run may queue it again."""
        contact = await self._store.contact(command.user_id)
        if contact is not None:
            detail = f"step {command.step}: {reason}"
            await self._update(contact, lambda c: replace(c, detail=detail))

    async def _update(self, contact: CampaignContact, change: _Change) -> CampaignContact:
        for attempt in range(_RETRIES):
            try:
                return await self._store.save_contact(change(contact))
            except ConflictError:
                fresh = await self._store.contact(contact.user_id)
                if fresh is None or attempt == _RETRIES - 1:
                    raise
                contact = fresh
        raise AssertionError("unreachable")  # pragma: no cover
