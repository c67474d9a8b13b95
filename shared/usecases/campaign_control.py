"""Use case: the admins' hand on the campaign — start, pause, exclude a user, and its status.

Start and pause only change the stored state (ETag-checked); the daily run fans out the day's
campaign mail while it runs, and each send checks the state again, so a pause stops the queued
mail too. Exclude is for a user who asked to stop: they are never written to again.
The status is the funnel the digest shows (`read_funnel`, one reading for both): the scope
figures of the last report read, and the conversion from the contact records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from shared.domain.campaign import CampaignPath, NotEligible
from shared.domain.campaign_figures import Funnel, conversion
from shared.domain.campaign_state import CampaignState, CampaignStatus, OptOut, is_object_id
from shared.domain.errors import ConflictError, PermanentError
from shared.ports import CampaignStore, Clock, UserLookup

log = logging.getLogger(__name__)
_RETRIES = 3


async def read_funnel(store: CampaignStore, now: datetime) -> Funnel:
    state = await store.state()
    summary = await store.summary() or {}
    contacts = [c async for c in store.contacts()]
    eligible_raw = summary.get("eligible")
    not_eligible_raw = summary.get("notEligible")
    eligible = {
        p: int(n)
        for p in CampaignPath
        if isinstance(eligible_raw, dict) and isinstance(n := eligible_raw.get(p.value, 0), int)
    }
    not_eligible = {
        r: int(n)
        for r in NotEligible
        if isinstance(not_eligible_raw, dict)
        and isinstance(n := not_eligible_raw.get(r.value, 0), int)
    }
    capacity = summary.get("capacityPerDay")
    last = summary.get("lastFirstContact")
    counted = summary.get("countedAt")
    return Funnel(
        status=state.status.value,
        started_on=state.started_on.isoformat() if state.started_on else None,
        eligible=eligible,
        not_eligible=not_eligible,
        conversion=conversion(contacts, now),
        capacity_per_day=capacity if isinstance(capacity, int) else 0,
        last_first_contact_on=last if isinstance(last, str) else None,
        counted_at=counted if isinstance(counted, str) else None,
    )


@dataclass(frozen=True)
class Exclusion:
    user_id: str
    upn: str
    new: bool  # False: they were already excluded
    had_contact: bool  # the campaign had planned or sent them mail


class CampaignControl:
    def __init__(self, *, store: CampaignStore, users: UserLookup, clock: Clock) -> None:
        self._store = store
        self._users = users
        self._clock = clock

    async def status(self) -> Funnel:
        return await read_funnel(self._store, self._clock.now())

    async def start(self, by: str) -> CampaignState:
        """Run the campaign (again); a restart keeps the first start day, so waves keep their
        numbers. Idempotent."""
        return await self._set(CampaignStatus.RUNNING, by)

    async def pause(self, by: str) -> CampaignState:
        return await self._set(CampaignStatus.PAUSED, by)

    async def _set(self, status: CampaignStatus, by: str) -> CampaignState:
        for attempt in range(_RETRIES):
            state = await self._store.state()
            if state.status is status:
                return state
            if status is CampaignStatus.PAUSED and state.status is CampaignStatus.NOT_STARTED:
                return state  # nothing to pause
            now = self._clock.now()
            started = state.started_on or (now.date() if status is CampaignStatus.RUNNING else None)
            try:
                saved = await self._store.save_state(
                    replace(state, status=status, started_on=started, changed_at=now, changed_by=by)
                )
            except ConflictError:
                if attempt == _RETRIES - 1:
                    raise
                continue
            log.info("campaign state changed", extra={"status": status.value, "by": by})
            return saved
        raise AssertionError("unreachable")  # pragma: no cover

    async def exclude(self, user: str, by: str, reason: str = "") -> Exclusion:
        """Exclude a user (object id or UPN) from the campaign for good."""
        user_id, upn = await self._resolve(user)
        now = self._clock.now()
        new = await self._store.opt_out(OptOut(user_id, now, by, upn, reason))
        had_contact = False
        for attempt in range(_RETRIES):
            contact = await self._store.contact(user_id)
            if contact is None:
                break
            had_contact = True
            if contact.opted_out_at is not None:
                break
            try:
                await self._store.save_contact(contact.opted_out(now, by))
                break
            except ConflictError:
                if attempt == _RETRIES - 1:
                    raise
        log.info("campaign user excluded", extra={"user_id": user_id, "new": new})
        return Exclusion(user_id, upn, new, had_contact)

    async def _resolve(self, user: str) -> tuple[str, str]:
        key = user.strip()
        if "@" not in key:
            if not is_object_id(key):
                raise PermanentError("invalid_user", "name the user by object id (GUID) or UPN")
            contact = await self._store.contact(key)
            return key, contact.upn if contact else ""
        found = await self._users.find_user_by_upn(key)
        if found is None:
            raise PermanentError("user_not_found", f"no user with UPN {key!r}")
        return found.id, found.user_principal_name
