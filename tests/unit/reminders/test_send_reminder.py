"""The reminder use case against fakes: exactly once per slot, live enrolment check, delays."""

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from shared.config import Settings
from shared.domain.directory import DirectoryUser, Manager, TapPolicy
from shared.domain.errors import TransientError
from shared.domain.joiner import JoinerEvent
from shared.domain.record import JoinerRecord, Status
from shared.usecases.onboard_joiner import Deps
from shared.usecases.send_reminder import send_reminder
from tests.fakes import FakeClock, FakeDirectory, FakeLedger, FakeMailer, FakeQueue

GROUP = "5b2c4f8e-0000-4000-8000-000000000001"
SETTINGS = Settings.from_env(
    {
        "ACS_ENDPOINT": "https://acs.example",
        "MAIL_SENDER": "noreply@contoso.example",
        "ADMIN_EMAILS": "admins@contoso.example",
        "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "PASSWORDLESS_GROUP_IDS": GROUP,
        "REMINDER_DAYS": "1,3,7",
        "REMINDER_MAX_COUNT": "3",
        "REMINDER_MANAGER_CC_FROM": "2",
        "QUIET_HOURS": "20-7",
    }
)
TAP_START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # day 1 after the TAP start, 13:00 in Berlin
AUTHENTICATOR = "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"


class FlakyMailer(FakeMailer):
    def __init__(self, failures: list[Exception]) -> None:
        super().__init__()
        self.failures = failures

    async def send(self, email, operation_id):  # type: ignore[no-untyped-def]
        if self.failures:
            raise self.failures.pop(0)
        return await super().send(email, operation_id)


def world(
    personal: str | None = "ada.private@example.org",
    mailer: FakeMailer | None = None,
    settings: Settings = SETTINGS,
):
    clock, ledger, directory, queue = (
        FakeClock(NOON),
        FakeLedger(),
        FakeDirectory(policy=TapPolicy(True, 60, 480, 60, 8, True, True, (), ())),
        FakeQueue(),
    )
    mailer = mailer or FakeMailer()
    event = JoinerEvent(
        "evt-1",
        TAP_START,
        "E1",
        date(2026, 11, 20),
        display_name="Ada",
        time_zone="Europe/Berlin",
        personal_email=personal,
    )
    record = replace(
        JoinerRecord.accept(event, TAP_START),
        status=Status.DELIVERED,
        user_id="id-E1",
        tap_id="t1",
        tap_start=TAP_START,
        tap_lifetime_minutes=480,
        delivered_at=TAP_START,
    )
    asyncio.run(ledger.create(record))
    directory.users["E1"] = DirectoryUser(
        "id-E1",
        "ada@contoso.example",
        "E1",
        "Ada",
        "Ada",
        True,
        "Member",
        TAP_START,
        "ada@contoso.example",
        ("ada.other@example.net",),
        "en",
    )
    directory.managers["id-E1"] = Manager("m1", "Grace", "grace@contoso.example", "en")
    deps = Deps(settings, ledger, directory, mailer, queue, clock)
    return deps, record.tracking_id


def run(deps: Deps, tid: str, slot: int):  # type: ignore[no-untyped-def]
    return asyncio.run(send_reminder(tid, slot, deps))


def test_first_reminder_goes_to_the_personal_address_and_is_recorded_masked() -> None:
    deps, tid = world()
    assert run(deps, tid, 1).outcome == "sent"
    [(email, _)] = deps.mailer.sent  # type: ignore[attr-defined]
    assert email.to == ("ada.private@example.org",) and email.cc == ()
    [entry] = asyncio.run(deps.ledger.get(tid)).reminders  # type: ignore[union-attr]
    assert entry.outcome == "sent" and entry.recipient_masked == "personal_email: a***e@example.org"


def test_redelivered_message_sends_one_email() -> None:
    deps, tid = world()
    run(deps, tid, 1)
    assert run(deps, tid, 1).outcome == "duplicate"
    assert len(deps.mailer.sent) == 1  # type: ignore[attr-defined]


def test_crash_after_claim_before_send_sends_on_redelivery_exactly_once() -> None:
    deps, tid = world()
    asyncio.run(deps.ledger.claim_once(f"reminder:{tid}:1", NOON))  # a first attempt died here
    assert run(deps, tid, 1).outcome == "sent"
    assert run(deps, tid, 1).outcome == "duplicate"
    assert len(deps.mailer.sent) == 1  # type: ignore[attr-defined]


def test_user_who_enrolled_since_the_report_gets_nothing_and_is_marked_enrolled() -> None:
    deps, tid = world()
    deps.directory.methods["id-E1"] = [AUTHENTICATOR]  # type: ignore[attr-defined]
    assert run(deps, tid, 1).outcome == "skipped_enrolled"
    record = asyncio.run(deps.ledger.get(tid))
    assert record is not None and record.status is Status.ENROLLED and record.enrolled_at == NOON
    assert deps.mailer.sent == []  # type: ignore[attr-defined]


def test_fallback_to_other_mails_then_work_mail_with_manager() -> None:
    deps, tid = world(personal=None)
    run(deps, tid, 1)
    assert deps.mailer.sent[0][0].to == ("ada.other@example.net",)  # type: ignore[attr-defined]
    deps2, tid2 = world(personal=None)
    deps2.directory.users["E1"] = replace(deps2.directory.users["E1"], other_mails=())  # type: ignore[attr-defined]
    run(deps2, tid2, 1)
    email = deps2.mailer.sent[0][0]  # type: ignore[attr-defined]
    assert email.to == ("ada@contoso.example",) and email.cc == ("grace@contoso.example",)


def test_manager_is_copied_from_the_nth_reminder_and_the_last_sends_the_final_notice() -> None:
    deps, tid = world()
    deps.clock.current = TAP_START + timedelta(days=3, hours=4)  # type: ignore[attr-defined]
    run(deps, tid, 2)
    assert deps.mailer.sent[-1][0].cc == ("grace@contoso.example",)  # type: ignore[attr-defined]
    deps.clock.current = TAP_START + timedelta(days=7, hours=4)  # type: ignore[attr-defined]
    run(deps, tid, 3)
    kinds = [e.kind for e, _ in deps.mailer.sent]  # type: ignore[attr-defined]
    assert kinds == ["reminder", "reminder", "notice"]
    outcomes = [r.outcome for r in asyncio.run(deps.ledger.get(tid)).reminders]  # type: ignore[union-attr]
    assert outcomes == ["sent", "sent", "final_notice"]


def test_quiet_hours_delay_to_the_next_morning_in_the_joiners_zone() -> None:
    deps, tid = world()
    deps.clock.current = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # 23:00 in Berlin  # type: ignore[attr-defined]
    outcome = run(deps, tid, 1)
    assert (
        outcome.outcome == "delayed" and outcome.retry_in_seconds == 8 * 3600
    )  # 23:00 -> 07:00 Berlin
    assert deps.queue.messages[0][1]["slot"] == 1 and deps.mailer.sent == []  # type: ignore[attr-defined]


def test_acs_429_reenqueues_with_its_retry_after_and_the_retry_sends_once() -> None:
    deps, tid = world(mailer=FlakyMailer([TransientError("acs_429", retry_after=12)]))
    outcome = run(deps, tid, 1)
    assert (outcome.outcome, outcome.retry_in_seconds) == ("delayed", 12)
    assert deps.queue.messages[0][2] == 12
    assert asyncio.run(deps.ledger.get(tid)).reminders == ()  # type: ignore[union-attr]  # not a failure
    assert run(deps, tid, 1).outcome == "sent"
    assert len(deps.mailer.sent) == 1  # type: ignore[attr-defined]


def test_expired_tap_is_reissued_to_the_manager_only_when_the_setting_allows() -> None:
    deps, tid = world()
    deps.clock.current = TAP_START + timedelta(days=3, hours=4)  # type: ignore[attr-defined]
    run(deps, tid, 2)
    assert deps.directory.taps == []  # type: ignore[attr-defined]  # off by default
    deps2, tid2 = world(settings=replace(SETTINGS, reminder_reissue_tap=True))
    deps2.clock.current = TAP_START + timedelta(days=3, hours=4)  # type: ignore[attr-defined]
    run(deps2, tid2, 2)
    kinds = [e.kind for e, _ in deps2.mailer.sent]  # type: ignore[attr-defined]
    assert kinds == ["tap_delivery", "reminder"] and len(deps2.directory.taps) == 1  # type: ignore[attr-defined]
    assert deps2.mailer.sent[0][0].to == ("grace@contoso.example",)  # type: ignore[attr-defined]


def test_reissue_respects_the_guardrails_and_the_hourly_cap() -> None:
    deps, tid = world(settings=replace(SETTINGS, reminder_reissue_tap=True, tap_max_per_hour=1))
    deps.clock.current = TAP_START + timedelta(days=3, hours=4)  # type: ignore[attr-defined]
    asyncio.run(
        deps.ledger.take_tap_slot(deps.clock.current.strftime("%Y%m%d%H"), 1)
    )  # cap used up
    run(deps, tid, 2)
    assert deps.directory.taps == []  # type: ignore[attr-defined]
    deps2, tid2 = world(settings=replace(SETTINGS, reminder_reissue_tap=True))
    deps2.clock.current = TAP_START + timedelta(days=3, hours=4)  # type: ignore[attr-defined]
    deps2.directory.admins.add("id-E1")  # type: ignore[attr-defined]
    run(deps2, tid2, 2)
    assert deps2.directory.taps == []  # type: ignore[attr-defined]
