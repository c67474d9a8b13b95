"""In-memory fakes of the ports, for unit tests of use cases (functional tests use the emulators)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain.email import OutgoingEmail
from shared.domain.record import JoinerRecord


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 11, 28, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class FakeLedger:
    records: dict[str, JoinerRecord] = field(default_factory=dict)
    tap_slots: dict[str, int] = field(default_factory=dict)
    claims: set[str] = field(default_factory=set)
    claimed_at: dict[str, datetime] = field(default_factory=dict)
    version: int = 0

    async def get(self, tracking_id: str) -> JoinerRecord | None:
        return self.records.get(tracking_id)

    async def create(self, record: JoinerRecord) -> tuple[JoinerRecord, bool]:
        if record.tracking_id in self.records:
            return self.records[record.tracking_id], False
        self.version += 1
        stored = replace(record, etag=str(self.version))
        self.records[record.tracking_id] = stored
        return stored, True

    async def save(self, record: JoinerRecord) -> JoinerRecord:
        self.version += 1
        stored = replace(record, etag=str(self.version))
        self.records[record.tracking_id] = stored
        return stored

    async def find_by_upn(self, upn: str) -> JoinerRecord | None:
        return next(
            (r for r in self.records.values() if (r.upn or "").lower() == upn.lower()), None
        )

    async def all(self) -> AsyncIterator[JoinerRecord]:
        for record in list(self.records.values()):
            yield record

    async def take_tap_slot(self, hour_key: str, cap: int) -> bool:
        used = self.tap_slots.get(hour_key, 0)
        if used >= cap:
            return False
        self.tap_slots[hour_key] = used + 1
        return True

    async def claim_once(self, key: str, now: datetime) -> bool:
        if key in self.claims:
            return False
        self.claims.add(key)
        self.claimed_at[key] = now
        return True

    async def prune(self, claims_before: datetime, tap_hours_before: str) -> int:
        old_claims = [k for k, at in self.claimed_at.items() if at < claims_before]
        old_hours = [h for h in self.tap_slots if h < tap_hours_before]
        for key in old_claims:
            self.claims.discard(key)
            del self.claimed_at[key]
        for hour in old_hours:
            del self.tap_slots[hour]
        return len(old_claims) + len(old_hours)


@dataclass
class FakeQueue:
    messages: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)

    async def enqueue(self, queue: str, payload: Mapping[str, Any], delay_seconds: int = 0) -> None:
        self.messages.append((queue, dict(payload), delay_seconds))

    def on(self, queue: str) -> list[dict[str, Any]]:
        return [p for q, p, _ in self.messages if q == queue]


@dataclass
class FakeMailer:
    sent: list[tuple[OutgoingEmail, str]] = field(default_factory=list)

    async def send(self, email: OutgoingEmail, operation_id: str) -> str:
        self.sent.append((email, operation_id))
        return operation_id

    async def was_sent(self, operation_id: str) -> bool | None:
        return any(op == operation_id for _, op in self.sent)


@dataclass
class FakeBlobStore:
    blobs: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        self.blobs[path] = (data, content_type)

    async def get(self, path: str) -> bytes | None:
        item = self.blobs.get(path)
        return item[0] if item else None

    async def list(self, prefix: str) -> list[str]:
        return sorted(p for p in self.blobs if p.startswith(prefix))

    async def delete(self, path: str) -> None:
        self.blobs.pop(path, None)


@dataclass
class FakeDirectory:
    """A tiny in-memory directory for use-case unit tests (functional tests use the Graph emulator)."""

    users: dict[str, Any] = field(default_factory=dict)  # employee id -> DirectoryUser
    admins: set[str] = field(default_factory=set)
    methods: dict[str, list[str]] = field(default_factory=dict)
    managers: dict[str, Any] = field(default_factory=dict)  # user id -> Manager
    policy: Any = None
    groups: dict[str, set[str]] = field(default_factory=dict)
    taps: list[Any] = field(default_factory=list)
    fail_create_tap: Exception | None = None
    dynamic_groups: set[str] = field(default_factory=set)

    async def find_user(self, employee_id: str, upn: str | None) -> Any:
        return self.users.get(employee_id)

    async def get_manager(self, user_id: str) -> Any:
        return self.managers.get(user_id)

    async def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    async def method_types(self, user_id: str) -> list[str]:
        return self.methods.get(user_id, ["#microsoft.graph.passwordAuthenticationMethod"])

    async def add_to_groups(self, user_ids: list[str], group_id: str) -> dict[str, str]:
        members = self.groups.setdefault(group_id, set())
        result = {uid: "already_member" if uid in members else "added" for uid in user_ids}
        members.update(user_ids)
        return result

    async def tap_policy(self) -> Any:
        return self.policy

    async def direct_group_ids(self, user_id: str) -> list[str]:
        return [g for g, members in self.groups.items() if user_id in members]

    async def group_ids_of(self, user_id: str, candidates: list[str]) -> list[str]:
        return [g for g in candidates if user_id in self.groups.get(g, set())]

    async def create_tap(
        self, user_id: str, start: datetime | None, lifetime: int, one_time: bool
    ) -> Any:
        from shared.domain.directory import IssuedTap

        if self.fail_create_tap:
            raise self.fail_create_tap
        tap = IssuedTap(
            f"tap-{len(self.taps) + 1}",
            f"Pass{len(self.taps) + 1:04d}!",
            start or datetime.now(UTC),
            lifetime,
            one_time,
        )
        self.taps.append((user_id, tap))
        return tap

    async def group_info(self, group_id: str) -> Any:
        from shared.domain.directory import GroupInfo

        return GroupInfo(group_id, group_id, group_id in self.dynamic_groups, False, True)

    async def registration_pages(self, select: list[str]) -> AsyncIterator[list[dict[str, Any]]]:
        yield []
