"""Use case: `tapstart setup plan|apply [--rollback FILE]` — tenant setup as code.

`plan` reads the resources the desired state names and diffs them (`shared.domain.tenant_setup`);
it needs only the read permission Tapstart holds. `apply` makes exactly the planned changes,
one PATCH per resource, after checking that the token holds the opt-in
`Policy.ReadWrite.AuthenticationMethod` (else it changes nothing and names the permission); the
rollback document (every changed property's previous value) is handed to the caller to write
*before* the first PATCH, so an interrupted apply can still be undone. Afterwards it reads the
resources again: an apply whose result still differs says so. A second apply of the same state
finds nothing to change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shared.doctor.fetched import Fetched, ReadFailure
from shared.domain.errors import PermanentError, TapstartError
from shared.domain.tenant_setup import (
    RESOURCES,
    DesiredState,
    Plan,
    current_of,
    patch_body,
    plan,
    rollback_document,
)

SETUP_WRITE = "Policy.ReadWrite.AuthenticationMethod"
SETUP_READ = "Policy.Read.AuthenticationMethod"


class SetupTenant(Protocol):
    """Reads and PATCHes of tenant configuration (shared.adapters.graph_tenant implements it)."""

    async def read_json(self, path: str) -> Fetched: ...
    async def patch_json(self, path: str, body: dict[str, Any]) -> ReadFailure | None: ...


Roles = Callable[[], Awaitable[list[str] | ReadFailure]]
SaveRollback = Callable[[dict[str, Any]], Awaitable[str]]


class SetupError(TapstartError):
    """A setup that cannot go on; `fix` says what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


def missing_permission() -> SetupError:
    return SetupError(
        f"apply needs the Microsoft Graph application permission {SETUP_WRITE}, which "
        "Tapstart's identity does not hold (it is opt-in, never granted by default); nothing "
        "was changed",
        f"grant it for the apply (scripts/grant-graph-permissions.sh --setup-write, or the "
        f"Bicep module's grantSetupWrite), run apply again, then revoke it; `tapstart setup "
        f"plan` needs only {SETUP_READ}",
    )


@dataclass(frozen=True)
class Applied:
    plan: Plan
    rollback_file: str | None  # None: nothing changed, nothing written
    remaining: Plan  # what still differs after the apply (empty when it landed)


class TenantSetup:
    def __init__(
        self, *, tenant: SetupTenant, roles: Roles, clock: Callable[[], str], tenant_id: str = ""
    ) -> None:
        self._tenant = tenant
        self._roles = roles
        self._clock = clock  # now, as an ISO string (for the rollback document)
        self._tenant_id = tenant_id  # recorded in a rollback; a rollback for another is refused

    async def plan(self, desired: DesiredState) -> Plan:
        current: dict[str, dict[str, Any]] = {}
        for key in desired.resources:
            body = await self._tenant.read_json(RESOURCES[key].path)
            if isinstance(body, ReadFailure):
                raise _read_error(RESOURCES[key].label, body)
            current[key] = current_of(key, body)
        return plan(desired, current)

    async def apply(self, desired: DesiredState, save_rollback: SaveRollback) -> Applied:
        if desired.tenant and self._tenant_id and desired.tenant != self._tenant_id:
            raise SetupError(
                f"the rollback file is for tenant {desired.tenant}, not {self._tenant_id}; "
                "nothing was changed",
                "run it with the settings (GRAPH_TENANT_ID) of the tenant it was made in",
            )
        the_plan = await self.plan(desired)
        if the_plan.empty:
            return Applied(the_plan, None, the_plan)
        roles = await self._roles()
        if not isinstance(roles, ReadFailure) and SETUP_WRITE not in roles:
            raise missing_permission()
        document = rollback_document(the_plan, created=self._clock(), tenant=self._tenant_id)
        path = await save_rollback(document)
        for key in the_plan.resources():
            failure = await self._tenant.patch_json(
                RESOURCES[key].path, patch_body(key, the_plan, desired.exact)
            )
            if failure is not None:
                raise _patch_error(RESOURCES[key].label, failure, path)
        return Applied(the_plan, path, await self.plan(desired))


def _read_error(what: str, failure: ReadFailure) -> SetupError:
    if failure.status in (401, 403):
        return SetupError(
            f"cannot read the {what}: {failure.describe()}",
            f"grant {SETUP_READ} (Tapstart's default grant includes it)",
        )
    return SetupError(f"cannot read the {what}: {failure.describe()}", "retry; check Graph health")


def _patch_error(what: str, failure: ReadFailure, rollback: str) -> TapstartError:
    undo = f"`tapstart setup apply --rollback {rollback}` restores what changed before it"
    if failure.status == 403:
        error = missing_permission()
        return SetupError(
            f"Graph refused the {what} PATCH: {failure.describe()}", f"{error.fix}; {undo}"
        )
    if failure.status == 400:
        return SetupError(
            f"Graph refused the {what} PATCH: {failure.describe()}",
            f"correct the file (Graph's message names the property); {undo}",
        )
    return PermanentError("graph_error", f"{what} PATCH: {failure.describe()}; {undo}")
