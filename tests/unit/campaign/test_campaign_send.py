"""The campaign's send step on the fakes: the live check first, exactly once per step, quiet
hours in the user's zone, the campaign's hourly share, bounces, and the path's email."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.campaign import CampaignPath
from shared.domain.campaign_state import (
    CampaignContact,
    CampaignState,
    CampaignStatus,
    OptOut,
    step_key,
)
from shared.domain.commands import SendCampaignEmail
from shared.domain.directory import Manager
from shared.domain.email import OutgoingEmail
from shared.domain.email_budget import MailPriority
from shared.domain.errors import PermanentError, TransientError
from shared.domain.passwordless import MethodKind, SignInMethod
from shared.usecases.campaign_send import CampaignOutcome, operation_id_for
from tests.campaign_fakes import campaign_user
from tests.fakes import Fakes
from tests.unit.campaign.world import NOW, settings

IN_APP, PUSH, TAP = (
    CampaignPath.IN_APP,
    CampaignPath.TURN_ON_PHONE_SIGN_IN,
    CampaignPath.TAP_PATH,
)
SMS = SignInMethod(MethodKind.PHONE, "p1")
PASSWORD = SignInMethod(MethodKind.PASSWORD, "pw")
AUTHENTICATOR = SignInMethod(MethodKind.AUTHENTICATOR, "a1")


def fakes_with(
    path: CampaignPath = IN_APP,
    methods: tuple[SignInMethod, ...] = (PASSWORD, SMS),
    *,
    running: bool = True,
    sent: int = 0,
    **user: object,
) -> Fakes:
    fakes = Fakes()
    fakes.clock.current = NOW
    if running:
        fakes.campaign.state_ = CampaignState(CampaignStatus.RUNNING, NOW.date(), etag="1")
    first = NOW - timedelta(days=7) if sent else None
    fakes.campaign.contacts_["u1"] = CampaignContact(
        "u1",
        "u1@contoso.example",
        path,
        1,
        first_contact_at=first,
        sent_steps=sent,
        etag="c0",
    )
    fakes.campaign_reads.users["u1"] = campaign_user("u1", **user)  # type: ignore[arg-type]
    fakes.directory.sign_in["u1"] = list(methods)
    return fakes


def send(fakes: Fakes, step: int = 1, **env: str) -> CampaignOutcome:
    return asyncio.run(fakes.services(settings(**env)).send_campaign(SendCampaignEmail("u1", step)))


def test_an_in_app_user_gets_the_in_app_email_once() -> None:
    fakes = fakes_with()
    assert send(fakes).outcome == "sent"
    [(email, op_id)] = fakes.mailer.sent
    assert email.to == ("u1@contoso.example",) and email.cc == ()
    assert email.kind == "campaign"
    assert email.subject.startswith("Sign in to your Contoso account without a password")
    assert "confirm with the method you use today" in email.text
    assert op_id == operation_id_for(step_key("u1", 1))
    contact = fakes.campaign.contacts_["u1"]
    assert (contact.sent_steps, contact.first_contact_at, contact.last_contact_at) == (1, NOW, NOW)
    assert fakes.campaign.sends == {"2026-12-01T09": 1}
    assert fakes.mailer.priorities == [MailPriority.CAMPAIGN]  # the budget's lowest class
    # The same message again: nothing more goes out.
    assert send(fakes).outcome == "duplicate"
    assert len(fakes.mailer.sent) == 1


def test_a_user_who_reached_the_target_meanwhile_gets_nothing() -> None:
    fakes = fakes_with(PUSH, (PASSWORD, AUTHENTICATOR))
    fakes.directory.devices["u1"] = {"a1": True}  # phone sign-in turned on since the report
    assert send(fakes).outcome == "converted"
    assert fakes.mailer.sent == []
    assert fakes.campaign.contacts_["u1"].converted_at == NOW
    assert fakes.campaign.sends == {}  # no share spent either


def test_the_email_follows_the_live_path() -> None:
    fakes = fakes_with(IN_APP, (PASSWORD, SMS, AUTHENTICATOR))  # added Authenticator since
    fakes.directory.devices["u1"] = {"a1": False}
    assert send(fakes).outcome == "sent"
    [(email, _)] = fakes.mailer.sent
    assert email.subject.startswith("One step left: turn on phone sign-in")
    assert fakes.campaign.contacts_["u1"].path is PUSH  # the first email's path


def test_a_user_planned_for_in_app_who_lost_their_methods_waits_for_the_next_plan() -> None:
    fakes = fakes_with(IN_APP, (PASSWORD,))
    assert send(fakes).outcome == "not_applicable"
    assert fakes.mailer.sent == []


def test_the_tap_path_copies_the_manager_and_never_sends_a_pass() -> None:
    fakes = fakes_with(TAP, (PASSWORD,))
    fakes.directory.managers["u1"] = Manager("m1", "Mia Manager", "mia@contoso.example", None)
    assert send(fakes).outcome == "sent"
    [(email, _)] = fakes.mailer.sent
    assert email.to == ("u1@contoso.example",) and email.cc == ("mia@contoso.example",)
    assert "Ask your manager Mia Manager" in email.text
    assert "never sent by email" in email.text
    assert fakes.directory.taps == []  # no TAP was created


@pytest.mark.parametrize(
    ("setup", "outcome"),
    [
        ({"running": False}, "paused"),
        ({"enabled": False}, "not_applicable"),
        ({"user_type": "Guest"}, "not_applicable"),
    ],
)
def test_nothing_goes_out_when(setup: dict[str, object], outcome: str) -> None:
    fakes = fakes_with(**setup)  # type: ignore[arg-type]
    assert send(fakes).outcome == outcome
    assert fakes.mailer.sent == []


def test_an_opted_out_or_bounced_user_is_stopped() -> None:
    fakes = fakes_with()
    asyncio.run(fakes.campaign.opt_out(OptOut("u1", NOW, "ops")))
    assert send(fakes).outcome == "stopped"
    bounced = fakes_with()
    bounced.campaign.contacts_["u1"] = replace(bounced.campaign.contacts_["u1"], bounced=True)
    assert send(bounced).outcome == "stopped"
    assert fakes.mailer.sent == [] and bounced.mailer.sent == []


def test_quiet_hours_in_the_users_zone_put_it_back_for_the_morning() -> None:
    fakes = fakes_with(location="AU")
    fakes.clock.current = NOW.replace(hour=12)  # 23:00 in Sydney
    outcome = send(fakes, CAMPAIGN_COUNTRY_ZONES="AU=Australia/Sydney")
    assert outcome.outcome == "delayed"
    assert outcome.retry_in_seconds == 8 * 3600  # until 07:00 Sydney
    assert fakes.queue.on("campaign") == [{"v": 1, "userId": "u1", "step": 1}]
    assert fakes.mailer.sent == []
    assert send(fakes).outcome == "sent"  # without the zone: noon UTC is daytime


def test_the_campaigns_hourly_share_holds_for_every_instance() -> None:
    fakes = fakes_with()
    fakes.campaign.sends["2026-12-01T09"] = 10  # EMAIL_RATE_PER_HOUR 20, half is the share
    with pytest.raises(TransientError) as caught:
        send(fakes)
    assert caught.value.retry_after == 3601  # 09:00:00 -> 10:00:00, and a second
    assert fakes.mailer.sent == []


def test_a_redelivered_step_is_confirmed_not_resent() -> None:
    fakes = fakes_with()
    fakes.campaign.claims.add(step_key("u1", 1))
    earlier = OutgoingEmail(to=("u1@contoso.example",), subject="s", html="h", text="t")
    fakes.mailer.sent.append((earlier, operation_id_for(step_key("u1", 1))))
    assert send(fakes).outcome == "sent"
    assert len(fakes.mailer.sent) == 1  # the first attempt's, not a second
    assert fakes.campaign.contacts_["u1"].sent_steps == 1


def test_a_claimed_step_that_never_went_out_is_sent() -> None:
    fakes = fakes_with()
    fakes.campaign.claims.add(step_key("u1", 1))
    assert send(fakes).outcome == "sent"
    assert len(fakes.mailer.sent) == 1


def test_a_refused_address_marks_the_user_bounced() -> None:
    fakes = fakes_with()
    fakes.mailer.fail_send.append(PermanentError("email_rejected", "a recipient is refused"))
    assert send(fakes).outcome == "bounced"
    assert fakes.campaign.contacts_["u1"].bounced
    no_mailbox = fakes_with(mail=None)
    assert send(no_mailbox).outcome == "bounced"
    assert no_mailbox.campaign.contacts_["u1"].detail == "no mailbox"


def test_the_email_budget_refusal_goes_back_to_the_queue() -> None:
    fakes = fakes_with()
    fakes.mailer.slots = 0
    with pytest.raises(TransientError):
        send(fakes)
    assert fakes.campaign.contacts_["u1"].sent_steps == 0


def test_follow_ups_and_the_last_email_are_worded_so() -> None:
    fakes = fakes_with(sent=1)
    assert send(fakes, 2).outcome == "sent"
    assert fakes.mailer.sent[-1][0].subject.startswith("Reminder:")
    assert send(fakes, 3).outcome == "sent"
    assert fakes.mailer.sent[-1][0].subject.startswith("Last reminder:")
    contact = fakes.campaign.contacts_["u1"]
    assert contact.sent_steps == 3 and contact.first_contact_at == NOW - timedelta(days=7)


def test_the_users_language_is_used() -> None:
    fakes = fakes_with(language="de-DE")
    assert send(fakes).outcome == "sent"
    assert fakes.mailer.sent[0][0].subject.startswith("Ohne Kennwort")


def test_a_poison_message_is_kept_on_the_contact() -> None:
    fakes = fakes_with()
    services = fakes.services(settings())
    asyncio.run(services.send_campaign.mark_failed(SendCampaignEmail("u1", 1), "poison_message"))
    assert fakes.campaign.contacts_["u1"].detail == "step 1: poison_message"
