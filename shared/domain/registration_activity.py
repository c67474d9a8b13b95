"""Registrations of sign-in methods, as the directory audit log records them (the guide's
"Activity" view): what was registered or attempted in the last day, and why attempts failed.

Entra logs them under `loggedByService` "Authentication Methods", with the method named in
`additionalDetails` ("Method") or only in the `resultReason` text; a failure's `resultReason`
often names a Conditional Access block.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.graph_time import parse_graph_time

AUDIT_SERVICE = "Authentication Methods"

# Words in a method name or reason → the method, most specific first.
_METHOD_WORDS: tuple[tuple[str, str], ...] = (
    ("passwordless", "Authenticator phone sign-in"),
    ("phone sign-in", "Authenticator phone sign-in"),
    ("passkey", "Passkey"),
    ("fido", "Passkey"),
    ("windows hello", "Windows Hello for Business"),
    ("authenticator", "Microsoft Authenticator"),
    ("temporary access pass", "Temporary Access Pass"),
    ("sms", "Phone"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("oath", "OATH code"),
    ("password", "Password"),
)


@dataclass(frozen=True)
class RegistrationEvent:
    at: datetime
    method: str
    succeeded: bool
    reason: str  # resultReason; for failures the cause


def _method_of(entry: Mapping[str, Any]) -> str:
    details = entry.get("additionalDetails") or []
    named = next(
        (
            str(d.get("value") or "")
            for d in details
            if isinstance(d, Mapping) and str(d.get("key", "")).lower() == "method"
        ),
        "",
    )
    for text in (named, str(entry.get("resultReason") or "")):
        lowered = text.lower()
        for word, method in _METHOD_WORDS:
            if word in lowered:
                return method
    return named or "other"


def event_from_json(entry: Mapping[str, Any]) -> RegistrationEvent | None:
    """A registration (or failed attempt) from one directoryAudit; None for anything else."""
    activity = str(entry.get("activityDisplayName") or "").lower()
    if "registered security info" not in activity and "register" not in activity:
        return None
    at = parse_graph_time(entry.get("activityDateTime") or None)
    if at is None:
        return None
    return RegistrationEvent(
        at=at,
        method=_method_of(entry),
        succeeded=str(entry.get("result") or "").lower() == "success",
        reason=str(entry.get("resultReason") or ""),
    )
