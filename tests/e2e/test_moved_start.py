"""Moved start dates end to end: one person, one onboarding, never two live passes, and the
manager hears only when the pass they hold stopped working."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.e2e.canary import passcodes_in
from tests.e2e.stack import Tapstart, canonical_event, onboard, wait_for

MANAGER = "maria.manager@contoso.example"


def send(tapstart: Tapstart, payload: dict[str, object]) -> str:
    result = tapstart.post_event(payload)
    assert result.status == 202, result.text
    [tracking_id] = result.json()["trackingIds"]
    return str(tracking_id)


def taps_of(tapstart: Tapstart, upn: str) -> list[dict[str, object]]:
    return [t for t in tapstart.graph.control.taps() if t["userPrincipalName"] == upn]


def test_a_start_moved_past_the_delivered_pass_gets_one_new_pass_in_one_email(
    tapstart: Tapstart,
) -> None:
    upn = "jamie.joiner@contoso.example"
    first = onboard(tapstart, "E1001")
    [old_pass] = taps_of(tapstart, upn)
    [delivery] = tapstart.messages_to(MANAGER)
    [old_passcode] = passcodes_in([delivery])

    later = (date.today() + timedelta(days=2)).isoformat()  # inside the pre-hire lead time
    second = send(tapstart, canonical_event("E1001", later))

    status = tapstart.wait_final(second)
    assert status["status"] == "delivered" and status["movedFrom"] == first
    old = tapstart.status(first)
    assert (old["status"], old["supersededBy"], old["reason"]) == (
        "superseded",
        second,
        "newer_event",
    )
    # The old pass was deleted (by Tapstart, before the new one existed): one live pass.
    [moved_step] = [s for s in status["steps"] if s["step"] == "start_moved"]
    assert moved_step["detail"].startswith("previous pass deleted (1)")
    [new_pass] = taps_of(tapstart, upn)
    assert new_pass["id"] != old_pass["id"]
    emails = wait_for(lambda: len(m := tapstart.messages_to(MANAGER)) == 2 and m)
    moved = emails[-1]
    assert "moved" in moved["subject"] and later[:4] in str(moved)
    assert old_passcode not in str(moved) and passcodes_in([moved]) != [old_passcode]


def test_a_start_moved_before_the_pass_reschedules_silently_and_a_late_older_event_loses(
    tapstart: Tapstart,
) -> None:
    first = send(
        tapstart, canonical_event("E1002", (date.today() + timedelta(days=21)).isoformat())
    )
    tapstart.wait_final(first, accept=lambda s: s["status"] == "waiting_for_hire_date")

    second = send(
        tapstart, canonical_event("E1002", (date.today() + timedelta(days=28)).isoformat())
    )

    status = tapstart.wait_final(second, accept=lambda s: s["status"] == "waiting_for_hire_date")
    assert status["hireDate"] == (date.today() + timedelta(days=28)).isoformat()
    assert tapstart.status(first)["status"] == "superseded"
    stale = canonical_event("E1002", date.today().isoformat())
    stale["occurredAt"] = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    third = send(tapstart, stale)
    assert tapstart.status(third)["status"] == "superseded"
    assert tapstart.status(third)["reason"] == "older_event"
    assert tapstart.status(second)["status"] == "waiting_for_hire_date"
    assert tapstart.graph.control.taps() == [] and tapstart.messages_to(MANAGER) == []
