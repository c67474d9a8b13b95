"""One `userRegistrationDetails` row of the registration report, parsed from Graph's raw JSON.

The report reads every user of the tenant, so rows come from `json.loads` dicts, never SDK models
(graph-api.md §8), and parsing stays a handful of dict look-ups per row. Values are kept as Graph
sent them where that matters downstream: a flag that is missing, null or not a JSON boolean stays
`None` (the CSV writes it as an empty cell, and only `True` counts in the figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

# The raw JSON properties the report reads; the Graph read sends exactly these as `$select`.
REGISTRATION_SELECT: tuple[str, ...] = (
    "id",
    "userPrincipalName",
    "userDisplayName",
    "userType",
    "isAdmin",
    "isMfaRegistered",
    "isMfaCapable",
    "isPasswordlessCapable",
    "isSsprRegistered",
    "methodsRegistered",
    "lastUpdatedDateTime",
)


class RegistrationRow(NamedTuple):
    id: str
    user_principal_name: str
    display_name: str
    user_type: str
    is_admin: bool | None
    is_mfa_registered: bool | None
    is_mfa_capable: bool | None
    is_passwordless_capable: bool | None
    is_sspr_registered: bool | None
    # `methodsRegistered`, cleaned: sorted, each name once, only non-empty strings.
    methods: tuple[str, ...]
    last_updated: str | None


def _text(value: Any) -> str:
    # As the CSV has always written a raw value: null as "", a JSON boolean as true/false.
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _flag(value: Any) -> bool | None:
    return value if value is True or value is False else None


def _methods(value: Any) -> tuple[str, ...]:
    # Graph may send null; duplicates count once; anything but a list of names is "no methods".
    if not value or not isinstance(value, list):
        return ()
    return tuple(sorted({m for m in value if isinstance(m, str) and m}))


def row_from_json(data: Mapping[str, Any]) -> RegistrationRow:
    get = data.get
    last_updated = get("lastUpdatedDateTime")
    return RegistrationRow(
        id=_text(get("id")),
        user_principal_name=_text(get("userPrincipalName")),
        display_name=_text(get("userDisplayName")),
        user_type=_text(get("userType")),
        is_admin=_flag(get("isAdmin")),
        is_mfa_registered=_flag(get("isMfaRegistered")),
        is_mfa_capable=_flag(get("isMfaCapable")),
        is_passwordless_capable=_flag(get("isPasswordlessCapable")),
        is_sspr_registered=_flag(get("isSsprRegistered")),
        methods=_methods(get("methodsRegistered")),
        last_updated=None if last_updated is None else _text(last_updated),
    )
