"""A moved start: before the pass it is a silent reschedule; after delivery the pass is kept when
it still works on the new first day, else deleted and replaced with one "start moved" email.
Never two live passes, never two onboardings of one person."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from shared.domain.joiner import JoinerEvent
from shared.domain.passwordless import MethodKind
from shared.domain.person import StartMove, carried_from, carried_on, start_move
from shared.domain.record import JoinerRecord, Status, StepLog
from tests.fakes import accepted_record
from tests.unit.onboarding.world import GROUP, NOW, TODAY, World

LATER = timedelta(hours=1)


def moved(hire: date, event_id: str = "moved-1", at: datetime = NOW + LATER) -> JoinerEvent:
    return JoinerEvent(
        event_id, at, "E1", hire, display_name="Ada Lovelace", time_zone="Europe/Berlin"
    )


def intake(w: World, event: JoinerEvent) -> tuple[str, str]:
    [accepted] = asyncio.run(w.services.accept_hr_request.accept([event]))
    return accepted.tracking_id, accepted.status


def live_taps(w: World) -> list[str]:
    """The passes the directory still lists (a not-yet-valid pass counts: it will work)."""
    methods = asyncio.run(w.directory.sign_in_methods("id-E1"))
    return [m.id for m in methods if m.kind is MethodKind.TAP]


# --- the pure rules ------------------------------------------------------------------------

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def carried(**changes: object) -> JoinerRecord:
    base = accepted_record(moved(date(2026, 12, 7)), NOW)
    values: dict[str, object] = {
        "moved_from": "old",
        "tap_id": "tap-1",
        "tap_start": T0,
        "tap_lifetime_minutes": 3 * 24 * 60,  # a pass valid for three days
        "delivered_at": NOW,
    }
    values.update(changes)
    return replace(base, **values)  # type: ignore[arg-type]


def test_a_delivered_pass_is_kept_while_it_covers_the_new_first_day() -> None:
    assert start_move(carried(), T0) is StartMove.KEEP
    assert start_move(carried(), T0 + timedelta(days=2, hours=23)) is StartMove.KEEP


def test_a_pass_issued_during_the_first_day_covers_it() -> None:
    issued_later = carried(tap_start=T0 + timedelta(hours=3), tap_lifetime_minutes=60)
    assert start_move(issued_later, T0) is StartMove.KEEP
    assert start_move(issued_later, T0 + timedelta(days=1)) is StartMove.REPLACE


def test_a_later_or_earlier_first_day_outside_the_pass_replaces_it() -> None:
    assert start_move(carried(), T0 + timedelta(days=3)) is StartMove.REPLACE
    assert start_move(carried(), T0 - timedelta(days=1)) is StartMove.REPLACE


def test_a_pass_the_joiner_already_used_is_kept_whatever_the_date() -> None:
    assert start_move(carried(tap_used_at=NOW), T0 + timedelta(days=30)) is StartMove.KEEP


def test_a_pass_never_confirmed_delivered_is_replaced() -> None:
    assert start_move(carried(delivered_at=None), T0) is StartMove.REPLACE


def test_nothing_to_settle_without_a_carried_pass_or_once_settled() -> None:
    assert start_move(carried(moved_from=None), T0) is None
    assert start_move(carried(tap_id=None), T0) is None
    settled = carried(steps=(StepLog("start_moved", NOW, "ok", ""),))
    assert start_move(settled, T0 + timedelta(days=30)) is None  # the new pass is never deleted


def test_what_tapstart_did_goes_along_with_the_onboarding() -> None:
    previous = replace(
        accepted_record(moved(date(2026, 12, 7), "old"), NOW),
        status=Status.DELIVERED,
        user_id="u1",
        groups_added=(GROUP,),
        tap_id="tap-1",
        delivered_at=NOW,
    )
    new = carried_on(accepted_record(moved(date(2026, 12, 14), "new"), NOW), previous)
    assert (new.moved_from, new.user_id, new.groups_added) == (previous.tracking_id, "u1", (GROUP,))
    assert (new.tap_id, new.delivered_at, new.status) == ("tap-1", NOW, Status.ACCEPTED)
    assert new.hire_date == date(2026, 12, 14)

    enrolled = replace(previous, status=Status.ENROLLED, enrolled_at=NOW)
    after = carried_on(accepted_record(moved(date(2026, 12, 14), "new"), NOW), enrolled)
    assert after.status is Status.ENROLLED and after.enrolled_at == NOW


def test_a_withdrawn_onboarding_is_not_carried_on_by_a_later_hire() -> None:
    cancelled = replace(accepted_record(moved(TODAY, "old"), NOW), status=Status.CANCELLED)
    assert carried_from("new", [cancelled]) is None
    marked = replace(cancelled, status=Status.SUPERSEDED, superseded_by="new")
    assert carried_from("new", [marked]) == marked  # a half-done move is finished, not redone


# --- through the composition root, on fakes ---------------------------------------------


def test_a_date_moved_before_the_tap_reschedules_silently() -> None:
    w = World()
    old = w.joiner(hire=TODAY + timedelta(days=10))
    assert w.run(old)[0] is Status.WAITING_FOR_HIRE_DATE

    new, status = intake(w, moved(TODAY + timedelta(days=20)))

    assert status == "accepted"
    assert w.record(old).status is Status.SUPERSEDED and w.record(old).superseded_by == new
    assert w.run(old)[0] is Status.SUPERSEDED  # its wake-up message does nothing
    w.clock.current += timedelta(days=9)
    assert w.run(new)[0] is Status.WAITING_FOR_HIRE_DATE  # the old date no longer counts
    w.clock.current += timedelta(days=10)
    assert w.run(new)[0] is Status.DELIVERED
    assert len(w.directory.taps) == 1 and w.email_kinds() == ["tap_delivery"]
    assert "verschoben" not in w.mailer.sent[0][0].subject  # nothing to say about a move


def test_a_date_moved_past_the_delivered_pass_replaces_it_with_one_email() -> None:
    w = World()
    old = w.joiner()
    assert w.run(old)[0] is Status.DELIVERED
    [(_, first)] = w.directory.taps

    new, _ = intake(w, moved(TODAY + timedelta(days=7)))
    assert w.run(new)[0] is Status.WAITING_FOR_HIRE_DATE

    assert w.directory.deleted_taps == [("id-E1", first.id)]  # gone before any new pass exists
    assert live_taps(w) == []
    w.clock.current += timedelta(days=6)
    assert w.run(new)[0] is Status.DELIVERED
    [(_, second)] = w.directory.taps[1:]
    assert live_taps(w) == [second.id]
    emails = [email for email, _ in w.mailer.sent]
    assert [e.kind for e in emails] == ["tap_delivery", "tap_delivery"]
    moved_email = emails[1]
    assert moved_email.to == ("grace@contoso.example",)
    assert "verschoben" in moved_email.subject  # the manager reads German
    assert "funktioniert nicht mehr" in moved_email.text and second.passcode in moved_email.text
    assert first.passcode not in moved_email.text
    record = w.record(new)
    assert record.groups_added == (GROUP,) and record.tap_id == second.id


def test_a_move_the_delivered_pass_still_covers_keeps_it_and_says_nothing() -> None:
    w = World()
    old = w.joiner()
    w.run(old)

    new, _ = intake(w, moved(TODAY))  # the same day again, under a new event id

    assert w.run(new) == (Status.DELIVERED, None)
    assert w.directory.deleted_taps == [] and len(w.directory.taps) == 1
    assert w.email_kinds() == ["tap_delivery"]
    assert w.record(new).tap_id == w.directory.taps[0][1].id


def test_an_enrolled_person_stays_enrolled_and_nothing_is_enqueued() -> None:
    w = World()
    old = w.joiner()
    w.run(old)
    asyncio.run(
        w.ledger.save(replace(w.record(old), status=Status.ENROLLED, enrolled_at=w.clock.now()))
    )
    queued = len(w.onboarding_messages())

    _, status = intake(w, moved(TODAY + timedelta(days=7)))

    assert status == "enrolled" and len(w.onboarding_messages()) == queued
    assert w.record(old).status is Status.SUPERSEDED


def test_a_cancel_after_a_move_takes_back_what_both_did() -> None:
    w = World()
    old = w.joiner()
    w.run(old)
    new, _ = intake(w, moved(TODAY + timedelta(days=7)))
    w.run(new)
    cancel = replace(moved(TODAY, "c1", NOW + 2 * LATER), kind="cancel", reason="declined")

    tracking_id, status = intake(w, cancel)

    assert (tracking_id, status) == (new, "cancelling")
    assert w.run(new) == (Status.CANCELLED, "offer_withdrawn")
    assert "id-E1" not in w.directory.groups[GROUP]  # the group the first onboarding added


def test_a_carried_pass_graph_no_longer_lists_is_replaced_not_kept() -> None:
    w = World()
    old = w.joiner()
    w.run(old)
    [(_, first)] = w.directory.taps
    w.directory.deleted_taps.append(("id-E1", first.id))  # the helpdesk deleted it

    new, _ = intake(w, moved(TODAY))  # would be covered, but the pass is gone

    assert w.run(new)[0] is Status.DELIVERED
    assert len(w.directory.taps) == 2 and w.email_kinds() == ["tap_delivery", "tap_delivery"]
