"""One joiner's world for the onboarding tests: the real use cases (shared.services) on fakes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.config import Settings
from shared.domain.commands import OnboardJoiner
from shared.domain.directory import DirectoryUser, Manager, TapPolicy
from shared.domain.joiner import JoinerEvent
from shared.domain.record import JoinerRecord, Status
from shared.usecases.onboard_joiner import Outcome
from tests.fakes import FakeClock, FakeDirectory, FakeMailer, Fakes, accepted_record

GROUP = "5b2c4f8e-0000-4000-8000-000000000001"
SETTINGS = Settings.from_env(
    {
        "ACS_ENDPOINT": "https://acs.example",
        "MAIL_SENDER": "noreply@contoso.example",
        "ADMIN_EMAILS": "admins@contoso.example",
        "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
        "PASSWORDLESS_GROUP_IDS": GROUP,
        "PREHIRE_LEAD_DAYS": "2",
    }
)
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)
# enabled, lifetimes 60..480 (default 60), length 8, one-time, targets the passwordless group
POLICY = TapPolicy(True, 60, 480, 60, 8, True, False, (GROUP,), ())
MANAGER = Manager("m1", "Grace Hopper", "grace@contoso.example", "de")


def user(employee_id: str = "E1", **kw: Any) -> DirectoryUser:
    values: dict[str, Any] = {
        "id": f"id-{employee_id}",
        "user_principal_name": f"{employee_id.lower()}@contoso.example",
        "employee_id": employee_id,
        "display_name": "Ada Lovelace",
        "given_name": "Ada",
        "account_enabled": True,
        "user_type": "Member",
        "created": NOW - timedelta(days=1),
        "mail": None,
        "other_mails": (),
        "preferred_language": "en",
    }
    values.update(kw)
    return DirectoryUser(**values)


def joiner_record(employee_id: str = "E1", hire: date = TODAY) -> JoinerRecord:
    event = JoinerEvent(
        f"evt-{employee_id}",
        NOW,
        employee_id,
        hire,
        display_name="Ada Lovelace",
        time_zone="Europe/Berlin",
    )
    return accepted_record(event, NOW)


class World:
    """The fakes and the services built on them by the composition root."""

    def __init__(self, settings: Settings = SETTINGS, mailer: FakeMailer | None = None) -> None:
        self.settings = settings
        self.fakes = Fakes(
            clock=FakeClock(NOW),
            directory=FakeDirectory(policy=POLICY),
            mailer=mailer or FakeMailer(),
        )
        self.services = self.fakes.services(settings)
        self.clock = self.fakes.clock
        self.ledger = self.fakes.ledger
        self.directory = self.fakes.directory
        self.mailer = self.fakes.mailer
        self.queue = self.fakes.queue

    def add_user(self, employee_id: str = "E1", manager: bool = True) -> DirectoryUser:
        u = user(employee_id)
        self.directory.users[employee_id] = u
        if manager:
            self.directory.managers[u.id] = MANAGER
        return u

    def joiner(
        self,
        employee_id: str = "E1",
        hire: date = TODAY,
        present: bool = True,
        manager: bool = True,
    ) -> str:
        """Record a joiner in the ledger (as the HR intake does); its account when `present`."""
        record = joiner_record(employee_id, hire)
        asyncio.run(self.ledger.create(record))
        if present:
            self.add_user(employee_id, manager)
        return record.tracking_id

    def outcome(self, tracking_id: str) -> Outcome:
        return asyncio.run(self.services.onboard_joiner(OnboardJoiner(tracking_id)))

    def run(self, tracking_id: str) -> tuple[Status, str | None]:
        outcome = self.outcome(tracking_id)
        return outcome.status, outcome.reason

    def record(self, tracking_id: str) -> JoinerRecord:
        return self.ledger.records[tracking_id]

    def onboarding_messages(self) -> list[dict[str, Any]]:
        return self.queue.on(self.settings.onboarding_queue)

    def email_kinds(self) -> list[str]:
        return [email.kind for email, _ in self.mailer.sent]
