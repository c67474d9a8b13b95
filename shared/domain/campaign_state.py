"""What the campaign keeps: whether it runs, and one contact record per user it wrote to.

Plain values; the Table storage adapter (shared/adapters/table_campaign.py) stores them with
their ETags, and every write of a record is ETag-checked as the ledger's are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from shared.domain.campaign import CampaignPath


class CampaignStatus(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"


@dataclass(frozen=True)
class CampaignState:
    status: CampaignStatus = CampaignStatus.NOT_STARTED
    started_on: date | None = None  # day 0: wave n is first contacted on day n - 1
    changed_at: datetime | None = None
    changed_by: str = ""
    etag: str | None = None

    @property
    def running(self) -> bool:
        return self.status is CampaignStatus.RUNNING

    def wave_on(self, day: date) -> int:
        """The wave a first contact on `day` belongs to (1 on the start day)."""
        start = self.started_on or day
        return max((day - start).days, 0) + 1


@dataclass(frozen=True)
class CampaignContact:
    """One user the campaign planned to write to, and what came of it."""

    user_id: str
    upn: str
    path: CampaignPath  # the path when first planned (the email follows the live one)
    wave: int
    display_name: str = ""
    first_contact_at: datetime | None = None  # the first email that went out
    last_contact_at: datetime | None = None
    sent_steps: int = 0  # emails that went out (the cadence's steps)
    converted_at: datetime | None = None  # a target seen registered (live or in the report)
    bounced: bool = False  # the mail service refused the address
    opted_out_at: datetime | None = None  # an admin excluded them (they asked to stop)
    opted_out_by: str = ""
    detail: str = ""
    etag: str | None = None

    @property
    def contacted(self) -> bool:
        return self.first_contact_at is not None

    @property
    def stopped(self) -> bool:
        """No more campaign mail: converted, opted out or bounced."""
        return self.converted_at is not None or self.opted_out_at is not None or self.bounced

    def sent(self, step: int, at: datetime, path: CampaignPath) -> CampaignContact:
        return replace(
            self,
            sent_steps=max(self.sent_steps, step),
            first_contact_at=self.first_contact_at or at,
            last_contact_at=at,
            path=self.path if self.contacted else path,
        )

    def converted(self, at: datetime) -> CampaignContact:
        return self if self.converted_at is not None else replace(self, converted_at=at)

    def opted_out(self, at: datetime, by: str) -> CampaignContact:
        if self.opted_out_at is not None:
            return self
        return replace(self, opted_out_at=at, opted_out_by=by)


_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def is_object_id(value: str) -> bool:
    """An Entra object id (a GUID): what names a user the campaign keeps a record of."""
    return bool(_OBJECT_ID.match(value))


def step_key(user_id: str, step: int) -> str:
    """Idempotency key of one campaign email (insert-if-absent claim): one email per step."""
    return f"campaign:{user_id}:{step}"


def enqueue_key(user_id: str, step: int, day: date) -> str:
    """Claim of one day's enqueue of a step: a retried daily run does not queue it twice; a
    step left unsent (the campaign was paused) is queued again the next day, and the send's
    own claim keeps it to one email."""
    return f"campaign-enqueued:{user_id}:{step}:{day.isoformat()}"


@dataclass(frozen=True)
class OptOut:
    """A user an admin excluded from the campaign (they asked to stop): never written to again."""

    user_id: str
    at: datetime
    by: str
    upn: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CampaignUser:
    """What the send step reads of a user just before it writes to them."""

    id: str
    user_principal_name: str
    display_name: str | None
    given_name: str | None
    mail: str | None
    preferred_language: str | None
    usage_location: str | None
    account_enabled: bool
    user_type: str  # Member | Guest
