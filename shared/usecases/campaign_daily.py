"""Use case: the campaign's part of the daily run, after the joiner work.

1. `scope()` before the report is read: what the rows are judged against (`CampaignScope`).
2. The daily run feeds each row of its one read of the report to the tally.
3. `finish(tally, now)` (the funnel alone when the scope could not be read): record the conversions the report shows, keep the scope figures for the
   funnel, and — when the campaign runs and the report was read whole — queue the day's mail on
   the campaign's own queue: the follow-ups that are due first, then as many first contacts as
   the day's capacity leaves (`plan_from`, the dry run's plan), spread over the day at the
   campaign's hourly share. Each enqueue is claimed for the day, so a retried run does not queue
   twice; each send claims its step, so a step queued on two days still goes out once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from shared.domain.campaign import due_step, send_delays
from shared.domain.campaign_figures import Funnel
from shared.domain.campaign_state import CampaignContact, enqueue_key
from shared.domain.commands import SendCampaignEmail
from shared.domain.errors import ConflictError
from shared.domain.housekeeping import claims_cutoff, tap_counter_cutoff
from shared.domain.policies import CampaignPolicy
from shared.domain.quiet_hours import recipient_zone
from shared.ports import CampaignQueue, CampaignStore
from shared.usecases.campaign_control import read_funnel
from shared.usecases.campaign_plan import CampaignPlanView, plan_from
from shared.usecases.campaign_scope import CampaignScope, CampaignTally

log = logging.getLogger(__name__)


class CampaignDaily:
    def __init__(
        self,
        *,
        policy: CampaignPolicy,
        scope: CampaignScope,
        store: CampaignStore,
        queue: CampaignQueue,
    ) -> None:
        self._policy = policy
        self.scope = scope
        self._store = store
        self._queue = queue

    async def prune(self, now: datetime) -> int:
        """Housekeeping, by the ledger's rule (shared/domain/housekeeping): claims a month past
        the last cadence day, hourly send counters after two days."""
        days = self._policy.cadence.days
        return await self._store.prune(claims_cutoff(now, days), tap_counter_cutoff(now))

    async def finish(self, tally: CampaignTally | None, now: datetime, *, fan_out: bool) -> Funnel:
        """`tally` None: the scope could not be read; the funnel is still told, nothing queued."""
        if tally is None:
            return await read_funnel(self._store, now)
        await self._record_conversions(tally, now)
        view = plan_from(tally, self._policy, now.date())
        state = await self._store.state()
        follow_ups = first_contacts = 0
        if fan_out and state.running:
            follow_ups, first_contacts = await self._fan_out(
                tally, view, now, state.wave_on(now.date())
            )
        await self._store.save_summary(
            {
                "countedAt": now.isoformat(),
                "usersRead": tally.rows,
                "eligible": {p.value: n for p, n in tally.eligible().items()},
                "notEligible": {r.value: n for r, n in tally.not_eligible.items()},
                "capacityPerDay": self._policy.daily_capacity,
                "hourlyAllowance": self._policy.hourly_allowance,
                "lastFirstContact": (
                    view.plan.last_first_contact_on.isoformat()
                    if view.plan.last_first_contact_on
                    else None
                ),
                "plannedEmails": view.plan.emails,
                "enqueued": {
                    "day": now.date().isoformat(),
                    "followUps": follow_ups,
                    "firstContacts": first_contacts,
                },
            }
        )
        if follow_ups or first_contacts:
            log.info(
                "campaign mail queued",
                extra={"follow_ups": follow_ups, "first_contacts": first_contacts},
            )
        return await read_funnel(self._store, now)

    async def _record_conversions(self, tally: CampaignTally, now: datetime) -> None:
        for user_id, changed in tally.converted:
            contact = tally.contacts[user_id]
            first = contact.first_contact_at or now
            at = max(changed, first) if changed is not None else now
            try:
                await self._store.save_contact(contact.converted(min(at, now)))
            except ConflictError:
                # A send changed the record meanwhile: its own live check records it instead.
                log.info("campaign conversion left to the next read", extra={"user_id": user_id})

    async def _fan_out(
        self, tally: CampaignTally, view: CampaignPlanView, now: datetime, wave: int
    ) -> tuple[int, int]:
        policy = self._policy
        zone = recipient_zone(None, policy.default_time_zone)
        capacity = policy.daily_capacity
        due: list[tuple[datetime, SendCampaignEmail]] = []
        for c in tally.candidates:
            contact = tally.contacts.get(c.user_id)
            if contact is None or contact.first_contact_at is None:
                continue
            step = due_step(policy.cadence, contact.first_contact_at, contact.sent_steps, now, zone)
            if step is not None:
                due.append((contact.first_contact_at, SendCampaignEmail(c.user_id, step)))
        due.sort(key=lambda item: (item[0], item[1].user_id))
        commands = [command for _, command in due[:capacity]]
        room = capacity - len(commands)
        today = view.plan.waves[0] if view.plan.waves else None
        fresh: list[SendCampaignEmail] = []
        if today is not None and today.day == now.date():
            for uid in today.user_ids[: max(room, 0)]:
                await self._plan_contact(tally, view, uid, wave)
                fresh.append(SendCampaignEmail(uid, 1))
        commands += fresh
        delays = send_delays(len(commands), policy.hourly_allowance, now, policy.quiet_hours, zone)
        for command, delay in zip(commands, delays, strict=True):
            if await self._store.claim(enqueue_key(command.user_id, command.step, now.date()), now):
                await self._queue.send(command, delay)
        return len(commands) - len(fresh), len(fresh)

    async def _plan_contact(
        self, tally: CampaignTally, view: CampaignPlanView, user_id: str, wave: int
    ) -> None:
        if user_id in tally.contacts:
            return  # planned before and not sent yet: it keeps its record (and wave)
        upn, name = tally.names.get(user_id, ("", ""))
        contact = CampaignContact(user_id, upn, view.plan.paths[user_id], wave, name)
        await self._store.create_contact(contact)
