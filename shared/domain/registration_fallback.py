"""A registration row built from one user's authentication methods, for tenants whose
registration report Graph will not give out (no Entra ID P1/P2: `userRegistrationDetails`
answers 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`).

The daily run then reads the passwordless groups' members one by one instead of failing every
day. The row carries the report's own `methodsRegistered` names, so the figures, stages and CSV
treat it like a report row; what only the report knows (admin roles, SSPR registration) stays
None ("not known"), which the figures never count as true.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.passwordless import AUTHENTICATOR_AAGUIDS, MethodKind, SignInMethod
from shared.domain.registration import RegistrationRow

# The reason a registration report read fails when the tenant has no licence for it.
REPORT_UNLICENSED = "report_unlicensed"

# What makes a user MFA-capable in the report: any second factor (not the password, the TAP or
# an email, which is SSPR-only).
_MFA_KINDS = frozenset(
    {
        MethodKind.AUTHENTICATOR,
        MethodKind.FIDO2,
        MethodKind.WINDOWS_HELLO,
        MethodKind.PHONE,
        MethodKind.OATH,
    }
)


def report_names(method: SignInMethod) -> tuple[str, ...]:
    """The report's `methodsRegistered` names for one method (none for password, TAP, other)."""
    kind = method.kind
    if kind is MethodKind.AUTHENTICATOR:
        if method.phone_sign_in:
            return ("microsoftAuthenticatorPasswordless", "microsoftAuthenticatorPush")
        return ("microsoftAuthenticatorPush",)
    if kind is MethodKind.FIDO2:
        if method.aaguid in AUTHENTICATOR_AAGUIDS:
            return ("passKeyDeviceBoundAuthenticator",)
        return ("passKeyDeviceBound",)
    names = {
        MethodKind.WINDOWS_HELLO: "windowsHelloForBusiness",
        MethodKind.PHONE: "mobilePhone",
        MethodKind.EMAIL: "email",
        MethodKind.OATH: "softwareOneTimePasscode",
    }
    return (names[kind],) if kind in names else ()


def row_from_methods(
    user_id: str,
    user_principal_name: str,
    display_name: str,
    user_type: str,
    methods: Iterable[SignInMethod],
) -> RegistrationRow:
    listed = tuple(methods)
    names = tuple(sorted({n for m in listed for n in report_names(m)}))
    mfa = any(m.kind in _MFA_KINDS for m in listed)
    passwordless = any(
        (m.kind is MethodKind.AUTHENTICATOR and m.phone_sign_in)
        or m.kind in (MethodKind.FIDO2, MethodKind.WINDOWS_HELLO)
        for m in listed
    )
    return RegistrationRow(
        id=user_id,
        user_principal_name=user_principal_name,
        display_name=display_name,
        user_type=user_type,
        is_admin=None,
        is_mfa_registered=mfa,
        is_mfa_capable=mfa,
        is_passwordless_capable=passwordless,
        is_sspr_registered=None,
        methods=names,
        last_updated=None,
    )
