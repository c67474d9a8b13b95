"""Ports: what the use cases need from the outside world. Adapters in shared/adapters implement them.

All ports are async; adapters over sync SDKs hop to a thread so one slow call does not hold up
the other invocations sharing the worker's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.domain.email import OutgoingEmail
from shared.domain.record import JoinerRecord


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


@dataclass(frozen=True)
class Manager:
    id: str
    display_name: str | None
    mail: str | None
    preferred_language: str | None


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


class Directory(Protocol):
    async def find_user(self, employee_id: str, upn: str | None) -> DirectoryUser | None: ...
    async def get_manager(self, user_id: str) -> Manager | None: ...
    async def is_admin(self, user_id: str) -> bool: ...
    async def method_types(self, user_id: str) -> list[str]: ...
    async def add_to_groups(self, user_ids: list[str], group_id: str) -> dict[str, str]: ...
    async def tap_policy(self) -> TapPolicy: ...
    async def direct_group_ids(self, user_id: str) -> list[str]: ...
    async def group_ids_of(self, user_id: str, candidates: list[str]) -> list[str]: ...
    async def create_tap(
        self, user_id: str, start: datetime | None, lifetime: int, one_time: bool
    ) -> IssuedTap: ...
    async def group_info(self, group_id: str) -> GroupInfo: ...
    def registration_pages(self, select: list[str]) -> AsyncIterator[list[dict[str, Any]]]: ...


class Ledger(Protocol):
    async def get(self, tracking_id: str) -> JoinerRecord | None: ...
    async def create(self, record: JoinerRecord) -> tuple[JoinerRecord, bool]: ...
    async def save(self, record: JoinerRecord) -> JoinerRecord: ...
    async def find_by_upn(self, upn: str) -> JoinerRecord | None: ...
    def all(self) -> AsyncIterator[JoinerRecord]: ...
    async def take_tap_slot(self, hour_key: str, cap: int) -> bool: ...
    async def claim_once(self, key: str, now: datetime) -> bool: ...
    async def prune(self, claims_before: datetime, tap_hours_before: str) -> int:
        """Delete claims made before the instant and flood-cap counters of earlier hours."""
        ...


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail, operation_id: str) -> str: ...
    async def was_sent(self, operation_id: str) -> bool | None: ...


class JobQueue(Protocol):
    async def enqueue(
        self, queue: str, payload: Mapping[str, Any], delay_seconds: int = 0
    ) -> None: ...


class BlobStore(Protocol):
    async def put(self, path: str, data: bytes, content_type: str) -> None: ...
    async def get(self, path: str) -> bytes | None: ...
    async def list(self, prefix: str) -> list[str]: ...
    async def delete(self, path: str) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
