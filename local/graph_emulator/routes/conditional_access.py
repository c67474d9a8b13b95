"""Conditional Access (v1.0): list and get policies, list named locations.

Graph documents ``Policy.Read.All`` as the least (and only) privileged application permission for
reading them (v1.0 "List policies", "Get conditionalAccessPolicy"); ``Policy.ReadWrite.
ConditionalAccess`` alone does not read them. The Conditional Access service answers a token
without it with its own 403: ``AccessDenied`` "You cannot perform the requested operation,
required scopes are missing in the token." (not the directory's ``Authorization_RequestDenied``).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .. import permissions as perm
from ..dispatch import GraphRequest, GraphResponse, Router
from ..errors import GraphError, not_found
from .common import context, ok

if TYPE_CHECKING:
    from ..emulator import Emulator

BASE = "identity/conditionalAccess"
SCOPES_MISSING = (
    "You cannot perform the requested operation, required scopes are missing in the token."
)


def register(router: Router) -> None:
    # Authorised in the handlers: the Conditional Access service's 403 differs from the directory's.
    router.add("GET", f"{BASE}/policies", perm.NONE, "directory_read")(list_policies)
    router.add("GET", f"{BASE}/policies/{{policy}}", perm.NONE, "directory_read")(get_policy)
    router.add("GET", f"{BASE}/namedLocations", perm.NONE, "directory_read")(list_locations)


def _authorise(req: GraphRequest) -> None:
    if not req.roles & perm.CONDITIONAL_ACCESS_READ:
        raise GraphError(403, "AccessDenied", SCOPES_MISSING)


def list_policies(em: Emulator, req: GraphRequest) -> GraphResponse:
    _authorise(req)
    return ok(
        {
            "@odata.context": context(em, "identity/conditionalAccess/policies"),
            "value": copy.deepcopy(em.tenant.conditional_access),
        }
    )


def get_policy(em: Emulator, req: GraphRequest) -> GraphResponse:
    _authorise(req)
    for policy in em.tenant.conditional_access:
        if policy["id"] == req.params["policy"]:
            return ok(
                {
                    "@odata.context": context(em, "identity/conditionalAccess/policies/$entity"),
                    **copy.deepcopy(policy),
                }
            )
    raise not_found(req.params["policy"])


def list_locations(em: Emulator, req: GraphRequest) -> GraphResponse:
    _authorise(req)
    return ok(
        {
            "@odata.context": context(em, "identity/conditionalAccess/namedLocations"),
            "value": copy.deepcopy(em.tenant.named_locations),
        }
    )
