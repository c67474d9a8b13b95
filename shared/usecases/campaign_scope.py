"""The campaign's view of the registration report: who is eligible, on which path, and who of
those already written to has reached a target since.

`CampaignScope()` reads what the rows are judged against (the include and exclude groups'
members, the opt-outs, the contact records, the joiners Tapstart is onboarding); the returned
`CampaignTally` then takes the report's rows one by one as they stream (the daily run's read,
or the dry run's own) and keeps only what the plan needs: a candidate per eligible user and a
count per reason for the others. A group that cannot be read fails the whole scope: a partial
exclude group would write to an account it excludes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from shared.domain.campaign import (
    CampaignPath,
    Candidate,
    Membership,
    NotEligible,
    eligibility,
)
from shared.domain.campaign_state import CampaignContact, OptOut
from shared.domain.graph_time import parse_graph_time
from shared.domain.policies import CampaignPolicy
from shared.domain.record import Status
from shared.domain.registration import RegistrationRow
from shared.ports import CampaignStore, GroupMembers, Ledger

# Joiners still on their way (onboarding, or chased by the joiner reminders) are the joiner
# flow's: the campaign leaves them alone.
_JOINER_STATUSES = frozenset(
    {
        Status.ACCEPTED,
        Status.WAITING_FOR_ACCOUNT,
        Status.WAITING_FOR_HIRE_DATE,
        Status.PAUSED,
        Status.TAP_ISSUED,
        Status.SENDING,
        Status.DELIVERED,
    }
)


@dataclass
class CampaignTally:
    policy: CampaignPolicy
    membership: Membership
    opted_out: dict[str, OptOut]
    joiners: frozenset[str]
    contacts: dict[str, CampaignContact]
    candidates: list[Candidate] = field(default_factory=list)
    not_eligible: Counter[NotEligible] = field(default_factory=Counter)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (UPN, display name)
    # Users written to whose row now shows a target: (user id, when the row changed).
    converted: list[tuple[str, datetime | None]] = field(default_factory=list)
    rows: int = 0

    def add_page(self, rows: Iterable[RegistrationRow]) -> None:
        for row in rows:
            self.add(row)

    def add(self, row: RegistrationRow) -> None:
        self.rows += 1
        contact = self.contacts.get(row.id)
        opted_out = row.id in self.opted_out or (
            contact is not None and contact.opted_out_at is not None
        )
        found = eligibility(
            row,
            self.policy.targets,
            self.membership,
            opted_out=opted_out,
            joiner=row.id in self.joiners,
        )
        if (
            found.reason is NotEligible.TARGET_REACHED
            and contact is not None
            and contact.contacted
            and contact.converted_at is None
        ):
            self.converted.append((row.id, parse_graph_time(row.last_updated)))
        if found.reason is not None:
            self.not_eligible[found.reason] += 1
            return
        assert found.path is not None  # an eligible user has a path
        if contact is not None and (
            contact.stopped or contact.sent_steps >= self.policy.cadence.slot_count
        ):
            self.not_eligible[NotEligible.FINISHED] += 1
            return
        self.candidates.append(_candidate(row.id, found.path, contact))
        self.names[row.id] = (row.user_principal_name, row.display_name)

    def eligible(self) -> dict[CampaignPath, int]:
        counts: dict[CampaignPath, int] = {}
        for c in self.candidates:
            counts[c.path] = counts.get(c.path, 0) + 1
        return counts


def _candidate(user_id: str, path: CampaignPath, contact: CampaignContact | None) -> Candidate:
    if contact is None or contact.first_contact_at is None:
        return Candidate(user_id, path)
    # Once written to, the user stays on the path of their first email (the figures' path).
    return Candidate(user_id, contact.path, contact.first_contact_at.date(), contact.sent_steps)


class CampaignScope:
    def __init__(
        self,
        *,
        policy: CampaignPolicy,
        members: GroupMembers,
        store: CampaignStore,
        ledger: Ledger,
    ) -> None:
        self._policy = policy
        self._members = members
        self._store = store
        self._ledger = ledger

    async def __call__(self) -> CampaignTally:
        included: frozenset[str] | None = None
        if self._policy.include_group_ids:
            included = await self._union(self._policy.include_group_ids)
        excluded = await self._union(self._policy.exclude_group_ids)
        joiners = frozenset(
            [
                r.user_id
                async for r in self._ledger.all()
                if r.user_id and r.status in _JOINER_STATUSES
            ]
        )
        return CampaignTally(
            policy=self._policy,
            membership=Membership(included, excluded),
            opted_out=await self._store.opted_out(),
            joiners=joiners,
            contacts={c.user_id: c async for c in self._store.contacts()},
        )

    async def _union(self, group_ids: Iterable[str]) -> frozenset[str]:
        members: set[str] = set()
        for group_id in group_ids:
            members |= await self._members.member_ids(group_id)
        return frozenset(members)
