"""What Tapstart knows of the directory: users, managers, groups, the TAP policy, an issued TAP.

Plain values read by the Graph adapter and decided on by the domain (guardrails, TAP plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    user_principal_name: str
    employee_id: str | None
    display_name: str | None
    given_name: str | None
    account_enabled: bool
    user_type: str  # Member | Guest
    created: datetime | None
    mail: str | None
    other_mails: tuple[str, ...]
    preferred_language: str | None
    external: bool = False  # an external (B2B) guest, as Graph sees it
    # signInActivity: the last sign-in Entra recorded (interactive or not); None: never.
    last_sign_in: datetime | None = None


@dataclass(frozen=True)
class Manager:
    id: str
    display_name: str | None
    mail: str | None
    preferred_language: str | None
    # Who may receive a TAP: only an enabled member of the tenant (shared.domain.recipient).
    account_enabled: bool = True
    user_type: str = "Member"
    external: bool = False


@dataclass(frozen=True)
class TapPolicy:
    enabled: bool
    min_lifetime_minutes: int
    max_lifetime_minutes: int
    default_lifetime_minutes: int
    default_length: int
    is_usable_once: bool
    include_all_users: bool
    include_group_ids: tuple[str, ...]
    exclude_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class IssuedTap:
    """A freshly created TAP. `passcode` lives only in memory, on its way to the delivery email."""

    id: str
    passcode: str
    start: datetime
    lifetime_minutes: int
    one_time: bool

    def __repr__(self) -> str:  # never let a passcode reach a log through repr()
        return f"IssuedTap(id={self.id!r}, start={self.start.isoformat()}, lifetime={self.lifetime_minutes})"

    __str__ = __repr__


@dataclass(frozen=True)
class GroupInfo:
    id: str
    display_name: str
    dynamic: bool
    role_assignable: bool
    security_enabled: bool
