"""In-memory fakes of the ports, for unit tests of use cases (functional tests use the emulators)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from shared.config import Settings
from shared.doctor.fetched import Fetched, ReadFailure
from shared.doctor.service_checks import AcsObservation
from shared.domain.commands import OnboardJoiner, SendCampaignEmail, SendReminder
from shared.domain.directory import DirectoryUser
from shared.domain.email import OutgoingEmail
from shared.domain.email_budget import MailPriority
from shared.domain.errors import ConflictError, PermanentError, TransientError
from shared.domain.passwordless import SignInMethod
from shared.domain.record import JoinerRecord, tracking_id_for
from shared.domain.registration import RegistrationRow
from shared.domain.registration_activity import RegistrationEvent
from shared.domain.registration_fallback import REPORT_UNLICENSED
from shared.ports import EmailSlot, WebhookDelivery
from shared.services import Services, build_services
from tests.campaign_fakes import FakeCampaignDirectory, FakeCampaignStore

# The TRACKING_ID_KEY of the test settings (local.settings.example.json and the env dicts).
TEST_TRACKING_KEY = b"local-tracking-key-not-for-production-use"


def tracking_id_of(event_id: str) -> str:
    """The tracking id the test settings' key gives an event."""
    return tracking_id_for(event_id, TEST_TRACKING_KEY)


def accepted_record(event: Any, now: datetime) -> JoinerRecord:
    """`JoinerRecord.accept` under the test settings' tracking-id key."""
    return JoinerRecord.accept(event, now, tracking_id_of(event.event_id))


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
    deliveries: dict[str, WebhookDelivery] = field(default_factory=dict)  # claim key -> claim
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

    async def person_records(self, employee_id: str) -> list[JoinerRecord]:
        return [r for r in self.records.values() if r.employee_id == employee_id]

    async def all(self) -> AsyncIterator[JoinerRecord]:
        for record in list(self.records.values()):
            yield record

    async def take_tap_slot(self, hour_key: str, cap: int) -> bool:
        used = self.tap_slots.get(hour_key, 0)
        if used >= cap:
            return False
        self.tap_slots[hour_key] = used + 1
        return True

    async def tap_slots_used(self, hour_key: str) -> int:
        return self.tap_slots.get(hour_key, 0)

    async def claim_once(self, key: str, now: datetime) -> bool:
        if key in self.claims:
            return False
        self.claims.add(key)
        self.claimed_at[key] = now
        return True

    async def claim_delivery(
        self, key: str, digest: str, now: datetime
    ) -> tuple[WebhookDelivery, bool]:
        if key in self.deliveries:
            return self.deliveries[key], False
        if key in self.claims:  # a claim_once marker under the same key, as in the table
            return WebhookDelivery(None, self.claimed_at[key]), False
        self.claims.add(key)
        self.claimed_at[key] = now
        return self._store_delivery(key, WebhookDelivery(digest, now)), True

    async def retake_delivery(
        self, key: str, claim: WebhookDelivery, now: datetime
    ) -> WebhookDelivery:
        self._check_delivery(key, claim)
        return self._store_delivery(key, replace(claim, taken_at=now))

    async def finish_delivery(
        self, key: str, claim: WebhookDelivery, answer: str, now: datetime
    ) -> WebhookDelivery:
        self._check_delivery(key, claim)
        return self._store_delivery(key, replace(claim, answer=answer))

    def _check_delivery(self, key: str, claim: WebhookDelivery) -> None:
        stored = self.deliveries.get(key)
        if stored is None or stored.etag != claim.etag:
            raise ConflictError(f"the claim {key} changed since it was read")

    def _store_delivery(self, key: str, claim: WebhookDelivery) -> WebhookDelivery:
        self.version += 1
        self.deliveries[key] = stored = replace(claim, etag=str(self.version))
        return stored

    async def prune(self, claims_before: datetime, tap_hours_before: str) -> int:
        old_claims = [k for k, at in self.claimed_at.items() if at < claims_before]
        old_hours = [h for h in self.tap_slots if h < tap_hours_before]
        for key in old_claims:
            self.claims.discard(key)
            self.deliveries.pop(key, None)
            del self.claimed_at[key]
        for hour in old_hours:
            del self.tap_slots[hour]
        return len(old_claims) + len(old_hours)


@dataclass
class FakeQueue:
    """Every queue's messages in one list, as (queue name, wire payload, delay)."""

    messages: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)
    fail_with: Exception | None = None

    async def enqueue(self, queue: str, payload: Mapping[str, Any], delay_seconds: int = 0) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.messages.append((queue, dict(payload), delay_seconds))

    def named(self, name: str) -> FakeCommandQueue:
        """The typed port for one queue (OnboardingQueue, ReminderQueue) writing into this list."""
        return FakeCommandQueue(self, name)

    def on(self, queue: str) -> list[dict[str, Any]]:
        return [p for q, p, _ in self.messages if q == queue]

    def delays(self, queue: str) -> list[int]:
        return [d for q, _, d in self.messages if q == queue]


@dataclass
class FakeCommandQueue:
    queues: FakeQueue
    name: str

    async def send(
        self, command: OnboardJoiner | SendReminder | SendCampaignEmail, delay_seconds: int = 0
    ) -> None:
        # Through the wire format, so a test sees what a worker would parse.
        await self.queues.enqueue(self.name, json.loads(command.to_json()), delay_seconds)


@dataclass
class FakeMailer:
    """Records sends. `slots`: how many sends the rate limit allows (None = unlimited); past
    them `reserve` raises TransientError(retry_after=...) as RateLimitedMailer does."""

    sent: list[tuple[OutgoingEmail, str]] = field(default_factory=list)
    slots: int | None = None
    retry_after: float = 42.0
    reserved: int = 0
    fail_send: list[Exception] = field(default_factory=list)  # raised by the next sends, in order
    priorities: list[MailPriority] = field(default_factory=list)  # of each reservation taken

    async def reserve(self, priority: MailPriority = MailPriority.JOINER_REMINDER) -> EmailSlot:
        if self.slots is not None and self.reserved >= self.slots:
            raise TransientError("email_rate_limited", retry_after=self.retry_after)
        self.reserved += 1
        self.priorities.append(priority)
        return EmailSlot(float(self.reserved))

    async def send(
        self, email: OutgoingEmail, operation_id: str, slot: EmailSlot | None = None
    ) -> str:
        if slot is None:
            await self.reserve()
        if self.fail_send:
            raise self.fail_send.pop(0)
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

    registration: list[list[RegistrationRow]] = field(default_factory=list)
    # A tenant without Entra ID P1/P2: the report answers 403; the members' rows are read instead.
    report_unlicensed: bool = False
    member_registration: list[list[RegistrationRow]] = field(default_factory=list)
    member_reads: list[tuple[str, ...]] = field(default_factory=list)
    # The live methods read (user id -> methods); absent: the `methods` types plus the TAPs
    # created here, usable unless `tap_reasons` names the TAP's methodUsabilityReason.
    sign_in: dict[str, list[SignInMethod]] = field(default_factory=dict)
    tap_reasons: dict[str, str] = field(default_factory=dict)  # tap id -> reason
    # TAPs already in the tenant when a test starts (`taps` holds those created through here).
    existing_taps: list[tuple[str, Any]] = field(default_factory=list)
    devices: dict[str, dict[str, bool]] = field(default_factory=dict)  # user -> method -> flag
    device_reads: list[str] = field(default_factory=list)
    deleted_taps: list[tuple[str, str]] = field(default_factory=list)
    deleted_methods: list[tuple[str, str]] = field(default_factory=list)  # (user, method id)
    # What makes a user privileged beyond `admins` (user id -> Privilege); a failing read.
    privileges: dict[str, Any] = field(default_factory=dict)
    fail_privilege: Exception | None = None
    privilege_reads: list[str] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    # method id -> how many more deletes Graph refuses (400), as for a default method
    refuse_delete: dict[str, int] = field(default_factory=dict)
    audit: list[RegistrationEvent] = field(default_factory=list)
    audit_since: list[datetime] = field(default_factory=list)
    # Set by `Fakes`: TAPs then expire, and start, as that clock says.
    clock: Any = None

    def _tap_reason(self, tap: Any) -> str:
        if tap.id in self.tap_reasons:
            return self.tap_reasons[tap.id]
        if self.clock is None:
            return "EnabledByPolicy"
        now = self.clock.now()
        if now < tap.start:
            return "NotYetValid"
        if now > tap.start + timedelta(minutes=tap.lifetime_minutes):
            return "Expired"
        return "EnabledByPolicy"

    async def sign_in_methods(self, user_id: str) -> tuple[SignInMethod, ...]:
        from shared.domain.passwordless import method_from_json

        if user_id in self.sign_in:
            listed = list(self.sign_in[user_id])
        else:
            types = self.methods.get(user_id, ["#microsoft.graph.passwordAuthenticationMethod"])
            listed = [
                method_from_json({"@odata.type": t, "id": f"m{i}"}) for i, t in enumerate(types)
            ]
        gone = {t for u, t in self.deleted_taps if u == user_id}
        for owner, tap in [*self.existing_taps, *self.taps]:
            if owner == user_id and tap.id not in gone:
                reason = self._tap_reason(tap)
                listed.append(
                    method_from_json(
                        {
                            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
                            "id": tap.id,
                            "isUsable": reason == "EnabledByPolicy",
                            "methodUsabilityReason": reason,
                        }
                    )
                )
        removed = {m for u, m in self.deleted_methods if u == user_id}
        return tuple(
            m
            for m in listed
            if not (m.kind.value == "tap" and m.id in gone) and m.id not in removed
        )

    async def delete_method(self, user_id: str, method: SignInMethod) -> bool:
        if method.kind.value in {"password", "other"}:
            raise ValueError(f"a {method.kind.value} method cannot be deleted")
        if self.refuse_delete.get(method.id, 0) > 0:
            from shared.domain.errors import PermanentError

            self.refuse_delete[method.id] -= 1
            raise PermanentError("graph_error", "delete sign-in method: 400 badRequest")
        if method.kind.value == "tap":
            return await self.delete_tap(user_id, method.id)
        present = any(m.id == method.id for m in await self.sign_in_methods(user_id))
        if present:
            self.deleted_methods.append((user_id, method.id))
        return present

    async def phone_sign_in_devices(self, user_id: str) -> dict[str, bool]:
        self.device_reads.append(user_id)
        return dict(self.devices.get(user_id, {}))

    async def remove_from_group(self, group_id: str, user_id: str) -> bool:
        members = self.groups.get(group_id, set())
        present = user_id in members
        members.discard(user_id)
        return present

    async def delete_tap(self, user_id: str, tap_id: str) -> bool:
        present = any(m.id == tap_id for m in await self.sign_in_methods(user_id))
        if present:
            self.deleted_taps.append((user_id, tap_id))
        return present

    async def registration_events(self, since: datetime) -> list[RegistrationEvent]:
        self.audit_since.append(since)
        return list(self.audit)

    async def find_user(self, employee_id: str, upn: str | None) -> DirectoryUser | None:
        found = self.users.get(employee_id)
        if found is None and upn:
            return await self.find_user_by_upn(upn)
        return cast("DirectoryUser | None", found)

    async def find_user_by_upn(self, upn: str) -> DirectoryUser | None:
        return next(
            (u for u in self.users.values() if u.user_principal_name.lower() == upn.lower()),
            None,
        )

    async def get_manager(self, user_id: str) -> Any:
        return self.managers.get(user_id)

    async def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    async def privilege(self, user_id: str) -> Any:
        from shared.domain.privilege import Privilege

        self.privilege_reads.append(user_id)
        if self.fail_privilege is not None:
            raise self.fail_privilege
        found = self.privileges.get(user_id, Privilege())
        if user_id in self.admins:
            found = replace(found, active_roles=("62e90394-69f5-4237-9190-012177145e10",))
        return found

    def forget(self, user_id: str) -> None:
        self.forgotten.append(user_id)

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
            start or (self.clock.now() if self.clock is not None else datetime.now(UTC)),
            lifetime,
            one_time,
        )
        self.taps.append((user_id, tap))
        return tap

    async def group_info(self, group_id: str) -> Any:
        from shared.domain.directory import GroupInfo

        return GroupInfo(group_id, group_id, group_id in self.dynamic_groups, False, True)

    async def registration_pages(self) -> AsyncIterator[list[RegistrationRow]]:
        if self.report_unlicensed:
            raise PermanentError(REPORT_UNLICENSED, "registration report: no licence")
        for page in self.registration:
            yield page

    async def member_registration_pages(
        self, group_ids: Sequence[str]
    ) -> AsyncIterator[list[RegistrationRow]]:
        self.member_reads.append(tuple(group_ids))
        for page in self.member_registration:
            yield page


@dataclass
class FakeTenant:
    """The doctor's TenantReader: `answers` by Graph path; anything else is a 404 finding."""

    answers: dict[str, Fetched] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)

    async def read_json(self, path: str) -> Fetched:
        self.reads.append(path)
        return self.answers.get(path.split("?")[0], ReadFailure(404, "NotFound", path))


@dataclass
class FakeProbes:
    """The doctor's ServiceProbes, all healthy unless a test says otherwise."""

    roles: list[str] | ReadFailure = field(default_factory=list)
    storage_outcomes: dict[str, ReadFailure | None] = field(default_factory=dict)
    observation: AcsObservation | None = None

    async def token_roles(self) -> list[str] | ReadFailure:
        return self.roles

    async def storage(self) -> dict[str, ReadFailure | None]:
        return self.storage_outcomes

    async def acs(self, send_test: bool) -> AcsObservation:
        return self.observation or AcsObservation(
            "http://acs.invalid", "no-reply@example.com", None
        )


@dataclass
class Fakes:
    """One of each fake, and the services built on them through the real composition root."""

    clock: FakeClock = field(default_factory=FakeClock)
    ledger: FakeLedger = field(default_factory=FakeLedger)
    queue: FakeQueue = field(default_factory=FakeQueue)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    blobs: FakeBlobStore = field(default_factory=FakeBlobStore)
    directory: FakeDirectory = field(default_factory=FakeDirectory)
    tenant: FakeTenant = field(default_factory=FakeTenant)
    probes: FakeProbes = field(default_factory=FakeProbes)
    campaign: FakeCampaignStore = field(default_factory=FakeCampaignStore)
    campaign_reads: FakeCampaignDirectory = field(default_factory=FakeCampaignDirectory)

    def __post_init__(self) -> None:
        if self.directory.clock is None:
            self.directory.clock = self.clock
        if self.campaign_reads.directory is None:
            self.campaign_reads.directory = self.directory

    def services(self, settings: Settings) -> Services:
        return build_services(
            settings,
            directory=self.directory,
            ledger=self.ledger,
            mailer=self.mailer,
            blobs=self.blobs,
            onboarding_queue=self.queue.named(settings.onboarding_queue),
            reminder_queue=self.queue.named(settings.reminder_queue),
            tenant=self.tenant,
            probes=self.probes,
            clock=self.clock,
            campaign_store=self.campaign,
            campaign_directory=self.campaign_reads,
            campaign_queue=self.queue.named(settings.campaign_queue),
        )
