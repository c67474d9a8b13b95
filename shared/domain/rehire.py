"""A rehire or converted contractor: an existing account onboarded on an admin's explicit word.

The guardrails refuse established accounts (`already_enrolled`, `account_too_old`) because the HR
feed alone must never be able to open a second door into one. A returning employee is such an
account, so only an admin's override (`tapstart onboard --rehire --reason …`, recorded with who
and why) waives those two rules — never the privilege, guest or disabled ones. The methods left
from the earlier employment are listed; only a second explicit flag removes them before the pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain.passwordless import MethodKind, SignInMethod

# Graph cannot delete a password, and an unknown kind has no collection to delete it from.
_KEPT = frozenset({MethodKind.PASSWORD, MethodKind.OTHER})
MAX_REASON = 300
# The granular Graph application permission that deletes each kind. None is granted by default:
# an admin who wants `--remove-stale-methods` grants those the tenant's rehires need.
REMOVAL_PERMISSIONS = {
    MethodKind.AUTHENTICATOR: "UserAuthMethod-MicrosoftAuthApp.ReadWrite.All",
    MethodKind.FIDO2: "UserAuthMethod-Passkey.ReadWrite.All",
    MethodKind.WINDOWS_HELLO: "UserAuthMethod-WindowsHello.ReadWrite.All",
    MethodKind.PHONE: "UserAuthMethod-Phone.ReadWrite.All",
    MethodKind.EMAIL: "UserAuthMethod-Email.ReadWrite.All",
    MethodKind.OATH: "UserAuthMethod-SoftwareOATH.ReadWrite.All",
    MethodKind.TAP: "UserAuthMethod-TAP.ReadWrite.All",
}


def stale_methods(methods: Sequence[SignInMethod]) -> tuple[SignInMethod, ...]:
    """The methods an earlier employment left that can be removed (all but the password)."""
    return tuple(m for m in methods if m.kind not in _KEPT)


def describe(methods: Sequence[SignInMethod]) -> str:
    """One line for the audit trail: kind, id and registration date of each method."""
    if not methods:
        return "none"
    return ", ".join(
        f"{m.kind.value} {m.id}" + (f" (since {m.created.date().isoformat()})" if m.created else "")
        for m in methods
    )


def check_reason(reason: str | None) -> str:
    """The override's reason, required and plain: it goes into the audit trail and an email."""
    text = " ".join((reason or "").split())
    if not text:
        raise ValueError("--rehire needs --reason: say why this account may be onboarded again")
    if len(text) > MAX_REASON:
        raise ValueError(f"--reason is longer than {MAX_REASON} characters")
    return text
