"""Helpers shared by the endpoint modules: contexts, lookups, paged collections."""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..dispatch import JSON_CONTENT_TYPE, GraphRequest, GraphResponse
from ..errors import GraphError, not_found
from ..paging import next_link, skiptoken
from ..state import Group, User, app_initiator

if TYPE_CHECKING:
    from ..emulator import Emulator


def context(em: Emulator, fragment: str) -> str:
    return f"{em.base_url}/$metadata#{fragment}"


# An Entra ID Free tenant asking for premium data (signInActivity, the authentication methods
# reports) gets 403 with this code and message (Graph issue threads quote both).
NON_PREMIUM_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
NON_PREMIUM = "Neither tenant is B2C or tenant doesn't have premium license"


def require_premium(em: Emulator) -> None:
    """Entra ID P1 or P2: the seed's or the control API's ``license`` is not ``Free``."""
    if em.tenant.settings.license == "Free":
        raise GraphError(403, NON_PREMIUM_CODE, NON_PREMIUM)


def require_user(em: Emulator, key: str) -> User:
    user = em.tenant.find_user(key)
    if user is None:
        raise not_found(key)
    return user


def deleted_security_info(em: Emulator, req: GraphRequest, user: User, label: str) -> GraphResponse:
    """The audit entry Entra writes when an app deletes a user's method, and the 204."""
    user.touch()  # the methods list and the report row are rebuilt from the methods left
    em.tenant.audit(
        "Admin deleted security info",
        category="UserManagement",
        service="Authentication Methods",
        target=user,
        initiated_by=app_initiator(req.app),
        operation="Delete",
        details=[{"key": "Method", "value": label}],
    )
    return GraphResponse(204)


def ok(body: dict[str, Any] | bytes, status: int = 200) -> GraphResponse:
    return GraphResponse(status, body, {"Content-Type": JSON_CONTENT_TYPE})


def paged(
    em: Emulator,
    req: GraphRequest,
    *,
    ids: Sequence[str] | None,
    top: int,
    render: Callable[[Sequence[str]], bytes],
    context_url: str,
    extra: bytes = b"",
) -> GraphResponse:
    """One page of ``ids`` (or of the snapshot named by ``$skiptoken``) as raw JSON bytes.

    ``render`` turns a slice of ids into the comma-joined JSON of its items, so a handler can
    serialise a 999-row page in one pass.
    """
    token = req.query.get("$skiptoken")
    if token:
        cursor, ids, offset = em.cursors.resume(token)
    else:
        assert ids is not None
        cursor, offset = "", 0
    chunk = ids[offset : offset + top]
    parts = [b'{"@odata.context":', _quote(context_url), extra, b',"value":[', render(chunk), b"]"]
    if offset + top < len(ids):
        cursor = cursor or em.cursors.open(ids)
        link = next_link(em.base_url, req.path, req.query, skiptoken(cursor, offset + top))
        parts += [b',"@odata.nextLink":', _quote(link)]
    parts.append(b"}")
    return ok(b"".join(parts))


def _quote(text: str) -> bytes:
    return json.dumps(text).encode()


def security_identifier(object_id: str) -> str | None:
    """A cloud group's SID: ``S-1-12-1-`` and the object id's four little-endian 32-bit words
    (matches the SID/id pairs in Graph's own examples)."""
    try:
        words = struct.unpack("<IIII", uuid.UUID(object_id).bytes_le)
    except ValueError:
        return None
    return "S-1-12-1-" + "-".join(str(w) for w in words)


def group_json(group: Group) -> dict[str, Any]:
    """The group as ``GET /groups/{id}`` returns it without ``$select``: Graph's default
    property set, in the order of the v1.0 "Get group" example. What the emulator does not model
    (on-premises sync, Microsoft 365 features, expiry) has the value a cloud-only security group
    shows: null or an empty list."""
    base = group.json()
    return {
        "id": base["id"],
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": base["createdDateTime"],
        "description": base["description"],
        "displayName": base["displayName"],
        "expirationDateTime": None,
        "groupTypes": base["groupTypes"],
        "isAssignableToRole": base["isAssignableToRole"],
        "mail": base["mail"],
        "mailEnabled": base["mailEnabled"],
        "mailNickname": base["mailNickname"],
        "membershipRule": base["membershipRule"],
        "membershipRuleProcessingState": base["membershipRuleProcessingState"],
        "onPremisesDomainName": None,
        "onPremisesLastSyncDateTime": None,
        "onPremisesNetBiosName": None,
        "onPremisesSamAccountName": None,
        "onPremisesSecurityIdentifier": None,
        "onPremisesSyncEnabled": None,
        "preferredDataLocation": None,
        "preferredLanguage": None,
        "proxyAddresses": [f"SMTP:{base['mail']}"] if base["mail"] else [],
        "renewedDateTime": base["createdDateTime"],
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": [],
        "securityEnabled": base["securityEnabled"],
        "securityIdentifier": security_identifier(group.id),
        "serviceProvisioningErrors": [],
        "theme": None,
        # "Groups assignable to roles are always Private" (group resource, visibility).
        "visibility": "Private" if group.is_assignable_to_role else base["visibility"],
        "onPremisesProvisioningErrors": [],
    }


# Properties $select may name on a group beyond the default set (Graph returns them only on
# $select; the emulator's values are those of a group without licences or labels).
GROUP_SELECT_ONLY: dict[str, Any] = {
    "assignedLabels": [],
    "assignedLicenses": [],
    "licenseProcessingState": None,
}


def group_select_json(group: Group) -> dict[str, Any]:
    """Every property ``$select`` may name on a group (the default set and ``GROUP_SELECT_ONLY``)."""
    return {**group_json(group), **{k: _copy(v) for k, v in GROUP_SELECT_ONLY.items()}}


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value
