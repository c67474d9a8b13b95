"""Who must never get a TAP from Tapstart. Each refusal is a stable reason code, never retried.

The codes, their labels and fixes are in `shared.domain.reasons`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.domain.directory import DirectoryUser

# Methods that already give passwordless or phishing-resistant sign-in (Authenticator of any
# kind included): a TAP would only open a second door to an established account. This is the
# refusal rule only; whether a *joiner* is done is `shared.domain.passwordless` (target methods).
# What a rehire override waives: the account is known to be old, and may have methods.
REHIRE_WAIVES = frozenset({"already_enrolled", "account_too_old"})

STRONG_METHOD_TYPES = frozenset(
    {
        "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
        "#microsoft.graph.fido2AuthenticationMethod",
        "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
        "#microsoft.graph.platformCredentialAuthenticationMethod",
        "#microsoft.graph.passkeyAuthenticationMethod",
    }
)


def refusal_reason(
    user: DirectoryUser,
    *,
    is_admin: bool,
    method_types: list[str],
    now: datetime,
    max_account_age_days: int,
    rehire: bool = False,
) -> str | None:
    """The first guardrail the user trips, or None when a TAP may be issued.

    `rehire`: an admin's explicit, audited override for a returning employee waives the two
    rules about an *established* account (`REHIRE_WAIVES`); privilege, guests and disabled
    accounts are never waived.
    """
    if is_admin:
        return "admin_role"
    if user.user_type.lower() == "guest" or user.external:
        return "guest_account"
    if not user.account_enabled:
        return "account_disabled"
    if rehire:
        return None
    if STRONG_METHOD_TYPES.intersection(method_types):
        return "already_enrolled"
    if user.created and now - user.created > timedelta(days=max_account_age_days):
        return "account_too_old"
    return None
