"""Directory roles and PIM: role assignments at any scope, role definitions (built-in and
custom), role eligibility schedule instances, and PIM for Groups eligibility instances.

The PIM endpoints answer as the PIM service does: a token without the permission gets 403
``UnknownError`` whose message is PIM's own JSON (``PermissionScopeNotGranted``), and a tenant
without Entra ID P2 gets 400 ``AadPremiumLicenseRequired``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import permissions as perm
from ..dispatch import GraphRequest, GraphResponse, Router
from ..errors import GraphError, bad_request, not_found
from ..odata import compile_filter, parse_select, parse_top, project
from ..privilege import (
    active_grants,
    assignment_json,
    current,
    eligibility_json,
    group_eligibility_json,
)
from ..state import GroupEligibility, RoleGrant
from .common import context, ok, paged

if TYPE_CHECKING:
    from ..emulator import Emulator

ROLE_BASE = "roleManagement/directory"
GROUP_PIM = "identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
NO_P2 = "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license."
_IN = re.compile(r"\bin\s*\(", re.IGNORECASE)
_SCOPED = re.compile(r"\b(principalId|groupId)\s+eq\s+'", re.IGNORECASE)


def register(router: Router) -> None:
    router.add("GET", f"{ROLE_BASE}/roleAssignments", perm.ROLE_READ, "directory_read")(
        list_assignments
    )
    router.add("GET", f"{ROLE_BASE}/roleDefinitions", perm.ROLE_READ, "directory_read")(
        list_definitions
    )
    router.add(
        "GET", f"{ROLE_BASE}/roleDefinitions/{{definition}}", perm.ROLE_READ, "directory_read"
    )(get_definition)
    # Authorised in the handler: PIM's 403 differs from the directory's.
    router.add("GET", f"{ROLE_BASE}/roleEligibilityScheduleInstances", perm.NONE, "directory_read")(
        list_role_eligibility
    )
    router.add("GET", GROUP_PIM, perm.NONE, "directory_read")(list_group_eligibility)


def _properties(sample: dict[str, Any]) -> frozenset[str]:
    return frozenset(sample)


_SAMPLE_GRANT = RoleGrant("x", "x")
ASSIGNMENT_PROPERTIES = _properties(assignment_json("x", _SAMPLE_GRANT))
GROUP_ELIGIBILITY_PROPERTIES = _properties(
    group_eligibility_json("x", GroupEligibility("g_member_s", "g", "member", datetime.now(UTC)))
)


def _listing(
    em: Emulator,
    req: GraphRequest,
    items: Sequence[dict[str, Any]],
    properties: Collection[str],
    type_name: str,
    context_name: str,
    *,
    allow_in: bool = True,
) -> GraphResponse:
    """A filtered, selected, paged collection (100 per page by default, ``$top`` ≤ 999)."""
    if "$expand" in req.query:
        raise bad_request(f"$expand is not supported on {type_name} by the emulator.")
    selected = parse_select(req.query.get("$select"), properties, type_name)
    top = parse_top(req.query.get("$top"), 100, 999)
    by_id = {item["id"]: item for item in items}
    ids: list[str] | None = None
    if "$skiptoken" not in req.query:
        rows = list(items)
        text = req.query.get("$filter")
        if text:
            if not allow_in and _IN.search(text):
                raise bad_request(
                    f"Invalid filter clause: the 'in' operator is not supported on {type_name}; "
                    "use eq."
                )
            flt = compile_filter(text, properties, type_name)
            rows = [row for row in rows if flt(row)]
        ids = [row["id"] for row in rows]

    def render(chunk: Sequence[str]) -> bytes:
        return json.dumps([project(by_id[i], selected) for i in chunk if i in by_id])[1:-1].encode()

    return paged(em, req, ids=ids, top=top, render=render, context_url=context(em, context_name))


def list_assignments(em: Emulator, req: GraphRequest) -> GraphResponse:
    """Active assignments of every principal, at every scope (``principalId`` ``eq``/``in``)."""
    now = em.clock.now()
    items = [
        assignment_json(principal.id, grant)
        for principal in em.tenant.principals()
        for grant in active_grants(principal)
        if (grant.start is None or grant.start <= now) and current(grant.end, now)
    ]
    return _listing(
        em,
        req,
        items,
        ASSIGNMENT_PROPERTIES,
        "unifiedRoleAssignment",
        "roleManagement/directory/roleAssignments",
    )


def list_definitions(em: Emulator, req: GraphRequest) -> GraphResponse:
    items = [d.json() for d in em.tenant.role_definitions.values()]
    properties = frozenset(items[0]) if items else frozenset({"id"})
    return _listing(
        em,
        req,
        items,
        properties,
        "unifiedRoleDefinition",
        "roleManagement/directory/roleDefinitions",
    )


def get_definition(em: Emulator, req: GraphRequest) -> GraphResponse:
    key = req.params["definition"]
    definition = em.tenant.role_definitions.get(key.lower())
    if definition is None:
        raise not_found(key)
    body = {"@odata.context": context(em, "roleManagement/directory/roleDefinitions/$entity")}
    body.update(definition.json())
    return ok(body)


def _require_pim(req: GraphRequest, granted_by: frozenset[str], scopes: str) -> None:
    if req.roles & granted_by:
        return
    inner = {
        "errorCode": "PermissionScopeNotGranted",
        "message": f"Authorization failed due to missing permission scope {scopes}.",
        "instanceAnnotations": [],
    }
    raise GraphError(403, "UnknownError", json.dumps(inner, separators=(",", ":")))


def _require_p2(em: Emulator) -> None:
    if em.tenant.settings.license != "P2":
        raise GraphError(400, "AadPremiumLicenseRequired", NO_P2)


def list_role_eligibility(em: Emulator, req: GraphRequest) -> GraphResponse:
    """Current and future eligibilities (an ended one is gone); ``$filter`` eq/ne only."""
    _require_pim(
        req,
        perm.ROLE_ELIGIBILITY_READ,
        "RoleEligibilitySchedule.Read.Directory,RoleManagement.Read.Directory",
    )
    _require_p2(em)
    now = em.clock.now()
    items = [
        eligibility_json(principal.id, grant, now)
        for principal in em.tenant.principals()
        for grant in principal.role_eligibilities
        if current(grant.end, now)
    ]
    properties = frozenset(eligibility_json("x", _SAMPLE_GRANT, now))
    return _listing(
        em,
        req,
        items,
        properties,
        "unifiedRoleEligibilityScheduleInstance",
        "roleManagement/directory/roleEligibilityScheduleInstances",
        allow_in=False,
    )


def list_group_eligibility(em: Emulator, req: GraphRequest) -> GraphResponse:
    """PIM for Groups: the request must be scoped to a principalId or a groupId (eq)."""
    _require_pim(
        req,
        perm.GROUP_ELIGIBILITY_READ,
        "PrivilegedEligibilitySchedule.Read.AzureADGroup,"
        "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    )
    _require_p2(em)
    if "$skiptoken" not in req.query and not _SCOPED.search(req.query.get("$filter", "")):
        raise bad_request(
            "The request must be filtered on principalId or groupId, for example "
            "$filter=groupId eq '{groupId}'.",
            code="BadRequest",
        )
    now = em.clock.now()
    items = [
        group_eligibility_json(user.id, item)
        for user in em.tenant.users.values()
        for item in user.group_eligibilities
        if current(item.end, now)
    ]
    return _listing(
        em,
        req,
        items,
        GROUP_ELIGIBILITY_PROPERTIES,
        "privilegedAccessGroupEligibilityScheduleInstance",
        "identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
        allow_in=False,
    )
