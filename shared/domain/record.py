"""The ledger's record of one joiner: where onboarding stands, step by step.

It holds ids and times, never a TAP value. Addresses are kept masked except the personal email
(needed to send reminders), which stays in the ledger only.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.domain.joiner import JoinerEvent
from shared.domain.passwordless import Stage


def tracking_id_for(event_id: str, key: bytes) -> str:
    """The tracking id of an event: HMAC-SHA256 of its event id under the server's key, shaped
    as a UUID (version 8, RFC 9562's custom version).

    Derived, so the same event delivered again maps to the same record without a lookup; keyed,
    so nobody without the key can compute another joiner's id from an event id they know or
    guess (SCIM event ids are `scim:<employeeId>:<hireDate>`)."""
    digest = hmac.new(key, event_id.encode("utf-8"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:16], "big")
    value = (value & ~(0xF000 << 64)) | (0x8 << 76)  # version 8
    value = (value & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


class Status(StrEnum):
    ACCEPTED = "accepted"
    WAITING_FOR_ACCOUNT = "waiting_for_account"
    WAITING_FOR_HIRE_DATE = "waiting_for_hire_date"
    PAUSED = "paused"  # flood cap reached; resumes when the hour rolls over
    TAP_ISSUED = "tap_issued"  # created, not yet delivered
    SENDING = "sending"  # delivery email handed to ACS, outcome not yet recorded
    DELIVERED = "delivered"
    ENROLLED = "enrolled"
    REFUSED = "refused"
    FAILED = "failed"
    CANCELLING = "cancelling"  # HR withdrew the offer; the worker is taking things back
    CANCELLED = "cancelled"  # withdrawn: pass deleted, groups Tapstart added removed, told
    SUPERSEDED = "superseded"  # an event that a newer one for the same person overruled

    @property
    def final(self) -> bool:
        return self in {
            Status.DELIVERED,
            Status.ENROLLED,
            Status.REFUSED,
            Status.FAILED,
            Status.CANCELLED,
            Status.SUPERSEDED,
        }


@dataclass(frozen=True)
class StepLog:
    step: str
    at: datetime
    outcome: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "step": self.step,
            "at": self.at.isoformat(),
            "outcome": self.outcome,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> StepLog:
        return cls(
            data["step"],
            datetime.fromisoformat(data["at"]),
            data["outcome"],
            data.get("detail", ""),
        )


@dataclass(frozen=True)
class ReminderLog:
    slot: int
    at: datetime
    outcome: str  # sent | skipped_enrolled | failed | final_notice
    recipient_masked: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "at": self.at.isoformat(),
            "outcome": self.outcome,
            "recipient_masked": self.recipient_masked,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReminderLog:
        return cls(
            int(data["slot"]),
            datetime.fromisoformat(data["at"]),
            data["outcome"],
            data.get("recipient_masked", ""),
            data.get("detail", ""),
        )


@dataclass(frozen=True)
class JoinerRecord:
    tracking_id: str
    event_id: str
    employee_id: str
    hire_date: date
    accepted_at: datetime
    status: Status = Status.ACCEPTED
    upn: str | None = None
    given_name: str | None = None
    display_name: str | None = None
    time_zone: str | None = None
    language: str | None = None
    personal_email: str | None = None
    source: str = "canonical"
    # The HR event's own time and kind: they order a person's events (a late older one loses).
    occurred_at: datetime | None = None
    kind: str = "hire"  # hire | cancel
    user_id: str | None = None
    reason: str | None = None
    reason_detail: str | None = None
    tap_id: str | None = None
    tap_start: datetime | None = None
    tap_lifetime_minutes: int | None = None
    tap_one_time: bool | None = None
    delivery_operation_id: str | None = None
    delivered_to_masked: str | None = None
    delivered_at: datetime | None = None
    enrolled_at: datetime | None = None
    # The way to passwordless, each stage when first seen (shared.domain.passwordless).
    tap_used_at: datetime | None = None
    authenticator_at: datetime | None = None
    target_method: str | None = None
    tap_retired_at: datetime | None = None
    # The passwordless groups Tapstart itself added the person to (not those they were already
    # in): what a cancelled onboarding may take back, and nothing more.
    groups_added: tuple[str, ...] = ()
    # One person, one onboarding: a newer event for the person carries this onboarding on
    # (`moved_from` on the new record, `superseded_by` on the old); `start_moved` says the
    # delivery must tell the manager that the previous pass no longer works.
    moved_from: str | None = None
    superseded_by: str | None = None
    start_moved: bool = False
    # A rehire override (`tapstart onboard --rehire`): who, why, and whether the account's stale
    # methods go before the pass. Only the CLI sets these; no HR event can.
    rehire_by: str | None = None
    rehire_reason: str | None = None
    rehire_remove_methods: bool = False
    updated_at: datetime | None = None
    steps: tuple[StepLog, ...] = ()
    reminders: tuple[ReminderLog, ...] = ()
    etag: str | None = field(default=None, compare=False)

    @classmethod
    def accept(cls, event: JoinerEvent, now: datetime, tracking_id: str) -> JoinerRecord:
        """*tracking_id*: `tracking_id_for(event.event_id, key)`, or the id the event was
        recorded under before (a record kept from an earlier key)."""
        return cls(
            tracking_id=tracking_id,
            event_id=event.event_id,
            employee_id=event.employee_id,
            hire_date=event.hire_date,
            accepted_at=now,
            upn=event.upn,
            given_name=event.given_name,
            display_name=event.display_name,
            time_zone=event.time_zone,
            language=event.preferred_language,
            personal_email=event.personal_email,
            source=event.source,
            occurred_at=event.occurred_at,
            kind=event.kind,
            updated_at=now,
            steps=(StepLog("accepted", now, "ok", event.source),),
        )

    def with_step(
        self, step: str, now: datetime, outcome: str = "ok", detail: str = "", **changes: Any
    ) -> JoinerRecord:
        return replace(
            self,
            steps=(*self.steps, StepLog(step, now, outcome, detail)),
            updated_at=now,
            **changes,
        )

    def with_reminder(self, log: ReminderLog) -> JoinerRecord:
        return replace(self, reminders=(*self.reminders, log), updated_at=log.at)

    @property
    def stage(self) -> Stage | None:
        """The furthest stage recorded; None before the pass was delivered."""
        if self.enrolled_at is not None or self.status is Status.ENROLLED:
            return Stage.TARGET
        if self.authenticator_at is not None:
            return Stage.AUTHENTICATOR
        if self.tap_used_at is not None:
            return Stage.TAP_USED
        if self.delivered_at is not None or self.status is Status.DELIVERED:
            return Stage.DELIVERED
        return None

    def seen_at(
        self,
        stage: Stage,
        at: datetime,
        target: str | None = None,
        stage_times: Mapping[Stage, datetime] | None = None,
    ) -> JoinerRecord:
        """Record that the joiner reached `stage` (and the stages it implies) by `at`.

        `stage_times` may say when a stage really happened (a method's creation time); no time
        is later than `at`. Only the first sighting of each stage is kept; reaching the target
        makes the joiner `enrolled`.
        """
        times = stage_times or {}
        # A stage happened no later than the stages after it (Authenticator implies the pass
        # was used by then), and none later than `at`.
        when: dict[Stage, datetime] = {}
        later = at
        for s in (Stage.TARGET, Stage.AUTHENTICATOR, Stage.TAP_USED):
            later = min(times.get(s, later), later)
            when[s] = later

        changes: dict[str, Any] = {}
        if stage.rank >= Stage.TAP_USED.rank and self.tap_used_at is None:
            changes["tap_used_at"] = when[Stage.TAP_USED]
        if stage.rank >= Stage.AUTHENTICATOR.rank and self.authenticator_at is None:
            changes["authenticator_at"] = when[Stage.AUTHENTICATOR]
        if stage is Stage.TARGET and self.enrolled_at is None:
            changes.update(
                status=Status.ENROLLED, enrolled_at=when[Stage.TARGET], target_method=target
            )
        return replace(self, **changes) if changes else self

    def reminder_for_slot(self, slot: int) -> ReminderLog | None:
        return next((r for r in self.reminders if r.slot == slot and r.outcome != "failed"), None)
