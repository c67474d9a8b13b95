"""Use case: where a delivered joiner stands now, read live from Graph, and what follows.

One place for it, used before every reminder and by the daily run for joiners the report shows
moving: the stages are recorded on the ledger with their times, reaching a target marks the
joiner `enrolled`, and Tapstart's own TAP is then deleted (`TAP_RETIRE_AFTER_ENROLMENT`) unless
Graph already reports it unusable. Only the TAP whose id Tapstart recorded is ever deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from shared.domain.passwordless import (
    Progress,
    Stage,
    Target,
    needs_device_read,
    progress,
    tap_to_retire,
    with_devices,
)
from shared.domain.record import JoinerRecord
from shared.ports import Clock, Ledger, SignInMethodReader, TapRemover

log = logging.getLogger(__name__)


class ProgressDirectory(SignInMethodReader, TapRemover, Protocol):
    pass


class FollowJoiner:
    def __init__(
        self,
        *,
        directory: ProgressDirectory,
        ledger: Ledger,
        clock: Clock,
        targets: Sequence[Target],
        retire_tap: bool,
    ) -> None:
        self._directory = directory
        self._ledger = ledger
        self._clock = clock
        self._targets = tuple(targets)
        self._retire_tap = retire_tap

    async def read(self, record: JoinerRecord) -> Progress:
        """The joiner's progress now; the Authenticator `device` read only when it decides."""
        user_id = record.user_id or ""
        methods = await self._directory.sign_in_methods(user_id)
        if needs_device_read(methods, self._targets):
            methods = with_devices(methods, await self._directory.phone_sign_in_devices(user_id))
        return progress(methods, self._targets, tap_id=record.tap_id, tap_start=record.tap_start)

    async def __call__(self, record: JoinerRecord, *, source: str) -> tuple[JoinerRecord, Progress]:
        """Read, record the stages reached, retire the TAP on the target; save if changed."""
        p = await self.read(record)
        now = self._clock.now()
        reached = p.reached.value if p.reached else None
        updated = record.seen_at(p.stage, now, reached, p.times)
        if updated.stage is not record.stage:
            detail = f"{p.stage.value} ({source})" + (f": {reached}" if reached else "")
            updated = updated.with_step("stage", now, "ok", detail)
        if p.stage is Stage.TARGET and record.stage is not Stage.TARGET:
            updated = await self._retire(updated, p)
        if updated is not record:
            updated = await self._ledger.save(updated)
            log.info("joiner progress", extra={"stage": p.stage.value, "target": reached})
        return updated, p

    async def _retire(self, record: JoinerRecord, p: Progress) -> JoinerRecord:
        now = self._clock.now()
        tap_id = tap_to_retire(p, record.tap_id, enabled=self._retire_tap)
        if tap_id is None:
            why = "retirement off" if not self._retire_tap else f"TAP {p.tap.value}"
            return record.with_step("tap_retire", now, "skipped", why)
        deleted = await self._directory.delete_tap(record.user_id or "", tap_id)
        return record.with_step(
            "tap_retire",
            now,
            "ok" if deleted else "skipped",
            "deleted after enrolment" if deleted else "already gone",
            tap_retired_at=now if deleted else None,
        )
