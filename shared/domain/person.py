"""One person, one onboarding: which of a person's ledger records an HR event acts on.

A person is their employee id. HR events carry their own time (`occurredAt`), and that time,
not the order of arrival, decides: an event older than one already received for the same person
changes nothing. A newer hire event (a moved start, a resend with a new id) carries the person's
onboarding on under its own record; the old one is superseded. Pure functions over the records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from shared.domain.joiner import JoinerEvent
from shared.domain.passwordless import MethodKind, SignInMethod
from shared.domain.record import JoinerRecord, Status

# Records that never took anything in the tenant, or are already over.
_CLOSED = frozenset({Status.REFUSED, Status.FAILED, Status.SUPERSEDED})


def _when(record: JoinerRecord) -> datetime:
    return record.occurred_at or record.accepted_at


def current_onboarding(records: Sequence[JoinerRecord]) -> JoinerRecord | None:
    """The person's onboarding a cancel acts on: their latest hire that is not closed
    (a cancelled one included, so that a repeated cancel is a no-op)."""
    hires = [r for r in records if r.kind == "hire" and r.status not in _CLOSED]
    return max(hires, key=_when, default=None)


def withdrawable(record: JoinerRecord | None) -> bool:
    """Whether a withdrawal (a cancel) still has something to stop. An enrolled person's
    onboarding is over: what becomes of the account then is the leaver process's business,
    and a feed deactivating a leaver months later must not read as a withdrawn offer."""
    return record is not None and record.status not in {
        Status.ENROLLED,
        Status.CANCELLING,
        Status.CANCELLED,
    }


def recorded(event: JoinerEvent, records: Sequence[JoinerRecord]) -> JoinerRecord | None:
    """The person's record of this very event, if one exists under any tracking id (one
    derived with an earlier tracking-id key, or before ids were keyed): a redelivery acts on it
    instead of starting a second onboarding."""
    return next((r for r in records if r.event_id == event.event_id), None)


def overruled_by(event: JoinerEvent, records: Sequence[JoinerRecord]) -> JoinerRecord | None:
    """A record of the same person from a *newer* event that makes `event` stale: a later hire
    (for a hire or a cancel), or a later cancel (for a hire). None: `event` stands."""
    later = [
        r
        for r in records
        if r.event_id != event.event_id
        and r.status is not Status.SUPERSEDED
        and r.occurred_at is not None
        and r.occurred_at > event.occurred_at
        and (r.kind == "hire" or event.kind == "hire")
    ]
    return max(later, key=_when, default=None)


def carried_from(tracking_id: str, records: Sequence[JoinerRecord]) -> JoinerRecord | None:
    """The onboarding a new hire event for the person carries on: one already marked as
    superseded by it (an earlier attempt stopped half-way), else the person's live hire."""
    marked = [r for r in records if r.superseded_by == tracking_id]
    if marked:
        return marked[0]
    current = current_onboarding(records)
    if current is None or current.status in {Status.CANCELLING, Status.CANCELLED}:
        return None  # withdrawn: a later hire is a new offer, onboarded afresh
    return current


def carried_on(new: JoinerRecord, previous: JoinerRecord) -> JoinerRecord:
    """The new event's record taking over the person's previous onboarding: what Tapstart
    already did in the tenant (the account, the groups it added, the pass and how far the
    joiner got with it) goes along, so that nothing is done twice and a later cancel still
    takes back everything. An enrolled person stays enrolled; a pass is settled by the worker
    (`start_move`)."""
    carried = replace(
        new,
        moved_from=previous.tracking_id,
        user_id=previous.user_id,
        upn=new.upn or previous.upn,
        groups_added=previous.groups_added,
    )
    if previous.tap_id is None and previous.enrolled_at is None:
        return carried  # nothing issued yet: the new date simply replaces the old one
    carried = replace(
        carried,
        tap_id=previous.tap_id,
        tap_start=previous.tap_start,
        tap_lifetime_minutes=previous.tap_lifetime_minutes,
        tap_one_time=previous.tap_one_time,
        delivered_to_masked=previous.delivered_to_masked,
        delivered_at=previous.delivered_at,
        tap_used_at=previous.tap_used_at,
        authenticator_at=previous.authenticator_at,
        target_method=previous.target_method,
        tap_retired_at=previous.tap_retired_at,
        enrolled_at=previous.enrolled_at,
        reminders=previous.reminders,
    )
    if previous.enrolled_at is not None:
        return carried.with_step(
            "start_moved", new.accepted_at, "ok", "already enrolled", status=Status.ENROLLED
        )
    return carried


FIRST_DAY = timedelta(hours=24)


class StartMove(StrEnum):
    KEEP = "keep"  # the delivered pass still works on the new first day (or is already used)
    REPLACE = "replace"  # retire it; a new pass for the new date, with one "start moved" email


def start_move(
    record: JoinerRecord, starts: datetime, pass_listed: bool = True
) -> StartMove | None:
    """What a carried-on pass becomes when the first day is now `starts` (the new pass's valid
    from); None: nothing carried, onboard as usual. `pass_listed`: whether Graph still lists
    the pass (a helpdesk may have deleted it); a pass that is gone is never kept."""
    settled = any(step.step == "start_moved" for step in record.steps)
    if record.moved_from is None or record.tap_id is None or record.status.final or settled:
        return None
    if record.delivered_at is None:
        return StartMove.REPLACE  # never confirmed delivered: the fresh pass is the one
    if record.tap_used_at is not None or record.authenticator_at is not None:
        return StartMove.KEEP  # the joiner is already in; the pass has done its work
    if not pass_listed or record.tap_start is None or record.tap_lifetime_minutes is None:
        return StartMove.REPLACE
    # Covered: the pass works at some time of the new first day (from its start hour on), as a
    # pass issued on the hire day itself does from the moment it is issued.
    ends = record.tap_start + timedelta(minutes=record.tap_lifetime_minutes)
    covers = record.tap_start < starts + FIRST_DAY and ends > starts
    return StartMove.KEEP if covers else StartMove.REPLACE


def passes_to_retire(record: JoinerRecord, methods: tuple[SignInMethod, ...]) -> list[str]:
    """The usable TAPs this onboarding issued: by recorded id, or — none recorded — created
    after the onboarding was accepted (only Tapstart issues passes to a joiner that new)."""
    taps = [m for m in methods if m.kind is MethodKind.TAP and m.usable is not False]
    if record.tap_id:
        return [m.id for m in taps if m.id == record.tap_id]
    return [m.id for m in taps if m.created is not None and m.created >= record.accepted_at]
