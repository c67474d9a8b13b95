"""The Graph application permissions in the app's token: each one Tapstart needs, and none of
the broader ones it does not (graph-api.md §1.5, §2.1, §3.1, §4.1). Pure.

Device.Read.All is granted by infra/ and the grant scripts whatever TARGET_METHODS says (the
setting can change without a redeployment), so it is always expected; it is *required* only
while phone sign-in is a target, the one case in which Tapstart reads the device.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence

from shared.doctor import portal
from shared.doctor.result import CheckResult, failed, passed, warned
from shared.domain.passwordless import DEFAULT_TARGETS, Target

DEVICE_READ = "tell phone sign-in from push notifications"
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
    # Only authentication method configurations are read: Policy.Read.All (every policy of the
    # tenant, Conditional Access included) is broader than needed.
    "read the TAP, Authenticator and Passkey (FIDO2) policies": (
        "Policy.Read.AuthenticationMethod",
        "Policy.ReadWrite.AuthenticationMethod",
        "Policy.Read.All",
    ),
    # Privilege before any TAP (shared.adapters.graph_privilege): role assignments at every
    # scope and PIM role eligibility. Directory.Read.All reads assignments but not eligibility,
    # so only the role-management permissions grant both.
    "read admin role assignments and PIM role eligibility": (
        "RoleManagement.Read.Directory",
        "RoleManagement.ReadWrite.Directory",
    ),
    # PIM for Groups: who may activate membership or ownership of a role-assignable group.
    "read PIM for Groups eligibility": (
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    ),
    # GET /users/{id}/authentication/microsoftAuthenticatorMethods?$expand=device: Graph returns
    # the device only for a phone registered for phone sign-in.
    DEVICE_READ: (
        "Device.Read.All",
        "Device.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ),
}
# Capabilities only some targets use: required while that target is configured.
ONLY_FOR: Mapping[str, Target] = {DEVICE_READ: Target.PHONE_SIGN_IN}
# Opt-in permissions: never granted by default, only with the grant scripts' flags or the Bicep
# module's parameters, each for one thing the default grant leaves out.
CONDITIONAL_ACCESS_READ = "Policy.Read.All"
SETUP_WRITE = "Policy.ReadWrite.AuthenticationMethod"
OPT_IN: Mapping[str, str] = {
    CONDITIONAL_ACCESS_READ: "the doctor's Conditional Access check",
    SETUP_WRITE: "tapstart setup apply",
}
# The least-privilege set, plus the documented fallback for tenants without the TAP-only
# permission, plus the opt-ins (granted on purpose, so never "broader than needed").
EXPECTED = (
    frozenset(names[0] for names in REQUIRED.values())
    | {"UserAuthenticationMethod.ReadWrite.All"}
    | frozenset(OPT_IN)
)


def roles_from_token(token: str) -> list[str]:
    """The `roles` claim of an access token (no signature check: Graph checks it, we only read)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return []
    roles = claims.get("roles") if isinstance(claims, dict) else None
    return [str(r) for r in roles] if isinstance(roles, list) else []


def required_for(targets: Sequence[Target]) -> dict[str, tuple[str, ...]]:
    """The capabilities (and the permissions granting each) these targets need."""
    return {
        purpose: names
        for purpose, names in REQUIRED.items()
        if purpose not in ONLY_FOR or ONLY_FOR[purpose] in targets
    }


def check_permissions(
    roles: Iterable[str], *, targets: Sequence[Target] = DEFAULT_TARGETS
) -> list[CheckResult]:
    granted = set(roles)
    needed = required_for(targets)
    missing = [
        f"{names[0]} (to {purpose})"
        for purpose, names in needed.items()
        if not granted.intersection(names)
    ]
    if missing:
        required = failed(
            "permissions.required",
            "the app's token lacks " + "; ".join(missing),
            f"grant the application permissions and admin consent ({portal.API_PERMISSIONS})",
        )
    else:
        required = passed("permissions.required", f"all {len(needed)} needed permissions granted")
    return [required, _least_privilege(granted)]


def _least_privilege(granted: set[str]) -> CheckResult:
    name = "permissions.least_privilege"
    broader = sorted(granted - EXPECTED)
    if broader:
        return warned(
            name,
            "broader than needed: " + ", ".join(broader),
            f"remove them from the app ({portal.API_PERMISSIONS}); Tapstart needs only "
            + ", ".join(sorted(n[0] for n in REQUIRED.values())),
        )
    if SETUP_WRITE in granted:
        # Opt-in, but a standing write on every authentication method policy (the TAP policy's
        # targets included) for a Tier-0 identity: grant it for the apply, then take it back.
        return warned(
            name,
            f"{SETUP_WRITE} (opt-in for tapstart setup apply) is granted: the identity can "
            "change every authentication method policy, the TAP policy's targets included",
            f"revoke it once the setup is applied ({portal.API_PERMISSIONS}); grant it again "
            "with grant-graph-permissions --setup-write for the next apply",
        )
    opted = [f"{p} ({why})" for p, why in OPT_IN.items() if p in granted]
    note = ", opt-in granted: " + ", ".join(opted) if opted else ""
    return passed(name, "no permissions beyond what Tapstart uses" + note)
