"""The reminder use case against fakes: exactly once per slot, live enrolment check, delays."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import azure.functions as func
import pytest

from functions.queue_commands import run_command
from shared.config import Settings
from shared.domain.cadence import slot_key
from shared.domain.commands import SendReminder
from shared.domain.directory import DirectoryUser, IssuedTap, Manager, TapPolicy
from shared.domain.email import OutgoingEmail
from shared.domain.errors import PermanentError, TransientError
from shared.domain.joiner import JoinerEvent
from shared.domain.passwordless import MethodKind, SignInMethod
from shared.domain.record import JoinerRecord, Status
from shared.ports import EmailSlot
from shared.services import Services
from shared.usecases.onboarding_facts import hour_key
from shared.usecases.send_reminder import ReminderOutcome
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
        "REMINDER_DAYS": "1,3,7",
        "REMINDER_MAX_COUNT": "3",
        "REMINDER_MANAGER_CC_FROM": "2",
        "QUIET_HOURS": "20-7",
    }
)
REISSUE = replace(SETTINGS, reminder_reissue_tap=True)
TAP_START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # day 1 after the TAP start, 13:00 in Berlin
DAY_3 = TAP_START + timedelta(days=3, hours=4)  # the 8-hour TAP ran out long ago


@dataclass
class FlakyMailer(FakeMailer):
    """Fails the next sends with the given errors (as ACS does with a 429), then sends."""

    failures: list[Exception] = field(default_factory=list)

    async def send(
        self, email: OutgoingEmail, operation_id: str, slot: EmailSlot | None = None
    ) -> str:
        if self.failures:
            raise self.failures.pop(0)
        return await super().send(email, operation_id, slot)


class World:
    def __init__(
        self,
        personal: str | None = "ada.private@example.org",
        mailer: FakeMailer | None = None,
        settings: Settings = SETTINGS,
    ) -> None:
        self.settings = settings
        self.fakes = Fakes(
            clock=FakeClock(NOON),
            directory=FakeDirectory(policy=TapPolicy(True, 60, 480, 60, 8, True, True, (), ())),
            mailer=mailer or FakeMailer(),
        )
        self.services: Services = self.fakes.services(settings)
        self.clock, self.ledger = self.fakes.clock, self.fakes.ledger
        self.directory, self.mailer, self.queue = (
            self.fakes.directory,
            self.fakes.mailer,
            self.fakes.queue,
        )
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
            accepted_record(event, TAP_START),
            status=Status.DELIVERED,
            user_id="id-E1",
            tap_id="t1",
            tap_start=TAP_START,
            tap_lifetime_minutes=480,
            delivered_at=TAP_START,
        )
        asyncio.run(self.ledger.create(record))
        self.tid = record.tracking_id
        # Tapstart's 8-hour pass, as Graph lists it (expired from TAP_START + 8 h on).
        self.directory.existing_taps.append(
            ("id-E1", IssuedTap("t1", "unused", TAP_START, 480, False))
        )
        self.directory.users["E1"] = DirectoryUser(
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
        self.directory.managers["id-E1"] = Manager("m1", "Grace", "grace@contoso.example", "en")

    def run(self, slot: int) -> ReminderOutcome:
        return asyncio.run(self.services.send_reminder(SendReminder(self.tid, slot)))

    def deliver(self, payload: dict[str, Any]) -> ReminderOutcome | None:
        """What the reminder trigger does with one message body."""
        body = json.dumps(payload).encode()
        command = SendReminder.from_json(body)
        result: ReminderOutcome | None = asyncio.run(
            run_command(
                func.QueueMessage(id="msg-1", body=body),
                command,
                self.services.send_reminder,
                self.services.reminder_queue,
                {"tracking_id": command.tracking_id, "reminder_slot": command.slot},
            )
        )
        return result

    def record(self) -> JoinerRecord:
        return self.ledger.records[self.tid]

    def kinds(self) -> list[str]:
        return [email.kind for email, _ in self.mailer.sent]

    def messages(self) -> list[dict[str, Any]]:
        return self.queue.on(self.settings.reminder_queue)

    def delays(self) -> list[int]:
        return self.queue.delays(self.settings.reminder_queue)


def test_first_reminder_goes_to_the_personal_address_and_is_recorded_masked() -> None:
    w = World()
    assert w.run(1).outcome == "sent"
    [(email, _)] = w.mailer.sent
    assert email.to == ("ada.private@example.org",) and email.cc == ()
    [entry] = w.record().reminders
    assert entry.outcome == "sent" and entry.recipient_masked == "personal_email: a***e@example.org"


def test_redelivered_message_sends_one_email() -> None:
    w = World()
    w.run(1)
    assert w.run(1).outcome == "duplicate"
    assert len(w.mailer.sent) == 1


def test_crash_after_claim_before_send_sends_on_redelivery_exactly_once() -> None:
    w = World()
    asyncio.run(w.ledger.claim_once(slot_key(w.tid, 1), NOON))  # a first attempt died here
    assert w.run(1).outcome == "sent"
    assert w.run(1).outcome == "duplicate"
    assert len(w.mailer.sent) == 1


def test_crash_after_the_send_before_the_record_confirms_instead_of_sending_again() -> None:
    w = World()
    w.run(1)
    # GIVEN the email went out but the ledger lost the log entry (the worker died in between)
    w.ledger.records[w.tid] = replace(w.record(), reminders=())
    assert w.run(1).outcome == "sent"
    assert len(w.mailer.sent) == 1
    [entry] = w.record().reminders
    assert entry.detail == "confirmed after a redelivery"


def _authenticator(w: World, *, phone_sign_in: bool) -> None:
    w.directory.sign_in["id-E1"] = [
        SignInMethod(MethodKind.PASSWORD, "pw"),
        SignInMethod(MethodKind.AUTHENTICATOR, "a1", TAP_START + timedelta(hours=1)),
    ]
    w.directory.devices["id-E1"] = {"a1": phone_sign_in}


def test_push_only_is_reminded_to_turn_on_phone_sign_in_and_is_not_enrolled() -> None:
    w = World()
    _authenticator(w, phone_sign_in=False)

    assert w.run(1).outcome == "sent"

    record = w.record()
    assert record.status is Status.DELIVERED and record.enrolled_at is None
    assert record.authenticator_at == TAP_START + timedelta(hours=1)
    [(email, _)] = w.mailer.sent
    assert "turn on phone sign-in" in email.subject.lower()
    assert "Enable phone sign-in" in email.text and "one work account" in email.text
    assert record.reminders[-1].detail == "turn_on_phone_sign_in at authenticator"
    assert w.directory.deleted_taps == []


def test_phone_sign_in_found_live_stops_the_reminder_marks_enrolled_and_retires_the_tap() -> None:
    w = World()
    w.clock.current = TAP_START + timedelta(hours=3)  # Tapstart's 8-hour pass still works
    _authenticator(w, phone_sign_in=True)

    assert w.run(1).outcome == "skipped_enrolled"

    record = w.record()
    assert record.status is Status.ENROLLED and record.target_method == "phone_sign_in"
    assert record.enrolled_at == TAP_START + timedelta(hours=1)  # Graph's registration time
    assert w.directory.deleted_taps == [("id-E1", "t1")]
    assert record.tap_retired_at == TAP_START + timedelta(hours=3)
    assert w.mailer.sent == []


def test_a_passkey_in_authenticator_also_counts_and_an_expired_tap_is_left_alone() -> None:
    w = World()  # NOON: the 8-hour pass ran out the day before
    w.directory.sign_in["id-E1"] = [
        SignInMethod(MethodKind.FIDO2, "f1", NOON, aaguid="90a3ccdf-635c-4729-a248-9b709135078f")
    ]

    assert w.run(1).outcome == "skipped_enrolled"

    assert w.record().target_method == "passkey" and w.directory.deleted_taps == []
    assert w.directory.device_reads == []  # the passkey decided: no device read spent


def test_the_last_reminder_and_the_final_notice_name_the_stage() -> None:
    w = World()
    _authenticator(w, phone_sign_in=False)

    w.run(3)  # REMINDER_MAX_COUNT=3: the last one

    reminder, notice = (email for email, _ in w.mailer.sent)
    assert "phone sign-in is not turned on yet" in reminder.text
    assert notice.to == ("grace@contoso.example",)
    assert "phone sign-in is not turned on yet" in notice.text


def test_a_joiner_not_delivered_or_unknown_is_not_reminded() -> None:
    w = World()
    w.ledger.records[w.tid] = replace(w.record(), status=Status.ENROLLED)
    assert w.run(1).outcome == "not_applicable"
    missing = asyncio.run(w.services.send_reminder(SendReminder("nobody", 1)))
    assert missing.outcome == "not_applicable" and w.mailer.sent == []


def test_fallback_to_other_mails_then_work_mail_with_manager() -> None:
    w = World(personal=None)
    w.run(1)
    assert w.mailer.sent[0][0].to == ("ada.other@example.net",)
    w2 = World(personal=None)
    w2.directory.users["E1"] = replace(w2.directory.users["E1"], other_mails=())
    w2.run(1)
    email = w2.mailer.sent[0][0]
    assert email.to == ("ada@contoso.example",) and email.cc == ("grace@contoso.example",)


def test_no_address_at_all_is_a_permanent_error() -> None:
    w = World(personal=None)
    w.directory.users["E1"] = replace(w.directory.users["E1"], other_mails=(), mail=None)
    del w.directory.managers["id-E1"]
    with pytest.raises(PermanentError, match="no_reminder_address"):
        w.run(1)
    assert w.mailer.sent == []


def test_manager_is_copied_from_the_nth_reminder_and_the_last_sends_the_final_notice() -> None:
    w = World()
    w.clock.current = TAP_START + timedelta(days=3, hours=4)
    w.run(2)
    assert w.mailer.sent[-1][0].cc == ("grace@contoso.example",)
    w.clock.current = TAP_START + timedelta(days=7, hours=4)
    w.run(3)
    assert w.kinds() == ["reminder", "reminder", "notice"]
    assert [r.outcome for r in w.record().reminders] == ["sent", "sent", "final_notice"]


def test_quiet_hours_delay_to_the_next_morning_in_the_joiners_zone() -> None:
    w = World()
    w.clock.current = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    outcome = w.run(1)
    # The use case puts the command back itself (23:00 -> 07:00 Berlin) and reports the delay.
    assert (outcome.outcome, outcome.retry_in_seconds) == ("delayed", 8 * 3600)
    assert w.messages() == [{"v": 1, "trackingId": w.tid, "slot": 1}]
    assert w.delays() == [8 * 3600] and w.mailer.sent == []
    assert w.record().reminders == () and w.ledger.claims == set()


def test_acs_429_propagates_with_its_retry_after_and_the_retry_sends_once() -> None:
    w = World(mailer=FlakyMailer(failures=[TransientError("acs_429", retry_after=12)]))
    with pytest.raises(TransientError) as raised:
        w.run(1)
    assert raised.value.retry_after == 12
    assert w.record().reminders == ()  # not a failure
    assert w.run(1).outcome == "sent"
    assert len(w.mailer.sent) == 1


def test_the_trigger_re_enqueues_an_acs_429_with_its_delay_and_the_redelivery_sends_once() -> None:
    w = World(mailer=FlakyMailer(failures=[TransientError("acs_429", retry_after=12)]))
    assert w.deliver({"v": 1, "trackingId": w.tid, "slot": 1}) is None
    [payload] = w.messages()
    assert payload == {"v": 1, "trackingId": w.tid, "slot": 1} and w.delays() == [12]
    outcome = w.deliver(payload)
    assert outcome is not None and outcome.outcome == "sent"
    assert len(w.mailer.sent) == 1 and len(w.messages()) == 1


def test_the_local_email_rate_limit_is_re_enqueued_and_sent_once_it_frees_up() -> None:
    w = World(mailer=FakeMailer(slots=0, retry_after=30))
    assert w.deliver({"v": 1, "trackingId": w.tid, "slot": 1}) is None
    assert w.delays() == [30] and w.mailer.sent == [] and w.record().reminders == ()
    w.mailer.slots = None
    outcome = w.deliver(w.messages()[0])
    assert outcome is not None and outcome.outcome == "sent" and w.kinds() == ["reminder"]


def test_mark_failed_records_the_slot_and_alerts_and_the_slot_may_be_retried() -> None:
    w = World()
    asyncio.run(w.services.send_reminder.mark_failed(SendReminder(w.tid, 1), "poison_message"))
    [entry] = w.record().reminders
    assert (entry.slot, entry.outcome, entry.detail) == (1, "failed", "poison_message")
    assert w.kinds() == ["alert"]
    assert w.run(1).outcome == "sent"  # a failed slot is not a done slot


def test_expired_tap_is_reissued_to_the_manager_only_when_the_setting_allows() -> None:
    w = World()
    w.clock.current = DAY_3
    w.run(2)
    assert w.directory.taps == []  # off by default
    w2 = World(settings=REISSUE)
    w2.clock.current = DAY_3
    w2.run(2)
    assert w2.kinds() == ["tap_delivery", "reminder"] and len(w2.directory.taps) == 1
    assert w2.mailer.sent[0][0].to == ("grace@contoso.example",)
    record = w2.record()
    assert record.status is Status.DELIVERED and record.tap_id == w2.directory.taps[0][1].id


def test_reissue_respects_the_guardrails_and_the_hourly_cap() -> None:
    w = World(settings=replace(REISSUE, tap_max_per_hour=1))
    w.clock.current = DAY_3
    asyncio.run(w.ledger.take_tap_slot(hour_key(DAY_3), 1))  # cap used up
    assert w.run(2).outcome == "sent"  # the reminder still goes, without a TAP
    assert w.directory.taps == [] and w.kinds() == ["reminder"]
    w2 = World(settings=REISSUE)
    w2.clock.current = DAY_3
    w2.directory.admins.add("id-E1")
    w2.run(2)
    assert w2.directory.taps == [] and w2.kinds() == ["reminder"]


def test_an_email_rate_refusal_of_the_reissue_creates_no_tap_and_the_retry_issues_one() -> None:
    w = World(mailer=FakeMailer(slots=0, retry_after=42), settings=REISSUE)
    w.clock.current = DAY_3
    w.ledger.tap_slots[hour_key(DAY_3)] = 2
    slots = dict(w.ledger.tap_slots)

    with pytest.raises(TransientError) as raised:
        w.run(2)
    assert raised.value.reason == "email_rate_limited" and raised.value.retry_after == 42
    assert w.directory.taps == [] and w.ledger.tap_slots == slots and w.mailer.sent == []
    assert w.record().tap_id == "t1" and w.record().reminders == ()

    # Through the trigger: re-enqueued with the delay, then redelivered once the limit frees up.
    assert w.deliver({"v": 1, "trackingId": w.tid, "slot": 2}) is None
    assert w.delays() == [42] and w.directory.taps == [] and w.ledger.tap_slots == slots
    w.mailer.slots = None
    outcome = w.deliver(w.messages()[0])

    assert outcome is not None and outcome.outcome == "sent"
    [(user_id, tap)] = w.directory.taps
    assert user_id == "id-E1" and w.kinds() == ["tap_delivery", "reminder"]
    assert w.record().tap_id == tap.id
    assert w.ledger.tap_slots == {hour_key(DAY_3): 3}


def test_a_rate_refusal_of_the_reminder_after_a_reissue_does_not_issue_a_second_tap() -> None:
    # One send left: the re-issued TAP's email takes it, the reminder itself is refused.
    w = World(mailer=FakeMailer(slots=1, retry_after=42), settings=REISSUE)
    w.clock.current = DAY_3
    assert w.deliver({"v": 1, "trackingId": w.tid, "slot": 2}) is None
    assert w.kinds() == ["tap_delivery"] and len(w.directory.taps) == 1 and w.delays() == [42]
    assert w.record().status is Status.DELIVERED

    w.mailer.slots = None
    outcome = w.deliver(w.messages()[0])

    assert outcome is not None and outcome.outcome == "sent"
    assert w.kinds() == ["tap_delivery", "reminder"] and len(w.directory.taps) == 1


def test_an_acs_429_on_the_reissued_taps_email_is_resumed_by_the_redelivery() -> None:
    w = World(
        mailer=FlakyMailer(failures=[TransientError("acs_429", retry_after=12)]),
        settings=REISSUE,
    )
    w.clock.current = DAY_3
    assert w.deliver({"v": 1, "trackingId": w.tid, "slot": 2}) is None
    outcome = w.deliver(w.messages()[0])

    assert outcome is not None and outcome.outcome == "sent"
    assert w.record().status is Status.DELIVERED
    assert w.kinds() == ["tap_delivery", "reminder"]
