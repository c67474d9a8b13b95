"""Use case: the campaign's dry run — who would be written to, on which path, and when.

Reads the registration report (as the daily run does), judges every row by the campaign's
scope and the contact records so far, and plans the waves (`shared.domain.campaign.plan_waves`)
within the day's capacity. Sends nothing and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from shared.domain.campaign import CampaignPath, NotEligible, WavePlan, plan_waves
from shared.domain.policies import CampaignPolicy
from shared.ports import Clock, RegistrationReport
from shared.usecases.campaign_scope import CampaignScope, CampaignTally


@dataclass(frozen=True)
class PlannedContact:
    day: date
    wave: int
    user_id: str
    upn: str
    display_name: str
    path: CampaignPath


@dataclass(frozen=True)
class CampaignPlanView:
    plan: WavePlan
    not_eligible: dict[NotEligible, int]
    names: dict[str, tuple[str, str]]
    hourly_allowance: int
    users_read: int

    def first_contacts(self, limit: int | None = None) -> Iterator[PlannedContact]:
        """The planned first contacts in the order they go out."""
        count = 0
        for wave in self.plan.waves:
            for uid in wave.user_ids:
                if limit is not None and count >= limit:
                    return
                upn, name = self.names.get(uid, ("", ""))
                yield PlannedContact(wave.day, wave.number, uid, upn, name, self.plan.paths[uid])
                count += 1

    def to_json(self, limit: int | None = 100) -> dict[str, object]:
        return {
            **self.plan.to_json(),
            "hourlyAllowance": self.hourly_allowance,
            "usersRead": self.users_read,
            "notEligible": {r.value: self.not_eligible.get(r, 0) for r in NotEligible},
            "firstContacts": [
                {
                    "day": c.day.isoformat(),
                    "wave": c.wave,
                    "userId": c.user_id,
                    "upn": c.upn,
                    "path": c.path.value,
                }
                for c in self.first_contacts(limit)
            ],
        }


def plan_from(tally: CampaignTally, policy: CampaignPolicy, start: date) -> CampaignPlanView:
    """The plan of a tallied report: one reading for the dry run and the daily run's summary."""
    plan = plan_waves(
        tally.candidates, cadence=policy.cadence, capacity=policy.daily_capacity, start=start
    )
    return CampaignPlanView(
        plan, dict(tally.not_eligible), tally.names, policy.hourly_allowance, tally.rows
    )


class CampaignPlanner:
    def __init__(
        self,
        *,
        policy: CampaignPolicy,
        scope: CampaignScope,
        report: RegistrationReport,
        clock: Clock,
    ) -> None:
        self._policy = policy
        self._scope = scope
        self._report = report
        self._clock = clock

    async def __call__(self, start: date | None = None) -> CampaignPlanView:
        tally = await self._scope()
        async for page in self._report.registration_pages():
            tally.add_page(page)
        return plan_from(tally, self._policy, start or self._clock.now().date())
