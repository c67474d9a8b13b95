"""The Graph application permissions in the app's token: each one Tapstart needs, and none of
the broader ones it does not (graph-api.md §1.5, §2.1, §3.1, §4.1). Pure."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable

from shared.doctor import portal
from shared.doctor.result import CheckResult, failed, passed, warned

# What each capability needs; any one of the names grants it (first = least privilege).
REQUIRED: dict[str, tuple[str, ...]] = {
    "find joiners and their managers": (
        "User.Read.All",
        "User.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ),
    "add joiners to the passwordless group": (
        "GroupMember.ReadWrite.All",
        "Group.ReadWrite.All",
        "Directory.ReadWrite.All",
    ),
    "create TAPs": ("UserAuthMethod-TAP.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All"),
    "read users' registered methods": (
        "UserAuthenticationMethod.Read.All",
        "UserAuthenticationMethod.ReadWrite.All",
    ),
    "read the registration report": ("AuditLog.Read.All",),
    "read the TAP and Authenticator policies": (
        "Policy.Read.All",
        "Policy.ReadWrite.AuthenticationMethod",
    ),
}
# The least-privilege set, plus the documented fallback for tenants without the TAP-only permission.
EXPECTED = frozenset(names[0] for names in REQUIRED.values()) | {
    "UserAuthenticationMethod.ReadWrite.All"
}


def roles_from_token(token: str) -> list[str]:
    """The `roles` claim of an access token (no signature check: Graph checks it, we only read)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return []
    roles = claims.get("roles") if isinstance(claims, dict) else None
    return [str(r) for r in roles] if isinstance(roles, list) else []


def check_permissions(roles: Iterable[str]) -> list[CheckResult]:
    granted = set(roles)
    missing = [
        f"{names[0]} (to {purpose})"
        for purpose, names in REQUIRED.items()
        if not granted.intersection(names)
    ]
    if missing:
        required = failed(
            "permissions.required",
            "the app's token lacks " + "; ".join(missing),
            f"grant the application permissions and admin consent ({portal.API_PERMISSIONS})",
        )
    else:
        required = passed("permissions.required", f"all {len(REQUIRED)} needed permissions granted")
    broader = sorted(granted - EXPECTED)
    if broader:
        extra = warned(
            "permissions.least_privilege",
            "broader than needed: " + ", ".join(broader),
            f"remove them from the app ({portal.API_PERMISSIONS}); Tapstart needs only "
            + ", ".join(sorted(n[0] for n in REQUIRED.values())),
        )
    else:
        extra = passed("permissions.least_privilege", "no permissions beyond what Tapstart uses")
    return [required, extra]
