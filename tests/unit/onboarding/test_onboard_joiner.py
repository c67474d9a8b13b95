"""The onboarding use case against in-memory fakes: the decision flow and its ledger trail."""

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.config import Settings
from shared.domain.directory import DirectoryUser, Manager, TapPolicy
from shared.domain.errors import PermanentError
from shared.domain.joiner import JoinerEvent
from shared.domain.record import JoinerRecord, Status
from shared.usecases.onboard_joiner import Deps, onboard_joiner
from tests.fakes import FakeClock, FakeDirectory, FakeLedger, FakeMailer, FakeQueue

GROUP = "5b2c4f8e-0000-4000-8000-000000000001"
SETTINGS = Settings.from_env(
    {
        "ACS_ENDPOINT": "https://acs.example",
        "MAIL_SENDER": "noreply@contoso.example",
        "ADMIN_EMAILS": "admins@contoso.example",
        "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "PASSWORDLESS_GROUP_IDS": GROUP,
        "PREHIRE_LEAD_DAYS": "2",
    }
)
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
POLICY = TapPolicy(True, 60, 480, 60, 8, True, False, (GROUP,), ())


def user(employee_id: str = "E1", **kw: object) -> DirectoryUser:
    values: dict[str, object] = {
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
    return DirectoryUser(**values)  # type: ignore[arg-type]


class World:
    def __init__(self) -> None:
        self.clock = FakeClock(NOW)
        self.ledger = FakeLedger()
        self.directory = FakeDirectory(policy=POLICY)
        self.mailer = FakeMailer()
        self.queue = FakeQueue()
        self.deps = Deps(SETTINGS, self.ledger, self.directory, self.mailer, self.queue, self.clock)

    def joiner(
        self,
        employee_id: str = "E1",
        hire: date = date(2026, 11, 28),
        present: bool = True,
        manager: bool = True,
    ) -> str:
        event = JoinerEvent(
            f"evt-{employee_id}",
            NOW,
            employee_id,
            hire,
            display_name="Ada Lovelace",
            time_zone="Europe/Berlin",
        )
        record = JoinerRecord.accept(event, NOW)
        asyncio.run(self.ledger.create(record))
        if present:
            u = user(employee_id)
            self.directory.users[employee_id] = u
            if manager:
                self.directory.managers[u.id] = Manager(
                    "m1", "Grace Hopper", "grace@contoso.example", "de"
                )
        return record.tracking_id

    def run(self, tracking_id: str) -> tuple[Status, str | None]:
        outcome = asyncio.run(onboard_joiner(tracking_id, self.deps))
        return outcome.status, outcome.reason

    def record(self, tracking_id: str) -> JoinerRecord:
        return self.ledger.records[tracking_id]


def test_start_today_joiner_is_added_to_the_group_and_the_manager_gets_the_tap() -> None:
    w = World()
    tid = w.joiner()
    assert w.run(tid) == (Status.DELIVERED, None)
    assert "id-E1" in w.directory.groups[GROUP]
    [(email, _op)] = w.mailer.sent
    assert email.to == ("grace@contoso.example",)
    _, tap = w.directory.taps[0]
    assert tap.passcode in email.text and tap.passcode not in email.subject
    rec = w.record(tid)
    assert [s.step for s in rec.steps] == [
        "accepted",
        "resolve_user",
        "guardrails",
        "groups",
        "tap",
        "delivery",
    ]
    assert rec.tap_id == tap.id and rec.delivered_to_masked == "g***e@contoso.example"
    assert tap.start is not None and tap.lifetime_minutes == 480


def test_a_delivered_joiner_is_never_given_a_second_tap() -> None:
    w = World()
    tid = w.joiner()
    w.run(tid)
    assert w.run(tid) == (Status.DELIVERED, None)
    assert len(w.directory.taps) == 1 and len(w.mailer.sent) == 1


def test_prehire_waits_in_hops_until_the_lead_time_then_gets_a_tap_starting_on_the_hire_day() -> (
    None
):
    w = World()
    tid = w.joiner(hire=date(2026, 12, 20))
    status, _ = w.run(tid)
    assert status is Status.WAITING_FOR_HIRE_DATE
    [(_, payload, delay)] = w.queue.messages
    assert payload == {"trackingId": tid} and delay == int(
        (timedelta(days=7) - timedelta(minutes=1)).total_seconds()
    )
    w.clock.current = datetime(2026, 12, 18, 6, 0, tzinfo=UTC)
    assert w.run(tid)[0] is Status.DELIVERED
    _, tap = w.directory.taps[0]
    assert tap.start == datetime(2026, 12, 20, 6, 0, tzinfo=UTC)  # 07:00 in Berlin


def test_unprovisioned_user_is_retried_with_growing_delays_then_onboarded_when_it_appears() -> None:
    w = World()
    tid = w.joiner(present=False)
    assert w.run(tid)[0] is Status.WAITING_FOR_ACCOUNT
    assert w.run(tid)[0] is Status.WAITING_FOR_ACCOUNT
    assert [d for _, _, d in w.queue.messages] == [60, 120]
    w.directory.users["E1"] = user("E1")
    w.directory.managers["id-E1"] = Manager("m1", "Grace", "grace@contoso.example", None)
    assert w.run(tid)[0] is Status.DELIVERED


def test_unprovisioned_user_fails_after_the_deadline_and_admins_are_alerted() -> None:
    w = World()
    tid = w.joiner(present=False)
    w.clock.advance(hours=SETTINGS.provisioning_deadline_hours + 1)
    assert w.run(tid) == (Status.FAILED, "user_not_provisioned")
    [(alert, _)] = w.mailer.sent
    assert alert.kind == "alert" and alert.to == SETTINGS.admin_emails


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda w: w.directory.admins.add("id-E1"), "admin_role"),
        (
            lambda w: w.directory.methods.__setitem__(
                "id-E1", ["#microsoft.graph.fido2AuthenticationMethod"]
            ),
            "already_enrolled",
        ),
        (
            lambda w: w.directory.users.__setitem__("E1", user("E1", user_type="Guest")),
            "guest_account",
        ),
    ],
)
def test_guardrail_refusals_are_final_and_issue_nothing(setup: object, reason: str) -> None:
    w = World()
    tid = w.joiner()
    setup(w)  # type: ignore[operator]
    assert w.run(tid) == (Status.REFUSED, reason)
    assert w.directory.taps == [] and w.mailer.sent == [] and w.directory.groups == {}
    assert w.run(tid) == (Status.REFUSED, reason)


def test_no_manager_mail_uses_the_fallback_address_or_fails_without_one() -> None:
    w = World()
    tid = w.joiner(manager=False)
    assert w.run(tid) == (Status.FAILED, "no_delivery_address")
    w2 = World()
    w2.deps = replace(
        w2.deps, settings=replace(SETTINGS, fallback_delivery_email="it@contoso.example")
    )
    tid2 = w2.joiner(manager=False)
    assert w2.run(tid2)[0] is Status.DELIVERED
    assert w2.mailer.sent[0][0].to == ("it@contoso.example",)


def test_flood_cap_pauses_issuance_and_alerts_once_per_hour() -> None:
    w = World()
    w.deps = replace(w.deps, settings=replace(SETTINGS, tap_max_per_hour=1))
    first, second, third = (w.joiner(e) for e in ("E1", "E2", "E3"))
    assert w.run(first)[0] is Status.DELIVERED
    assert w.run(second)[0] is Status.PAUSED
    assert w.run(third)[0] is Status.PAUSED
    alerts = [e for e, _ in w.mailer.sent if e.kind == "alert"]
    assert len(alerts) == 1
    w.clock.advance(hours=1)
    assert w.run(second)[0] is Status.DELIVERED


def test_crash_after_the_email_was_accepted_resumes_as_delivered_without_a_new_tap() -> None:
    w = World()
    tid = w.joiner()
    w.run(tid)
    rec = w.record(tid)
    # GIVEN the ledger still says "sending" (the worker died before recording the delivery)
    w.ledger.records[tid] = replace(rec, status=Status.SENDING, delivered_at=None)
    assert w.run(tid)[0] is Status.DELIVERED
    assert len(w.directory.taps) == 1 and len(w.mailer.sent) == 1


def test_crash_before_the_email_issues_a_fresh_tap_and_delivers_it_once() -> None:
    w = World()
    tid = w.joiner()
    w.run(tid)
    rec = w.record(tid)
    w.mailer.sent.clear()  # ACS never accepted that operation
    w.ledger.records[tid] = replace(rec, status=Status.SENDING, delivered_at=None)
    assert w.run(tid)[0] is Status.DELIVERED
    assert len(w.directory.taps) == 2 and len(w.mailer.sent) == 1
    assert w.record(tid).tap_id == w.directory.taps[1][1].id


def test_a_tap_policy_error_from_graph_fails_the_joiner_with_its_reason() -> None:
    w = World()
    tid = w.joiner()
    w.directory.fail_create_tap = PermanentError("tap_policy_disallows", "policy off")
    assert w.run(tid) == (Status.FAILED, "tap_policy_disallows")


def test_a_dynamic_passwordless_group_fails_the_joiner_before_any_tap() -> None:
    w = World()
    tid = w.joiner()
    w.directory.dynamic_groups.add(GROUP)
    assert w.run(tid) == (Status.FAILED, "group_is_dynamic")
    assert w.directory.taps == [] and w.directory.groups == {}
    assert [e.kind for e, _ in w.mailer.sent] == ["alert"]
