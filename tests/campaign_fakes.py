"""In-memory fakes of the campaign's ports (the store, group members, the campaign directory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from shared.domain.campaign_state import CampaignContact, CampaignState, CampaignUser, OptOut
from shared.domain.directory import Manager
from shared.domain.errors import ConflictError, TransientError
from shared.domain.passwordless import SignInMethod
from shared.domain.tap_cap import shard_allowances


@dataclass
class FakeCampaignStore:
    state_: CampaignState = field(default_factory=CampaignState)
    contacts_: dict[str, CampaignContact] = field(default_factory=dict)
    opt_outs: dict[str, OptOut] = field(default_factory=dict)
    claims: set[str] = field(default_factory=set)
    claimed_at: dict[str, datetime] = field(default_factory=dict)
    sends: dict[str, int] = field(default_factory=dict)  # hour key -> emails counted
    summary_: dict[str, object] | None = None
    version: int = 0

    def _etag(self) -> str:
        self.version += 1
        return str(self.version)

    async def state(self) -> CampaignState:
        return self.state_

    async def save_state(self, state: CampaignState) -> CampaignState:
        if state.etag != self.state_.etag:
            raise ConflictError("the campaign state was changed by another worker")
        self.state_ = replace(state, etag=self._etag())
        return self.state_

    async def contact(self, user_id: str) -> CampaignContact | None:
        return self.contacts_.get(user_id)

    async def create_contact(self, contact: CampaignContact) -> tuple[CampaignContact, bool]:
        if contact.user_id in self.contacts_:
            return self.contacts_[contact.user_id], False
        stored = self.contacts_[contact.user_id] = replace(contact, etag=self._etag())
        return stored, True

    async def save_contact(self, contact: CampaignContact) -> CampaignContact:
        current = self.contacts_.get(contact.user_id)
        if (current.etag if current else None) != contact.etag:
            raise ConflictError(f"campaign contact {contact.user_id} was changed")
        stored = self.contacts_[contact.user_id] = replace(contact, etag=self._etag())
        return stored

    async def contacts(self) -> AsyncIterator[CampaignContact]:
        for contact in list(self.contacts_.values()):
            yield contact

    async def opt_out(self, opt_out: OptOut) -> bool:
        if opt_out.user_id in self.opt_outs:
            return False
        self.opt_outs[opt_out.user_id] = opt_out
        return True

    async def opted_out(self) -> dict[str, OptOut]:
        return dict(self.opt_outs)

    async def claim(self, key: str, now: datetime) -> bool:
        if key in self.claims:
            return False
        self.claims.add(key)
        self.claimed_at[key] = now
        return True

    async def prune(self, claims_before: datetime, hours_before: str) -> int:
        old = [k for k in self.claims if self.claimed_at.get(k, claims_before) < claims_before]
        hours = [h for h in self.sends if h < hours_before]
        for key in old:
            self.claims.discard(key)
        for hour in hours:
            del self.sends[hour]
        return len(old) + len(hours)

    async def take_send_slot(self, hour_key: str, cap: int) -> bool:
        if self.sends.get(hour_key, 0) >= sum(shard_allowances(cap)):
            return False
        self.sends[hour_key] = self.sends.get(hour_key, 0) + 1
        return True

    async def save_summary(self, summary: dict[str, object]) -> None:
        self.summary_ = summary

    async def summary(self) -> dict[str, object] | None:
        return self.summary_


@dataclass
class FakeCampaignDirectory:
    """The campaign's directory reads: its own users and groups; the sign-in methods and the
    manager come from the joiners' fake directory, so a test sets a user's methods once."""

    directory: Any = None  # tests.fakes.FakeDirectory
    users: dict[str, CampaignUser] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    fail: set[str] = field(default_factory=set)
    reads: list[str] = field(default_factory=list)
    user_reads: list[str] = field(default_factory=list)

    async def member_ids(self, group_id: str) -> frozenset[str]:
        self.reads.append(group_id)
        if group_id in self.fail:
            raise TransientError("group members: 503")
        return frozenset(self.groups.get(group_id, set()))

    async def campaign_user(self, user_id: str) -> CampaignUser | None:
        self.user_reads.append(user_id)
        return self.users.get(user_id)

    async def sign_in_methods(self, user_id: str) -> tuple[SignInMethod, ...]:
        methods: tuple[SignInMethod, ...] = await self.directory.sign_in_methods(user_id)
        return methods

    async def phone_sign_in_devices(self, user_id: str) -> dict[str, bool]:
        devices: dict[str, bool] = await self.directory.phone_sign_in_devices(user_id)
        return devices

    async def get_manager(self, user_id: str) -> Manager | None:
        manager: Manager | None = await self.directory.get_manager(user_id)
        return manager


def campaign_user(
    uid: str,
    *,
    mail: str | None = "",
    language: str | None = None,
    location: str | None = None,
    enabled: bool = True,
    user_type: str = "Member",
) -> CampaignUser:
    return CampaignUser(
        id=uid,
        user_principal_name=f"{uid}@contoso.example",
        display_name=uid.title(),
        given_name=uid.title(),
        mail=f"{uid}@contoso.example" if mail == "" else mail,
        preferred_language=language,
        usage_location=location,
        account_enabled=enabled,
        user_type=user_type,
    )
