"""Use case: a rehire override — record an admin's explicit, audited decision to onboard an
existing account, and (only when asked) remove its stale methods right before the pass.

`Rehire.record` is what `tapstart onboard --rehire` calls: it lists the methods the account still
has, writes the joiner with who/why/what in its first steps, and tells the admins (an override
that waives guardrails must never be quiet). The onboarding worker then decides as always —
`decide` waives only the established-account rules for such a record — and, for a record that
asked for it, `StaleMethodRemoval` deletes the listed methods once the pass is about to be
issued (after every other guardrail passed, on a fresh read).
"""

from __future__ import annotations

import logging
from typing import Protocol

from shared.domain.errors import PermanentError
from shared.domain.passwordless import SignInMethod
from shared.domain.reasons import Reason
from shared.domain.record import JoinerRecord
from shared.domain.rehire import REMOVAL_PERMISSIONS, describe, stale_methods
from shared.ports import Clock, Ledger, MethodRemover, SignInMethodReader
from shared.usecases.notify import AdminAlerts

log = logging.getLogger(__name__)

REMOVED_STEP = "stale_methods_removed"


class RehireDirectory(SignInMethodReader, MethodRemover, Protocol):
    pass


class Rehire:
    def __init__(
        self, *, directory: RehireDirectory, ledger: Ledger, clock: Clock, alerts: AdminAlerts
    ) -> None:
        self._directory = directory
        self._ledger = ledger
        self._clock = clock
        self._alerts = alerts

    async def stale(self, user_id: str) -> str:
        """The account's removable methods, described (for the dry run and the audit)."""
        return describe(stale_methods(await self._directory.sign_in_methods(user_id)))

    async def record(
        self,
        record: JoinerRecord,
        *,
        user_id: str,
        actor: str,
        reason: str,
        remove_methods: bool,
    ) -> JoinerRecord:
        """Write the joiner with the override; the admins are told before anything is issued."""
        found = await self.stale(user_id)
        now = self._clock.now()
        removal = "to be removed before the pass" if remove_methods else "kept"
        overridden = record.with_step(
            "rehire_override",
            now,
            "ok",
            f"by {actor}: {reason}",
            rehire_by=actor,
            rehire_reason=reason,
            rehire_remove_methods=remove_methods,
        ).with_step("stale_methods", now, "ok", f"{found} ({removal})")
        stored, _ = await self._ledger.create(overridden)
        log.warning(
            "rehire override: guardrails for established accounts waived",
            extra={"actor": actor, "remove_methods": remove_methods},
        )
        detail = f"by {actor}: {reason}; stale methods: {found} ({removal})"
        await self._alerts(stored, Reason.REHIRE_OVERRIDE, detail)
        return stored


class StaleMethodRemoval:
    """Before the pass of a rehire that asked for it: delete what an earlier employment left."""

    def __init__(self, *, directory: RehireDirectory, ledger: Ledger, clock: Clock) -> None:
        self._directory = directory
        self._ledger = ledger
        self._clock = clock

    async def __call__(self, record: JoinerRecord, user_id: str) -> JoinerRecord:
        done = any(step.step == REMOVED_STEP for step in record.steps)
        if not record.rehire_remove_methods or record.rehire_by is None or done:
            return record
        left = list(stale_methods(await self._directory.sign_in_methods(user_id)))
        removed: list[SignInMethod] = []
        # Graph refuses to delete a user's default method while others remain: what it refused
        # is tried again once the rest is gone.
        for _ in range(2):
            refused: list[SignInMethod] = []
            for method in left:
                try:
                    if await self._directory.delete_method(user_id, method):
                        removed.append(method)
                except PermanentError as exc:
                    if exc.reason == "graph_forbidden":
                        raise PermanentError("graph_forbidden", _forbidden(method)) from exc
                    refused.append(method)
            left = refused
        if left:  # fail closed: no pass while the earlier employment's methods remain
            raise PermanentError(
                "stale_methods_not_removed", f"Graph refused to delete {describe(left)}"
            )
        log.warning("rehire: stale sign-in methods removed", extra={"removed": len(removed)})
        return await self._ledger.save(
            record.with_step(REMOVED_STEP, self._clock.now(), "ok", describe(removed))
        )


def _forbidden(method: SignInMethod) -> str:
    permission = REMOVAL_PERMISSIONS.get(method.kind, "UserAuthenticationMethod.ReadWrite.All")
    return (
        f"removing the stale {method.kind.value} method needs {permission}, which Tapstart does "
        "not hold by default; grant it (docs/deploy.md) or run --rehire without "
        "--remove-stale-methods"
    )
