"""Use case: settle the pass of an onboarding carried on by a newer hire event (a moved start).

The intake gives the new event's record the previous onboarding's pass (`carried_on`); the
onboarding worker hands such a record here before anything else. `start_move` decides:
* keep — the delivered pass still works on the new first day (or the joiner already used it),
  and Graph still lists it (read live: a helpdesk may have deleted it): the record is
  `delivered` again, nothing is sent, the manager hears nothing;
* replace — the pass Tapstart issued is deleted (by its recorded id, or an unrecorded one made
  for the previous onboarding) before any new one exists, so there are never two live passes;
  the record forgets it and onboarding continues for the new date, and the one delivery email
  says that the start moved and the previous pass no longer works (`start_moved`).
Safe to repeat: a redelivered message finds the pass already deleted, or the record settled.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from shared.domain.onboarding_decision import valid_from
from shared.domain.passwordless import MethodKind
from shared.domain.person import StartMove, passes_to_retire, start_move
from shared.domain.policies import OnboardingPolicy
from shared.domain.record import JoinerRecord, Status
from shared.ports import Clock, Ledger, SignInMethodReader, TapRemover

log = logging.getLogger(__name__)


class MoveDirectory(SignInMethodReader, TapRemover, Protocol):
    pass


class StartMoveSettlement:
    def __init__(
        self,
        *,
        directory: MoveDirectory,
        ledger: Ledger,
        clock: Clock,
        policy: OnboardingPolicy,
    ) -> None:
        self._directory = directory
        self._ledger = ledger
        self._clock = clock
        self._policy = policy

    async def __call__(self, record: JoinerRecord) -> JoinerRecord:
        """The record with its carried pass settled (saved); unchanged when nothing was carried."""
        starts = valid_from(record, self._policy)
        if start_move(record, starts) is None:
            return record
        user_id = record.user_id
        methods = await self._directory.sign_in_methods(user_id) if user_id else ()
        listed = any(m.kind is MethodKind.TAP and m.id == record.tap_id for m in methods)
        move = start_move(record, starts, pass_listed=listed)
        now = self._clock.now()
        if move is StartMove.KEEP:
            log.info("start moved; the delivered pass covers the new date")
            return await self._ledger.save(
                record.with_step(
                    "start_moved",
                    now,
                    "ok",
                    "the delivered pass covers the new date",
                    status=Status.DELIVERED,
                )
            )
        previous = await self._ledger.get(record.moved_from or "")
        deleted = 0
        if record.user_id:
            for tap_id in passes_to_retire(previous or record, methods):
                deleted += await self._directory.delete_tap(record.user_id, tap_id)
        log.info("start moved; the previous pass is deleted", extra={"passes_deleted": deleted})
        forgotten = replace(
            record,
            tap_id=None,
            tap_start=None,
            tap_lifetime_minutes=None,
            tap_one_time=None,
            delivered_to_masked=None,
            delivered_at=None,
            tap_retired_at=None,
            reminders=(),
            start_moved=True,
        )
        return await self._ledger.save(
            forgotten.with_step(
                "start_moved", now, "ok", f"previous pass deleted ({deleted}); a new one follows"
            )
        )
