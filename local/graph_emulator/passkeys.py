"""Passkeys (FIDO2): the AAGUIDs the emulator knows, which report name each one implies, and the
Passkey (FIDO2) policy's say on a registration (state, targets, self-service, key restrictions).

AAGUIDs are public values: Microsoft Authenticator's two from Entra's "Enable passkeys in
Microsoft Authenticator", Windows Hello's three from Entra's passkeys-in-Windows guidance, the
others from the authenticators' vendors (YubiKey 5 Series) and the community passkey-provider
list (iCloud Keychain, Google Password Manager).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .state import Tenant, User

AUTHENTICATOR_IOS = "90a3ccdf-635c-4729-a248-9b709135078f"
AUTHENTICATOR_ANDROID = "de1e552d-db1d-4423-a619-566b625cdc84"
YUBIKEY_5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
WINDOWS_HELLO_HARDWARE = "08987058-cadc-4b81-b6e1-30de50dcbe96"
WINDOWS_HELLO_VBS = "9ddd1817-af5a-4672-a2b9-3e3dd95000a9"
WINDOWS_HELLO_SOFTWARE = "6028b017-b1d4-4c02-b4b3-afcdafc96bb2"
ICLOUD_KEYCHAIN = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
GOOGLE_PASSWORD_MANAGER = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"

AUTHENTICATOR_KIND = "passKeyDeviceBoundAuthenticator"
WINDOWS_HELLO_KIND = "passKeyDeviceBoundWindowsHello"
SYNCED_KIND = "passKeySynced"
DEVICE_BOUND_KIND = "passKeyDeviceBound"
# ``methodsRegistered`` names of passkeys and FIDO2 security keys.
PASSKEY_KINDS = frozenset(
    {
        DEVICE_BOUND_KIND,
        AUTHENTICATOR_KIND,
        WINDOWS_HELLO_KIND,
        SYNCED_KIND,
        "fido2SecurityKey",
        "fido2",
    }
)
PLATFORMS = frozenset({"ios", "android"})


@dataclass(frozen=True)
class Authenticator:
    model: str
    kind: str | None  # the report name this AAGUID implies; None: a security key (any bound kind)


CATALOG: dict[str, Authenticator] = {
    AUTHENTICATOR_IOS: Authenticator("Microsoft Authenticator - iOS", AUTHENTICATOR_KIND),
    AUTHENTICATOR_ANDROID: Authenticator("Microsoft Authenticator - Android", AUTHENTICATOR_KIND),
    YUBIKEY_5: Authenticator("YubiKey 5 Series", None),
    WINDOWS_HELLO_HARDWARE: Authenticator(
        "Windows Hello Hardware Authenticator", WINDOWS_HELLO_KIND
    ),
    WINDOWS_HELLO_VBS: Authenticator(
        "Windows Hello VBS Hardware Authenticator", WINDOWS_HELLO_KIND
    ),
    WINDOWS_HELLO_SOFTWARE: Authenticator(
        "Windows Hello Software Authenticator", WINDOWS_HELLO_KIND
    ),
    ICLOUD_KEYCHAIN: Authenticator("iCloud Keychain", SYNCED_KIND),
    GOOGLE_PASSWORD_MANAGER: Authenticator("Google Password Manager", SYNCED_KIND),
}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(text: object) -> bool:
    return isinstance(text, str) and bool(_GUID.match(text))


def default_aaguid(kind: str, platform: str | None) -> str:
    """The AAGUID a passkey of this kind has when the registration names none."""
    android = platform == "android"
    if kind == AUTHENTICATOR_KIND:
        return AUTHENTICATOR_ANDROID if android else AUTHENTICATOR_IOS
    if kind == WINDOWS_HELLO_KIND:
        return WINDOWS_HELLO_HARDWARE
    if kind == SYNCED_KIND:
        return GOOGLE_PASSWORD_MANAGER if android else ICLOUD_KEYCHAIN
    return YUBIKEY_5


def model_of(aa_guid: str) -> str | None:
    known = CATALOG.get(aa_guid.lower())
    return known.model if known else None


def kind_for(kind: str, aa_guid: str) -> str:
    """The report name that matches the AAGUID: the AAGUID decides, the requested kind stays when
    it does not contradict it (an unknown AAGUID is nobody's Authenticator or Windows Hello)."""
    known = CATALOG.get(aa_guid.lower())
    if known is not None and known.kind is not None:
        return known.kind
    if kind in {AUTHENTICATOR_KIND, WINDOWS_HELLO_KIND}:
        return DEVICE_BOUND_KIND
    if known is not None and kind == SYNCED_KIND:  # a security key is device-bound
        return DEVICE_BOUND_KIND
    return kind


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str  # the audit event's resultReason and the control API's message


def targets_user(tenant: Tenant, policy: dict[str, Any], user: User) -> bool:
    """The policy's include targets cover the user and its exclude targets do not (transitive
    groups; ``all_users``)."""
    groups = {g.id for g in tenant.groups_of(user.id, transitive=True)}

    def hits(targets: list[dict[str, Any]]) -> bool:
        return any(
            t.get("id") == "all_users" or t.get("id") == user.id or t.get("id") in groups
            for t in targets
        )

    return hits(policy.get("includeTargets") or []) and not hits(policy.get("excludeTargets") or [])


def fido2_refusal(tenant: Tenant, user: User, aa_guid: str) -> Refusal | None:
    """Why the Passkey (FIDO2) policy refuses this registration, or None. A tenant without a
    ``Fido2`` configuration (a custom seed) refuses nothing."""
    policy = tenant.policies.get("Fido2")
    if policy is None:
        return None
    if policy.get("state") != "enabled" or not targets_user(tenant, policy, user):
        return Refusal(
            "methodDisabledByPolicy",
            "The Passkey (FIDO2) authentication method policy is disabled or does not "
            "target the user.",
        )
    if policy.get("isSelfServiceRegistrationAllowed") is False:
        return Refusal(
            "selfServiceRegistrationNotAllowed",
            "The Passkey (FIDO2) policy does not allow users to register passkeys themselves.",
        )
    restrictions = policy.get("keyRestrictions") or {}
    if restrictions.get("isEnforced") is True:
        listed = {str(g).lower() for g in restrictions.get("aaGuids") or []}
        allow = str(restrictions.get("enforcementType", "block")).lower() == "allow"
        if (aa_guid.lower() in listed) != allow:
            return Refusal(
                "aaGuidNotAllowed",
                f"The passkey's AAGUID {aa_guid} is blocked by the Passkey (FIDO2) policy's "
                "key restrictions.",
            )
    return None
