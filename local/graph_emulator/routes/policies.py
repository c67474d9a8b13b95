"""Authentication methods policy: the per-method configurations, always with ``@odata.type``
(the SDK down-casts through it; without it TAP fields land in ``additional_data``).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .. import permissions as perm
from ..dispatch import GraphRequest, GraphResponse, Router
from ..errors import bad_request, not_found
from ..policy_rules import apply_configuration, apply_methods_policy
from .common import context, ok

if TYPE_CHECKING:
    from ..emulator import Emulator

BASE = "policies/authenticationMethodsPolicy"


def register(router: Router) -> None:
    router.add("GET", BASE, perm.POLICY_READ, "directory_read")(get_policy)
    router.add("PATCH", BASE, perm.POLICY_WRITE, "directory_write")(patch_policy)
    router.add(
        "PATCH",
        BASE + "/authenticationMethodConfigurations/{config}",
        perm.POLICY_WRITE,
        "directory_write",
    )(patch_configuration)
    router.add(
        "GET",
        BASE + "/authenticationMethodConfigurations/{config}",
        perm.POLICY_READ,
        "directory_read",
    )(get_configuration)


def get_configuration(em: Emulator, req: GraphRequest) -> GraphResponse:
    wanted = req.params["config"].lower()
    for policy_id, policy in em.tenant.policies.items():
        if policy_id.lower() == wanted:
            return ok(
                {
                    "@odata.context": context(em, "authenticationMethodConfigurations/$entity"),
                    **copy.deepcopy(policy),
                }
            )
    raise not_found(req.params["config"])


def patch_configuration(em: Emulator, req: GraphRequest) -> GraphResponse:
    """Merge the body's fields (204) after Graph's checks (`policy_rules`); a refused PATCH
    changes nothing. Graph requires ``@odata.type`` in the body."""
    body = req.json_body()
    wanted = req.params["config"].lower()
    for policy_id, policy in em.tenant.policies.items():
        if policy_id.lower() == wanted:
            if body.get("@odata.type") != policy.get("@odata.type"):
                raise bad_request(
                    "The request body must include '@odata.type' with the configuration's type.",
                    code="badRequest",
                )
            em.tenant.policies[policy_id] = apply_configuration(policy_id, policy, body)
            em.tenant.version += 1
            return GraphResponse(204)
    raise not_found(req.params["config"])


def patch_policy(em: Emulator, req: GraphRequest) -> GraphResponse:
    """The policy's own properties: the registration campaign, the migration state (204)."""
    em.tenant.methods_policy = apply_methods_policy(em.tenant.methods_policy, req.json_body())
    em.tenant.version += 1
    return GraphResponse(204)


def get_policy(em: Emulator, _req: GraphRequest) -> GraphResponse:
    own = copy.deepcopy(em.tenant.methods_policy)
    return ok(
        {
            "@odata.context": context(em, "policies/authenticationMethodsPolicy/$entity"),
            "id": "authenticationMethodsPolicy",
            "displayName": own.pop("displayName", "Authentication Methods Policy"),
            "description": own.pop(
                "description",
                "The tenant-wide policy that controls which authentication methods are allowed.",
            ),
            "lastModifiedDateTime": own.pop("lastModifiedDateTime", None),
            "policyVersion": own.pop("policyVersion", "1.5"),
            "reconfirmationInDays": own.pop("reconfirmationInDays", 0),
            **own,
            "authenticationMethodConfigurations": [
                copy.deepcopy(p) for p in em.tenant.policies.values()
            ],
        }
    )
