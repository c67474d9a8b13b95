"""The onboarding use case against in-memory fakes: the decision flow and its ledger trail."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.domain.directory import Manager
from shared.domain.errors import PermanentError
from shared.domain.record import Status
from tests.unit.onboarding.world import GROUP, SETTINGS, World, user


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
    assert w.ledger.tap_slots == {"2026112809": 1}  # one flood-cap slot of this UTC hour


def test_only_the_groups_tapstart_added_are_recorded_as_its_own() -> None:
    other = "7d3e0000-0000-4000-8000-0000000000aa"
    w = World(settings=replace(SETTINGS, passwordless_group_ids=(GROUP, other)))
    w.directory.groups[other] = {"id-E1"}  # already a member before Tapstart
    tid = w.joiner()

    w.run(tid)

    assert w.record(tid).groups_added == (GROUP,)


def test_a_delivered_joiner_is_never_given_a_second_tap() -> None:
    w = World()
    tid = w.joiner()
    w.run(tid)
    assert w.run(tid) == (Status.DELIVERED, None)
    assert len(w.directory.taps) == 1 and len(w.mailer.sent) == 1


def test_an_unknown_tracking_id_is_dropped_as_failed_without_touching_anything() -> None:
    w = World()
    assert w.run("no-such-joiner") == (Status.FAILED, "unknown_tracking_id")
    assert w.ledger.records == {} and w.mailer.sent == [] and w.onboarding_messages() == []


def test_prehire_waits_in_hops_until_the_lead_time_then_gets_a_tap_starting_on_the_hire_day() -> (
    None
):
    w = World()
    tid = w.joiner(hire=date(2026, 12, 20))
    status, _ = w.run(tid)
    assert status is Status.WAITING_FOR_HIRE_DATE
    assert w.onboarding_messages() == [{"v": 1, "trackingId": tid}]
    assert w.queue.delays(SETTINGS.onboarding_queue) == [
        int((timedelta(days=7) - timedelta(minutes=1)).total_seconds())
    ]
    w.clock.current = datetime(2026, 12, 18, 6, 0, tzinfo=UTC)
    assert w.run(tid)[0] is Status.DELIVERED
    _, tap = w.directory.taps[0]
    assert tap.start == datetime(2026, 12, 20, 6, 0, tzinfo=UTC)  # 07:00 in Berlin


def test_unprovisioned_user_is_retried_with_growing_delays_then_onboarded_when_it_appears() -> None:
    w = World()
    tid = w.joiner(present=False)
    assert w.run(tid)[0] is Status.WAITING_FOR_ACCOUNT
    assert w.run(tid)[0] is Status.WAITING_FOR_ACCOUNT
    assert w.queue.delays(SETTINGS.onboarding_queue) == [60, 120]
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
    assert w.record(tid).reason_detail == (
        f"no Entra account after {SETTINGS.provisioning_deadline_hours} h"
    )


def _admin(w: World) -> None:
    w.directory.admins.add("id-E1")


def _enrolled(w: World) -> None:
    w.directory.methods["id-E1"] = ["#microsoft.graph.fido2AuthenticationMethod"]


def _guest(w: World) -> None:
    w.directory.users["E1"] = user("E1", user_type="Guest")


@pytest.mark.parametrize(
    ("setup", "reason"),
    [(_admin, "admin_role"), (_enrolled, "already_enrolled"), (_guest, "guest_account")],
)
def test_guardrail_refusals_are_final_and_issue_nothing(
    setup: Callable[[World], None], reason: str
) -> None:
    w = World()
    tid = w.joiner()
    setup(w)
    assert w.run(tid) == (Status.REFUSED, reason)
    assert w.directory.taps == [] and w.mailer.sent == [] and w.directory.groups == {}
    assert w.record(tid).status is Status.REFUSED
    assert w.run(tid) == (Status.REFUSED, reason)
    assert w.onboarding_messages() == []


def test_no_manager_mail_uses_the_fallback_address_or_fails_without_one() -> None:
    w = World()
    tid = w.joiner(manager=False)
    assert w.run(tid) == (Status.FAILED, "no_delivery_address")
    assert w.directory.taps == []
    w2 = World(replace(SETTINGS, fallback_delivery_email="it@contoso.example"))
    tid2 = w2.joiner(manager=False)
    assert w2.run(tid2)[0] is Status.DELIVERED
    assert w2.mailer.sent[0][0].to == ("it@contoso.example",)


def test_flood_cap_pauses_issuance_and_alerts_once_per_hour() -> None:
    w = World(replace(SETTINGS, tap_max_per_hour=1))
    first, second, third = (w.joiner(e) for e in ("E1", "E2", "E3"))
    assert w.run(first)[0] is Status.DELIVERED
    assert w.run(second)[0] is Status.PAUSED
    assert w.run(third)[0] is Status.PAUSED
    assert w.email_kinds().count("alert") == 1
    assert len(w.directory.taps) == 1
    # Both paused joiners resume just after the hour rolls over.
    assert w.queue.delays(SETTINGS.onboarding_queue) == [3605, 3605]
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
    assert w.record(tid).reason_detail == "policy off"
    assert w.email_kinds() == ["alert"]


def test_a_dynamic_passwordless_group_fails_the_joiner_before_any_tap() -> None:
    w = World()
    tid = w.joiner()
    w.directory.dynamic_groups.add(GROUP)
    assert w.run(tid) == (Status.FAILED, "group_is_dynamic")
    assert w.directory.taps == [] and w.directory.groups == {}
    assert w.email_kinds() == ["alert"]


def test_fail_marks_a_poisoned_joiner_failed_once_and_alerts() -> None:
    w = World()
    tid = w.joiner()
    fail = w.services.onboard_joiner.fail
    outcome = asyncio.run(fail(tid, "poison_message", "retries ran out"))
    assert (outcome.status, outcome.reason) == (Status.FAILED, "poison_message")
    assert w.record(tid).reason == "poison_message" and w.email_kinds() == ["alert"]
    # A second poison message for a joiner already failed changes nothing and alerts nobody.
    again = asyncio.run(fail(tid, "other_reason"))
    assert (again.status, again.reason) == (Status.FAILED, "poison_message")
    assert w.email_kinds() == ["alert"]
