"""Ports: what the use cases need from the outside world, one Protocol per consumer.

Adapters in shared/adapters implement them (GraphDirectory implements every directory port);
tests/fakes.py implements them in memory, and mypy checks both against these. All ports are
async; adapters over sync SDKs hop to a thread so one slow call does not hold up the other
invocations sharing the worker's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.domain.campaign_state import CampaignContact, CampaignState, CampaignUser, OptOut
from shared.domain.commands import OnboardJoiner, SendCampaignEmail, SendReminder
from shared.domain.directory import DirectoryUser, GroupInfo, IssuedTap, Manager, TapPolicy
from shared.domain.email import OutgoingEmail
from shared.domain.email_budget import MailPriority
from shared.domain.passwordless import SignInMethod
from shared.domain.privilege import Privilege
from shared.domain.record import JoinerRecord
from shared.domain.registration import RegistrationRow
from shared.domain.registration_activity import RegistrationEvent

# --- The directory, split by who asks -----------------------------------------------------


class UserLookup(Protocol):
    async def find_user(self, employee_id: str, upn: str | None) -> DirectoryUser | None: ...
    async def find_user_by_upn(self, upn: str) -> DirectoryUser | None: ...


class TapPolicyReader(Protocol):
    """The tenant's TAP policy: the one reader onboarding, re-issue and the dry run share."""

    async def tap_policy(self) -> TapPolicy: ...


class OnboardingDirectory(TapPolicyReader, Protocol):
    async def delete_tap(self, user_id: str, tap_id: str) -> bool: ...

    async def find_user(self, employee_id: str, upn: str | None) -> DirectoryUser | None: ...
    async def get_manager(self, user_id: str) -> Manager | None: ...
    async def privilege(self, user_id: str) -> Privilege:
        """Everything that makes the account privileged (shared.domain.privilege), every page
        of every collection read; raises (TransientError / PermanentError) when any read fails,
        never answers "not privileged" on a partial read."""
        ...

    def forget(self, user_id: str) -> None:
        """Drop what was read about the user, so that the next reads are fresh."""
        ...

    async def method_types(self, user_id: str) -> list[str]: ...
    async def group_info(self, group_id: str) -> GroupInfo: ...
    async def direct_group_ids(self, user_id: str) -> list[str]: ...
    async def group_ids_of(self, user_id: str, candidates: list[str]) -> list[str]: ...
    async def add_to_groups(self, user_ids: list[str], group_id: str) -> dict[str, str]: ...
    async def create_tap(
        self, user_id: str, start: datetime | None, lifetime: int, one_time: bool
    ) -> IssuedTap: ...


class SignInMethodReader(Protocol):
    """A user's methods read live (never cached): the stage decision is made on them."""

    async def sign_in_methods(self, user_id: str) -> tuple[SignInMethod, ...]: ...
    async def phone_sign_in_devices(self, user_id: str) -> dict[str, bool]:
        """Authenticator method id -> whether its `device` is registered for phone sign-in."""
        ...


class TapRemover(Protocol):
    async def delete_tap(self, user_id: str, tap_id: str) -> bool:
        """Delete one TAP by id; False when it was already gone."""
        ...


class MethodRemover(Protocol):
    async def delete_method(self, user_id: str, method: SignInMethod) -> bool:
        """Delete one registered sign-in method by its kind and id (never the password);
        False when it was already gone."""
        ...


class GroupRemover(Protocol):
    async def remove_from_group(self, group_id: str, user_id: str) -> bool:
        """Remove one member; False when they were not a member (any more)."""
        ...


class ReminderDirectory(SignInMethodReader, TapRemover, Protocol):
    async def find_user(self, employee_id: str, upn: str | None) -> DirectoryUser | None: ...
    async def get_manager(self, user_id: str) -> Manager | None: ...


class RegistrationActivity(Protocol):
    """The audit log's method registrations (successes and failures) since an instant."""

    async def registration_events(self, since: datetime) -> list[RegistrationEvent]: ...


class RegistrationReport(Protocol):
    """userRegistrationDetails, page by page, as small typed rows."""

    def registration_pages(self) -> AsyncIterator[list[RegistrationRow]]:
        """Raises PermanentError(REPORT_UNLICENSED) when the tenant has no licence for it."""
        ...

    def member_registration_pages(
        self, group_ids: Sequence[str]
    ) -> AsyncIterator[list[RegistrationRow]]:
        """The same rows for the groups' members, read user by user (no report needed)."""
        ...


# --- State ----------------------------------------------------------------------------------


class LedgerReader(Protocol):
    async def get(self, tracking_id: str) -> JoinerRecord | None: ...


@dataclass(frozen=True)
class WebhookDelivery:
    """A claimed webhook id (`Ledger.claim_delivery`): what it was claimed for and, once the
    request was acted on, the answer that was given (None: still pending)."""

    digest: str | None  # the request's digest; None: a plain `claim_once` marker (older claims)
    taken_at: datetime  # when it was claimed, or last taken over after a stalled attempt
    answer: str | None = None  # opaque to the ledger (the use case's own JSON)
    etag: str | None = None


class Ledger(LedgerReader, Protocol):
    async def create(self, record: JoinerRecord) -> tuple[JoinerRecord, bool]: ...
    async def save(self, record: JoinerRecord) -> JoinerRecord:
        """Raises ConflictError when the record changed since it was read (stale ETag)."""
        ...

    async def find_by_upn(self, upn: str) -> JoinerRecord | None: ...
    async def person_records(self, employee_id: str) -> list[JoinerRecord]:
        """Every record of one person (their employee id): a handful, for ordering events."""
        ...

    def all(self) -> AsyncIterator[JoinerRecord]: ...
    async def take_tap_slot(self, hour_key: str, cap: int) -> bool: ...
    async def tap_slots_used(self, hour_key: str) -> int: ...
    async def claim_once(self, key: str, now: datetime) -> bool: ...
    async def claim_delivery(
        self, key: str, digest: str, now: datetime
    ) -> tuple[WebhookDelivery, bool]:
        """Claim *key* for the request *digest*, pending, if nobody has (atomic insert-if-absent):
        (the new claim, True); else (the claim as stored, False). Claims are pruned as
        `claim_once` markers are, and share their keys."""
        ...

    async def retake_delivery(
        self, key: str, claim: WebhookDelivery, now: datetime
    ) -> WebhookDelivery:
        """Take over a pending claim whose attempt stalled (its `taken_at` becomes *now*).

        Raises ConflictError when the claim changed since it was read (taken over or answered)."""
        ...

    async def finish_delivery(
        self, key: str, claim: WebhookDelivery, answer: str, now: datetime
    ) -> WebhookDelivery:
        """Store the answer of a claim that was acted on; later claims of *key* return it.

        Raises ConflictError when the claim changed since it was read (taken over or answered)."""
        ...

    async def prune(self, claims_before: datetime, tap_hours_before: str) -> int:
        """Delete claims made before the instant and flood-cap counters of earlier hours."""
        ...


class BlobStore(Protocol):
    async def put(self, path: str, data: bytes, content_type: str) -> None: ...
    async def get(self, path: str) -> bytes | None: ...
    async def list(self, prefix: str) -> list[str]: ...
    async def delete(self, path: str) -> None: ...


# --- Messages out ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailSlot:
    """A send reserved within the email rate limit, before the work that leads to the send."""

    reserved_at: float


class Mailer(Protocol):
    async def reserve(self, priority: MailPriority = MailPriority.JOINER_REMINDER) -> EmailSlot:
        """Reserve one send now within the email budget all instances share, as mail of
        `priority` (TAP deliveries first, joiner mail next, the campaign last: see
        shared/domain/email_budget). Raises TransientError(retry_after=...) when none is free."""
        ...

    async def send(
        self, email: OutgoingEmail, operation_id: str, slot: EmailSlot | None = None
    ) -> str:
        """Send (taking a slot unless `slot` was reserved for it); returns the operation id.

        A send without a slot is joiner mail; mail of another class reserves its slot first."""
        ...

    async def was_sent(self, operation_id: str) -> bool | None: ...


class OnboardingQueue(Protocol):
    async def send(self, command: OnboardJoiner, delay_seconds: int = 0) -> None: ...


class ReminderQueue(Protocol):
    async def send(self, command: SendReminder, delay_seconds: int = 0) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


# --- The registration campaign ------------------------------------------------------------


class CampaignStore(Protocol):
    """The campaign's state, its contact records, opt-outs, step claims and hourly sends."""

    async def state(self) -> CampaignState: ...
    async def save_state(self, state: CampaignState) -> CampaignState:
        """Raises ConflictError when the state changed since it was read (stale ETag)."""
        ...

    async def contact(self, user_id: str) -> CampaignContact | None: ...
    async def create_contact(self, contact: CampaignContact) -> tuple[CampaignContact, bool]:
        """Insert if absent: (the new record, True); else (the record as stored, False)."""
        ...

    async def save_contact(self, contact: CampaignContact) -> CampaignContact:
        """Raises ConflictError when the record changed since it was read (stale ETag)."""
        ...

    def contacts(self) -> AsyncIterator[CampaignContact]: ...
    async def opt_out(self, opt_out: OptOut) -> bool:
        """Record an opt-out; False when the user was already opted out."""
        ...

    async def opted_out(self) -> dict[str, OptOut]: ...
    async def claim(self, key: str, now: datetime) -> bool:
        """Insert-if-absent marker: True for the first caller of `key` only."""
        ...

    async def take_send_slot(self, hour_key: str, cap: int) -> bool:
        """Count one campaign email in the hour, shared by every instance; False when the
        hour already holds `cap`."""
        ...

    async def prune(self, claims_before: datetime, hours_before: str) -> int:
        """Delete claims made before `claims_before` and hourly send counters of hours that
        sort before `hours_before`; the number deleted."""
        ...

    async def save_summary(self, summary: dict[str, object]) -> None:
        """The scope figures of the last report read (the funnel's first rows)."""
        ...

    async def summary(self) -> dict[str, object] | None: ...


class GroupMembers(Protocol):
    async def member_ids(self, group_id: str) -> frozenset[str]:
        """The group's user members, nested groups followed; raises when a page fails (a
        partial read of an exclude group would write to someone it excludes)."""
        ...


class CampaignDirectory(SignInMethodReader, Protocol):
    async def campaign_user(self, user_id: str) -> CampaignUser | None: ...
    async def get_manager(self, user_id: str) -> Manager | None: ...


class CampaignQueue(Protocol):
    async def send(self, command: SendCampaignEmail, delay_seconds: int = 0) -> None: ...
