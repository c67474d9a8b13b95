"""One person, one onboarding: a withdrawn offer is taken back, an older event changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from shared.domain.directory import IssuedTap, Manager
from shared.domain.joiner import JoinerEvent
from shared.domain.passwordless import MethodKind, SignInMethod
from shared.domain.person import current_onboarding, overruled_by, passes_to_retire
from shared.domain.record import JoinerRecord, Status
from tests.fakes import accepted_record
from tests.unit.onboarding.world import GROUP, TODAY, World

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def hire(event_id: str, at: datetime, employee_id: str = "E1") -> JoinerEvent:
    return JoinerEvent(event_id, at, employee_id, date(2026, 11, 28))


def cancel(event_id: str, at: datetime, employee_id: str = "E1") -> JoinerEvent:
    return replace(hire(event_id, at, employee_id), kind="cancel", reason="offer declined")


def rec(event: JoinerEvent, status: Status = Status.ACCEPTED) -> JoinerRecord:
    return replace(accepted_record(event, event.occurred_at), status=status)


# --- the pure rules ------------------------------------------------------------------------


def test_the_current_onboarding_is_the_latest_open_hire() -> None:
    old = rec(hire("e1", T0), Status.DELIVERED)
    newer = rec(hire("e2", T0 + timedelta(hours=1)), Status.WAITING_FOR_HIRE_DATE)
    refused = rec(hire("e3", T0 + timedelta(hours=2)), Status.REFUSED)
    a_cancel = rec(cancel("c1", T0 + timedelta(hours=3)), Status.CANCELLED)

    assert current_onboarding([old, newer, refused, a_cancel]) == newer
    assert current_onboarding([refused, a_cancel]) is None


def test_an_older_event_is_overruled_by_a_newer_one_of_the_same_person() -> None:
    newer_hire = rec(hire("e2", T0 + timedelta(hours=1)))
    newer_cancel = rec(cancel("c1", T0 + timedelta(hours=1)), Status.CANCELLED)

    assert overruled_by(hire("e1", T0), [newer_hire]) == newer_hire
    assert overruled_by(hire("e1", T0), [newer_cancel]) == newer_cancel  # withdrawn first
    assert overruled_by(cancel("c0", T0), [newer_hire]) == newer_hire  # re-offered later
    assert overruled_by(cancel("c0", T0), [newer_cancel]) is None  # cancels never overrule cancels
    assert overruled_by(hire("e3", T0 + timedelta(hours=2)), [newer_hire, newer_cancel]) is None


def test_only_this_onboardings_passes_are_retired() -> None:
    record = replace(rec(hire("e1", T0)), tap_id="ours")
    ours = SignInMethod(MethodKind.TAP, "ours", T0, usable=True)
    theirs = SignInMethod(MethodKind.TAP, "theirs", T0 + timedelta(hours=1), usable=True)
    used = SignInMethod(MethodKind.TAP, "ours", T0, usable=False)

    assert passes_to_retire(record, (ours, theirs)) == ["ours"]
    assert passes_to_retire(record, (used,)) == []
    # No id recorded (the worker died between the create and the save): a pass made after the
    # onboarding was accepted is this onboarding's; an older one is not.
    unrecorded = replace(record, tap_id=None)
    older = SignInMethod(MethodKind.TAP, "older", T0 - timedelta(days=1), usable=True)
    assert passes_to_retire(unrecorded, (older, theirs)) == ["theirs"]


# --- through the composition root, on fakes ---------------------------------------------


def intake(w: World, event: JoinerEvent) -> str:
    [accepted] = asyncio.run(w.services.accept_hr_request.accept([event]))
    return accepted.status


def test_a_rescinded_pre_hire_never_gets_a_tap() -> None:
    w = World()
    tid = w.joiner(hire=TODAY + timedelta(days=10))
    assert w.run(tid)[0] is Status.WAITING_FOR_HIRE_DATE

    assert intake(w, cancel("c1", w.clock.now())) == "cancelling"
    assert w.run(tid) == (Status.CANCELLED, "offer_withdrawn")

    record = w.record(tid)
    assert record.reason_detail == "offer declined"
    assert w.directory.taps == [] and "id-E1" not in w.directory.groups.get(GROUP, set())
    w.clock.current += timedelta(days=11)
    assert w.run(tid) == (Status.CANCELLED, "offer_withdrawn")  # the wake-up finds it final
    assert w.directory.taps == []


def test_a_rescinded_joiner_after_delivery_loses_the_tap_and_groups_and_the_manager_is_told() -> (
    None
):
    w = World()
    tid = w.joiner()
    assert w.run(tid)[0] is Status.DELIVERED
    [(_, tap)] = w.directory.taps
    assert "id-E1" in w.directory.groups[GROUP]

    intake(w, cancel("c1", w.clock.now()))
    assert w.run(tid) == (Status.CANCELLED, "offer_withdrawn")

    assert w.directory.deleted_taps == [("id-E1", tap.id)]
    assert "id-E1" not in w.directory.groups[GROUP]
    notice = w.mailer.sent[-1][0]
    assert notice.kind == "cancellation" and notice.to == ("grace@contoso.example",)
    assert "admins@contoso.example" in notice.cc
    assert tap.passcode not in notice.text and tap.passcode not in notice.html
    assert w.record(tid).tap_retired_at is not None
    # A repeated cancel (HR retries) changes nothing and sends nothing.
    sent = len(w.mailer.sent)
    assert intake(w, cancel("c1", w.clock.now())) == "cancelled"
    assert intake(w, cancel("c2", w.clock.now())) == "cancelled"
    assert len(w.mailer.sent) == sent


def test_groups_the_person_was_already_in_are_left_alone() -> None:
    w = World()
    w.directory.groups[GROUP] = {"id-E1"}  # a member before Tapstart
    tid = w.joiner()
    w.run(tid)

    intake(w, cancel("c1", w.clock.now()))
    w.run(tid)

    assert "id-E1" in w.directory.groups[GROUP]


def test_an_older_hire_arriving_after_a_newer_cancel_changes_nothing() -> None:
    w = World()
    assert intake(w, cancel("c1", T0 + timedelta(hours=1))) == "cancelled"  # nothing to cancel

    assert intake(w, hire("late", T0)) == "superseded"

    [late] = [r for r in w.ledger.records.values() if r.event_id == "late"]
    assert late.reason == "older_event" and w.onboarding_messages() == []


def test_an_older_hire_arriving_after_a_newer_hire_changes_nothing() -> None:
    w = World()
    tid = w.joiner()
    newest = w.record(tid).occurred_at
    assert newest is not None

    assert intake(w, hire("late", newest - timedelta(days=1))) == "superseded"

    assert w.onboarding_messages() == []  # nothing enqueued for the stale event
    assert w.record(tid).status is Status.ACCEPTED  # the current onboarding is untouched


def test_a_cancel_for_an_unknown_person_is_recorded_and_blocks_nothing_newer() -> None:
    w = World()
    assert intake(w, cancel("c1", T0)) == "cancelled"
    # A later re-offer (a new hire after the cancel) is onboarded as usual.
    assert intake(w, hire("again", T0 + timedelta(days=1))) == "accepted"


def test_the_manager_missing_sends_the_notice_to_the_admins() -> None:
    w = World()
    tid = w.joiner()
    w.run(tid)
    w.directory.managers["id-E1"] = Manager("m1", "Grace", None, "en")

    intake(w, cancel("c1", w.clock.now()))
    w.run(tid)

    notice = w.mailer.sent[-1][0]
    assert notice.to == ("admins@contoso.example",) and notice.cc == ()


def test_the_tap_email_outcome_is_unchanged_for_hires() -> None:
    w = World()
    tid = w.joiner()
    assert w.run(tid)[0] is Status.DELIVERED
    assert isinstance(w.directory.taps[0][1], IssuedTap)


def test_a_hire_sent_between_the_cancelled_hire_and_the_cancel_arriving_late_is_not_onboarded() -> (
    None
):
    w = World()
    tid = w.joiner()
    w.run(tid)
    hired_at = w.record(tid).occurred_at
    assert hired_at is not None
    intake(w, cancel("c1", hired_at + timedelta(hours=2)))
    w.run(tid)

    assert intake(w, hire("between", hired_at + timedelta(hours=1))) == "superseded"

    assert len(w.directory.taps) == 1  # only the pass the cancel already deleted
    [between] = [r for r in w.ledger.records.values() if r.event_id == "between"]
    assert between.reason == "older_event"


def test_a_cancel_resent_answers_with_the_onboarding_it_stopped() -> None:
    w = World()
    tid = w.joiner()
    w.run(tid)
    first = asyncio.run(w.services.accept_hr_request.accept([cancel("c1", w.clock.now())]))
    again = asyncio.run(w.services.accept_hr_request.accept([cancel("c1", w.clock.now())]))
    assert first[0].tracking_id == again[0].tracking_id == tid
    assert again[0].enqueued is False


def test_an_enrolled_persons_onboarding_is_over_and_a_withdrawal_changes_nothing() -> None:
    w = World()
    tid = w.joiner()
    w.run(tid)
    asyncio.run(
        w.ledger.save(replace(w.record(tid), status=Status.ENROLLED, enrolled_at=w.clock.now()))
    )
    sent = len(w.mailer.sent)

    assert intake(w, cancel("c1", w.clock.now())) == "cancelled"

    assert w.record(tid).status is Status.ENROLLED
    [withdrawal] = [r for r in w.ledger.records.values() if r.event_id == "c1"]
    assert (withdrawal.reason, withdrawal.reason_detail) == (
        "nothing_to_cancel",
        "already enrolled",
    )
    assert "id-E1" in w.directory.groups[GROUP] and len(w.mailer.sent) == sent
