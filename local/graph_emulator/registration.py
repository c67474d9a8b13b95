"""What a user's registered methods mean: the authentication-methods list entries and the
``userRegistrationDetails`` row the report derives from them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from .clock import directory_datetime, graph_datetime
from .passkeys import PASSKEY_KINDS, default_aaguid, model_of
from .state import RegisteredMethod, TemporaryAccessPass, Tenant, User

PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"  # fixed id Graph uses for passwords

AUTHENTICATOR = {"microsoftAuthenticatorPush", "microsoftAuthenticatorPasswordless"}
PASSKEYS = PASSKEY_KINDS
PHONES = {
    "mobilePhone": "mobile",
    "alternateMobilePhone": "alternateMobile",
    "officePhone": "office",
    "sms": "mobile",
}
PASSWORDLESS = PASSKEYS | {"microsoftAuthenticatorPasswordless", "windowsHelloForBusiness"}
MFA = (
    AUTHENTICATOR
    | PASSKEYS
    | set(PHONES)
    | {"softwareOneTimePasscode", "hardwareOneTimePasscode", "windowsHelloForBusiness"}
)
SSPR = {
    "email",
    "mobilePhone",
    "alternateMobilePhone",
    "officePhone",
    "securityQuestion",
    "microsoftAuthenticatorPush",
    "microsoftAuthenticatorPasswordless",
    "softwareOneTimePasscode",
}
KNOWN_KINDS = MFA | SSPR | {"email"}

REPORT_PROPERTIES = (
    "id",
    "userPrincipalName",
    "userDisplayName",
    "userType",
    "isAdmin",
    "isSsprRegistered",
    "isSsprEnabled",
    "isSsprCapable",
    "isMfaRegistered",
    "isMfaCapable",
    "isPasswordlessCapable",
    "methodsRegistered",
    "isSystemPreferredAuthenticationMethodEnabled",
    "systemPreferredAuthenticationMethods",
    "userPreferredMethodForSecondaryAuthentication",
    "lastUpdatedDateTime",
)


def report_kinds(methods: list[RegisteredMethod]) -> list[str]:
    """``methodsRegistered`` values; Authenticator passwordless phone sign-in implies push."""
    kinds: list[str] = []
    for method in methods:
        names = (
            ["microsoftAuthenticatorPush", "microsoftAuthenticatorPasswordless"]
            if method.kind == "microsoftAuthenticatorPasswordless"
            else [method.kind]
        )
        kinds.extend(n for n in names if n not in kinds)
    return kinds


def report_row(tenant: Tenant, user: User, visible: list[RegisteredMethod]) -> dict[str, Any]:
    kinds = report_kinds(visible)
    kind_set = set(kinds)
    mfa = bool(kind_set & MFA)
    sspr = bool(kind_set & SSPR)
    if kind_set & AUTHENTICATOR:
        preferred, system = "push", ["push"]
    elif "softwareOneTimePasscode" in kind_set or "hardwareOneTimePasscode" in kind_set:
        preferred, system = "oath", ["oath"]
    elif kind_set & set(PHONES):
        preferred, system = "sms", ["sms"]
    else:
        preferred, system = "", []
    updated = max([user.created, *(m.changed for m in visible)])
    settings = tenant.settings
    return {
        "id": user.id,
        "userPrincipalName": user.user_principal_name,
        "userDisplayName": user.display_name,
        "userType": "guest" if user.user_type == "Guest" else "member",
        "isAdmin": bool(user.roles),
        "isSsprRegistered": sspr,
        "isSsprEnabled": settings.sspr_enabled,
        "isSsprCapable": sspr and settings.sspr_enabled,
        "isMfaRegistered": mfa,
        "isMfaCapable": mfa,
        "isPasswordlessCapable": bool(kind_set & PASSWORDLESS),
        "methodsRegistered": kinds,
        "isSystemPreferredAuthenticationMethodEnabled": settings.system_preferred_mfa_enabled,
        "systemPreferredAuthenticationMethods": system,
        "userPreferredMethodForSecondaryAuthentication": preferred,
        "lastUpdatedDateTime": graph_datetime(updated),
    }


def method_json(method: RegisteredMethod, user: User) -> dict[str, Any]:
    """The entry ``GET /users/{id}/authentication/methods`` lists for a registered method."""
    created = graph_datetime(method.created)
    kind = method.kind
    if kind in AUTHENTICATOR:
        return authenticator_json(method)
    if kind in PASSKEYS:
        aa_guid = method.aa_guid or default_aaguid(kind, method.platform)
        return {
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": method.id,
            "displayName": method.display_name or _PASSKEY_NAMES.get(kind, "Passkey"),
            "createdDateTime": created,
            "aaGuid": aa_guid,
            "model": model_of(aa_guid),
            "attestationCertificates": [],
            "attestationLevel": "notAttested",
        }
    if kind == "windowsHelloForBusiness":
        return {
            "@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
            "id": method.id,
            "displayName": method.display_name or "EMULATED-PC",
            "createdDateTime": created,
            "keyStrength": "normal",
        }
    if kind in {"softwareOneTimePasscode", "hardwareOneTimePasscode"}:
        return {"@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", "id": method.id}
    if kind in PHONES:
        return {
            "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
            "id": method.id,
            "phoneNumber": method.display_name or "+1 5555550100",
            "phoneType": PHONES[kind],
            "smsSignInState": "notAllowedByPolicy",
        }
    if kind == "email":
        return {
            "@odata.type": "#microsoft.graph.emailAuthenticationMethod",
            "id": method.id,
            "emailAddress": method.display_name
            or (user.other_mails[0] if user.other_mails else user.mail),
        }
    return {"@odata.type": "#microsoft.graph.authenticationMethod", "id": method.id}


_PASSKEY_NAMES = {
    "passKeyDeviceBoundAuthenticator": "Passkey in Microsoft Authenticator",
    "passKeyDeviceBoundWindowsHello": "Passkey in Windows Hello",
    "passKeySynced": "Synced passkey",
}


def authenticator_json(method: RegisteredMethod) -> dict[str, Any]:
    """A ``microsoftAuthenticatorAuthenticationMethod`` without its ``device`` relationship.

    ``createdDateTime`` "is null if the device isn't registered for passwordless Phone Sign-In"
    (v1.0 resource page); once it is, the emulator gives the device's registration time."""
    signed_in = method.phone_sign_in_at if method.has_phone_sign_in else None
    return {
        "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
        "id": method.id,
        "displayName": method.display_name or "Emulated phone",
        "deviceTag": "SoftwareTokenActivated",
        "phoneAppVersion": "6.2409.6274",
        "createdDateTime": graph_datetime(signed_in) if signed_in else None,
    }


DEVICE_PROPERTIES = frozenset(
    {
        "id",
        "deviceId",
        "displayName",
        "operatingSystem",
        "operatingSystemVersion",
        "accountEnabled",
        "registrationDateTime",
        "trustType",
        "profileType",
    }
)


def device_json(method: RegisteredMethod) -> dict[str, Any] | None:
    """The directory ``device`` behind an Authenticator registration: None unless the phone is
    registered for passwordless phone sign-in. Ids are derived from the method's id."""
    if not method.has_phone_sign_in or method.phone_sign_in_at is None:
        return None
    android = method.platform == "android"
    return {
        "@odata.type": "#microsoft.graph.device",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"device-object/{method.id}")),
        "deviceId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"device-id/{method.id}")),
        "displayName": method.display_name or "Emulated phone",
        "operatingSystem": "Android" if android else "iOS",
        "operatingSystemVersion": "14.0" if android else "17.5",
        "accountEnabled": True,
        "registrationDateTime": directory_datetime(method.phone_sign_in_at),
        "trustType": "Workplace",
        "profileType": "RegisteredDevice",
    }


def password_json(user: User) -> dict[str, Any]:
    created = user.password_created or user.created
    return {
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": PASSWORD_METHOD_ID,
        "password": None,
        "createdDateTime": graph_datetime(created),
    }


def tap_usability(tap: TemporaryAccessPass, now: datetime, policy_allows: bool) -> tuple[bool, str]:
    """``(isUsable, methodUsabilityReason)``; the rule is inferred from the reason names."""
    if tap.used_at is not None and tap.is_usable_once:
        return False, "OneTimeUsed"
    if not policy_allows:
        return False, "DisabledByPolicy"
    if now < tap.start:
        return False, "NotYetValid"
    if now > tap.end:
        return False, "Expired"
    return True, "EnabledByPolicy"
