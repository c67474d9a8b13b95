"""What a user's registered methods mean: the authentication-methods list entries and the
``userRegistrationDetails`` row the report derives from them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .clock import graph_datetime
from .state import RegisteredMethod, TemporaryAccessPass, Tenant, User

PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"  # fixed id Graph uses for passwords

AUTHENTICATOR = {"microsoftAuthenticatorPush", "microsoftAuthenticatorPasswordless"}
PASSKEYS = {
    "passKeyDeviceBound",
    "passKeyDeviceBoundAuthenticator",
    "passKeyDeviceBoundWindowsHello",
    "passKeySynced",
    "fido2SecurityKey",
    "fido2",
}
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
    updated = max([user.created, *(m.created for m in visible)])
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
        return {
            "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
            "id": method.id,
            "displayName": method.display_name or "Emulated phone",
            "deviceTag": "SoftwareTokenActivated",
            "phoneAppVersion": "6.2409.6274",
            "createdDateTime": created,
        }
    if kind in PASSKEYS:
        return {
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": method.id,
            "displayName": method.display_name or "Passkey in Microsoft Authenticator",
            "createdDateTime": created,
            "aaGuid": "90a3ccdf-635c-4729-a248-9b709135078f",
            "model": "Microsoft Authenticator - iOS",
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
