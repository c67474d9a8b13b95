"""Who must never get a TAP from Tapstart. Each refusal is a stable reason code, never retried.

The codes, their labels and fixes are in `shared.domain.reasons`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.domain.directory import DirectoryUser
from shared.domain.privilege import Privilege, privilege_reason

# What a rehire override waives: the account is known to be old, used, and may have methods.
REHIRE_WAIVES = frozenset({"already_enrolled", "account_too_old", "account_used"})

# Any registered MFA method (Authenticator of any kind, passkeys, Windows Hello, a phone, an
# OATH token) means someone already signs in to this account: a TAP would only open a second
# door to it. This is the refusal rule only; whether a *joiner* is done is
# `shared.domain.passwordless` (target methods). Email is SSPR-only, not a sign-in method.
STRONG_METHOD_TYPES = frozenset(
    {
        "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
        "#microsoft.graph.fido2AuthenticationMethod",
        "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
        "#microsoft.graph.platformCredentialAuthenticationMethod",
        "#microsoft.graph.passkeyAuthenticationMethod",
        "#microsoft.graph.phoneAuthenticationMethod",
        "#microsoft.graph.softwareOathAuthenticationMethod",
        "#microsoft.graph.hardwareOathAuthenticationMethod",
    }
)


def refusal_reason(
    user: DirectoryUser,
    *,
    privilege: Privilege,
    method_types: list[str],
    now: datetime,
    max_account_age_days: int,
    rehire: bool = False,
    employee_id: str | None = None,
    own_pass_since: datetime | None = None,
) -> str | None:
    """The first guardrail the user trips, or None when a TAP may be issued.

    `employee_id`: the one the HR event named; an account carrying another one is someone
    else's (found by UPN). `own_pass_since`: when Tapstart's own earlier pass for this
    onboarding became valid — sign-ins from then on are the joiner's, any before mean the
    account was already in use. `rehire`: an admin's explicit, audited override for a
    returning employee waives the rules about an *established* account (`REHIRE_WAIVES`);
    privilege, guests, disabled accounts and someone else's account are never waived.
    """
    if (privileged := privilege_reason(privilege)) is not None:
        return privileged
    if user.user_type.lower() == "guest" or user.external:
        return "guest_account"
    if not user.account_enabled:
        return "account_disabled"
    if employee_id and user.employee_id and user.employee_id.casefold() != employee_id.casefold():
        return "employee_id_mismatch"
    if rehire:
        return None
    if STRONG_METHOD_TYPES.intersection(method_types):
        return "already_enrolled"
    if user.created and now - user.created > timedelta(days=max_account_age_days):
        return "account_too_old"
    used = user.last_sign_in
    if used is not None and (own_pass_since is None or used < own_pass_since):
        return "account_used"
    return None
