"""The campaign's use cases on the fakes: the dry run, start/pause/exclude, and the daily run's
fan-out (follow-ups first, first contacts within the day's capacity, once per day)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.campaign import CampaignPath, NotEligible
from shared.domain.campaign_state import CampaignContact, CampaignStatus
from shared.domain.directory import DirectoryUser
from shared.domain.errors import PermanentError
from shared.domain.record import JoinerRecord, Status
from tests.unit.campaign.world import (
    EXCLUDE,
    INCLUDE,
    NOW,
    PHONE_SIGN_IN,
    PUSH,
    ROWS,
    row,
    settings,
    world,
)

PUSH_PATH, IN_APP, TAP = (
    CampaignPath.TURN_ON_PHONE_SIGN_IN,
    CampaignPath.IN_APP,
    CampaignPath.TAP_PATH,
)


def queued(fakes: object, name: str = "campaign") -> list[tuple[str, int]]:
    return [(p["userId"], p["step"]) for p in fakes.queue.on(name)]  # type: ignore[attr-defined]


def test_the_dry_run_plans_waves_within_the_capacity_and_sends_nothing() -> None:
    fakes = world()
    services = fakes.services(settings())
    view = asyncio.run(services.campaign_plan())

    plan = view.plan
    assert plan.capacity == 3  # CAMPAIGN_DAILY_LIMIT below the share (10 an hour x 13 hours)
    assert view.hourly_allowance == 10
    assert dict(plan.eligible) == {PUSH_PATH: 2, IN_APP: 3, TAP: 2}
    assert view.not_eligible == {
        NotEligible.GUEST: 1,
        NotEligible.EXCLUDED_GROUP: 1,
        NotEligible.ADMIN_TAP_PATH: 1,
        NotEligible.TARGET_REACHED: 1,
    }
    assert [list(w.user_ids) for w in plan.waves] == [
        ["push1", "push2", "sms1"],
        ["sms2", "sms3", "none1"],
        ["none2"],
    ]
    assert plan.last_first_contact_on == NOW.date() + timedelta(days=2)
    assert all(d.emails <= 3 for d in plan.days)
    listed = list(view.first_contacts(limit=4))
    assert [(c.user_id, c.wave, c.path) for c in listed] == [
        ("push1", 1, PUSH_PATH),
        ("push2", 1, PUSH_PATH),
        ("sms1", 1, IN_APP),
        ("sms2", 2, IN_APP),
    ]
    assert listed[0].upn == "push1@contoso.example"
    body = view.to_json(limit=2)
    assert body["eligible"] == {"turn_on_phone_sign_in": 2, "in_app": 3, "tap_path": 2}
    assert len(body["firstContacts"]) == 2  # type: ignore[arg-type]
    # A dry run: nothing queued, nothing recorded, nothing sent.
    assert fakes.queue.messages == [] and fakes.mailer.sent == []
    assert fakes.campaign.contacts_ == {} and fakes.campaign.claims == set()


def test_include_groups_limit_the_scope() -> None:
    fakes = world()
    fakes.campaign_reads.groups[INCLUDE] = {"sms1", "none1", "breakglass"}
    view = asyncio.run(fakes.services(settings(CAMPAIGN_INCLUDE_GROUP_IDS=INCLUDE)).campaign_plan())
    assert dict(view.plan.eligible) == {PUSH_PATH: 0, IN_APP: 1, TAP: 1}
    assert view.not_eligible[NotEligible.OUT_OF_SCOPE] == 7
    assert view.not_eligible[NotEligible.EXCLUDED_GROUP] == 1  # exclusion wins


def test_protected_groups_are_excluded_too() -> None:
    protected = "f0000000-0000-4000-8000-00000000f001"
    fakes = world()
    fakes.campaign_reads.groups[protected] = {"sms1"}
    view = asyncio.run(fakes.services(settings(PROTECTED_GROUP_IDS=protected)).campaign_plan())
    assert view.not_eligible[NotEligible.EXCLUDED_GROUP] == 2


def test_joiners_tapstart_is_onboarding_are_left_to_their_reminders() -> None:
    fakes = world()
    fakes.ledger.records["t1"] = _joiner("sms1", Status.DELIVERED)
    fakes.ledger.records["t2"] = _joiner("sms2", Status.ENROLLED)  # done with: in scope again
    view = asyncio.run(fakes.services(settings()).campaign_plan())
    assert view.not_eligible[NotEligible.JOINER] == 1
    assert "sms1" not in view.plan.paths and "sms2" in view.plan.paths


def _joiner(user_id: str, status: Status) -> JoinerRecord:
    return JoinerRecord(
        tracking_id=f"t-{user_id}",
        event_id=f"e-{user_id}",
        employee_id=user_id,
        hire_date=NOW.date(),
        accepted_at=NOW,
        status=status,
        user_id=user_id,
    )


def test_nothing_is_queued_before_the_campaign_starts() -> None:
    fakes = world()
    run = asyncio.run(fakes.services(settings()).daily_run())
    assert run.ok and "campaign" not in run.failed_jobs
    assert queued(fakes) == []
    assert run.campaign is not None and run.campaign.status == "not_started"
    assert run.campaign.eligible == {PUSH_PATH: 2, IN_APP: 3, TAP: 2}
    assert fakes.campaign.summary_ is not None


def test_a_running_campaign_queues_the_first_wave_once_a_day() -> None:
    fakes = world()
    services = fakes.services(settings())
    state = asyncio.run(services.campaign_control.start("ops@contoso.example"))
    assert state.status is CampaignStatus.RUNNING and state.started_on == NOW.date()

    asyncio.run(services.daily_run())
    assert queued(fakes) == [("push1", 1), ("push2", 1), ("sms1", 1)]
    # Spread over the hour at the campaign's 10 an hour, from now (09:00 is outside quiet hours).
    assert fakes.queue.delays("campaign") == [0, 360, 720]
    assert {c.wave for c in fakes.campaign.contacts_.values()} == {1}
    assert fakes.campaign.contacts_["sms1"].path is IN_APP
    assert fakes.queue.on("reminders") == []  # joiner work untouched

    asyncio.run(services.daily_run(scheduled=False))  # a second run the same day
    assert len(queued(fakes)) == 3

    fakes.clock.advance(days=1)
    asyncio.run(services.daily_run())
    # The first wave was never sent (no worker here): its users are planned again, first.
    assert queued(fakes)[3:] == [("push1", 1), ("push2", 1), ("sms1", 1)]
    assert fakes.campaign.contacts_["push1"].wave == 1  # a planned contact keeps its wave


def _contacted(uid: str, path: CampaignPath, days_ago: int, sent: int = 1) -> CampaignContact:
    at = NOW - timedelta(days=days_ago)
    return CampaignContact(
        uid, f"{uid}@contoso.example", path, 1, first_contact_at=at, sent_steps=sent
    )


def test_due_follow_ups_go_before_new_first_contacts() -> None:
    fakes = world()
    services = fakes.services(settings())
    asyncio.run(services.campaign_control.start("ops"))
    for uid in ("sms2", "sms3"):
        asyncio.run(fakes.campaign.create_contact(_contacted(uid, IN_APP, 7)))
    asyncio.run(services.daily_run())
    assert queued(fakes) == [("sms2", 2), ("sms3", 2), ("push1", 1)]
    assert fakes.campaign.summary_ is not None
    assert fakes.campaign.summary_["enqueued"] == {
        "day": "2026-12-01",
        "followUps": 2,
        "firstContacts": 1,
    }


def test_the_report_records_conversions_and_converted_users_get_no_more_mail() -> None:
    rows = [
        r if r.id != "sms1" else row("sms1", ("mobilePhone", PUSH, PHONE_SIGN_IN)) for r in ROWS
    ]
    fakes = world(rows)
    services = fakes.services(settings())
    asyncio.run(services.campaign_control.start("ops"))
    asyncio.run(fakes.campaign.create_contact(_contacted("sms1", IN_APP, 7)))
    run = asyncio.run(services.daily_run())
    converted = fakes.campaign.contacts_["sms1"].converted_at
    assert converted is not None and converted <= NOW
    assert ("sms1", 2) not in queued(fakes)
    assert run.campaign is not None
    assert run.campaign.conversion.total.converted == 1
    assert run.campaign.conversion.total.within[7] == 1


def test_a_paused_campaign_queues_nothing_and_start_keeps_its_first_day() -> None:
    fakes = world()
    services = fakes.services(settings())
    control = services.campaign_control
    asyncio.run(control.start("ops"))
    paused = asyncio.run(control.pause("ops"))
    assert paused.status is CampaignStatus.PAUSED
    asyncio.run(services.daily_run())
    assert queued(fakes) == []
    fakes.clock.advance(days=3)
    again = asyncio.run(control.start("ops"))
    assert again.started_on == NOW.date()  # waves keep their numbers
    asyncio.run(services.daily_run())
    assert {c.wave for c in fakes.campaign.contacts_.values()} == {4}


def test_pause_before_start_changes_nothing() -> None:
    fakes = world()
    state = asyncio.run(fakes.services(settings()).campaign_control.pause("ops"))
    assert state.status is CampaignStatus.NOT_STARTED


def test_exclude_by_upn_stops_a_user_for_good() -> None:
    fakes = world()
    fakes.directory.users["e-sms1"] = DirectoryUser(
        "sms1", "sms1@contoso.example", "e-sms1", "Sms1", None, True, "Member", None, None, (), None
    )
    services = fakes.services(settings())
    asyncio.run(fakes.campaign.create_contact(_contacted("sms1", IN_APP, 2)))
    done = asyncio.run(services.campaign_control.exclude("SMS1@contoso.example", "ops", "asked"))
    assert (done.user_id, done.new, done.had_contact) == ("sms1", True, True)
    assert fakes.campaign.contacts_["sms1"].opted_out_at == NOW
    assert fakes.campaign.opt_outs["sms1"].reason == "asked"
    again = asyncio.run(services.campaign_control.exclude("sms1@contoso.example", "ops"))
    assert not again.new
    view = asyncio.run(services.campaign_plan())
    assert "sms1" not in view.plan.paths
    assert view.not_eligible[NotEligible.OPTED_OUT] == 1
    funnel = asyncio.run(services.campaign_control.status())
    assert funnel.conversion.total.opted_out == 1


@pytest.mark.parametrize(
    ("user", "reason"),
    [("x@contoso.example", "user_not_found"), ("sms1", "invalid_user"), ("a/b", "invalid_user")],
)
def test_exclude_of_an_unknown_or_malformed_user_is_refused(user: str, reason: str) -> None:
    fakes = world()
    with pytest.raises(PermanentError) as caught:
        asyncio.run(fakes.services(settings()).campaign_control.exclude(user, "o"))
    assert caught.value.reason == reason
    assert fakes.campaign.opt_outs == {}


def test_exclude_by_object_id() -> None:
    uid = "0d8a3c1e-2b4f-4c6d-8e0f-1a2b3c4d5e6f"
    fakes = world()
    done = asyncio.run(fakes.services(settings()).campaign_control.exclude(uid, "ops"))
    assert (done.user_id, done.new, done.had_contact) == (uid, True, False)


def test_an_unreadable_group_fails_the_campaign_alone() -> None:
    fakes = world()
    fakes.campaign_reads.fail.add(EXCLUDE)
    services = fakes.services(settings())
    asyncio.run(services.campaign_control.start("ops"))
    run = asyncio.run(services.daily_run())
    assert run.ok and run.failed_jobs == ("campaign_scope",)
    assert queued(fakes) == []
    assert fakes.mailer.sent  # the digest still went out
    assert run.campaign is not None and run.campaign.status == "running"


def test_a_partial_report_queues_no_campaign_mail() -> None:
    from shared.domain.errors import TransientError

    class Failing(type(world().directory)):  # type: ignore[misc]
        async def registration_pages(self):  # type: ignore[no-untyped-def]
            yield list(ROWS[:5])
            raise TransientError("graph 503")

    fakes = world()
    fakes.directory = Failing(registration=[])
    fakes.campaign_reads.directory = fakes.directory
    services = fakes.services(settings())
    asyncio.run(services.campaign_control.start("ops"))
    asyncio.run(services.daily_run())
    assert queued(fakes) == []


def test_status_is_the_digests_funnel() -> None:
    fakes = world()
    services = fakes.services(settings())
    asyncio.run(services.campaign_control.start("ops"))
    run = asyncio.run(services.daily_run())
    status = asyncio.run(services.campaign_control.status())
    assert run.campaign is not None
    assert status.to_json() == run.campaign.to_json()
    assert status.to_json()["lastFirstContact"] == "2026-12-03"
    assert replace(status, status="x").status == "x"
