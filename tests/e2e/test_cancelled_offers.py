"""Withdrawn offers end to end: HR's cancel stops a waiting onboarding, or takes back a delivered
pass and the groups Tapstart added, tells the manager, and ends in `cancelled`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.e2e.canary import passcodes_in
from tests.e2e.stack import PASSWORDLESS_GROUP, Tapstart, canonical_event, onboard, wait_for

MANAGER = "maria.manager@contoso.example"


def cancel_event(employee_id: str, reason: str = "candidate declined") -> dict[str, Any]:
    return {
        "type": "joiner.cancelled",
        "eventId": f"evt-{uuid.uuid4().hex}",
        "occurredAt": datetime.now(UTC).isoformat(),
        "employeeId": employee_id,
        "reason": reason,
    }


def send(tapstart: Tapstart, payload: dict[str, Any]) -> dict[str, Any]:
    result = tapstart.post_event(payload)
    assert result.status == 202, result.text
    return dict(result.json())


def test_a_rescinded_joiner_after_delivery_loses_the_tap_and_groups_and_the_manager_is_told(
    tapstart: Tapstart,
) -> None:
    tracking_id = onboard(tapstart, "E1001")
    upn = "jamie.joiner@contoso.example"
    assert any(t["userPrincipalName"] == upn for t in tapstart.graph.control.taps())
    [delivery] = tapstart.messages_to(MANAGER)
    [passcode] = passcodes_in([delivery])

    answer = send(tapstart, cancel_event("E1001"))

    assert answer["trackingIds"] == [tracking_id]
    status = tapstart.wait_final(tracking_id, accept=lambda s: s["status"] == "cancelled")
    assert status["reason"] == "offer_withdrawn"
    assert not any(t["userPrincipalName"] == upn for t in tapstart.graph.control.taps())
    user = tapstart.graph.control.user(upn)
    assert PASSWORDLESS_GROUP not in user["groups"]
    notices = wait_for(
        lambda: [m for m in tapstart.messages_to(MANAGER) if "cancel" in m["subject"].lower()]
    )
    assert len(notices) == 1 and passcode not in str(notices[0])


def test_a_rescinded_pre_hire_never_gets_a_tap(tapstart: Tapstart) -> None:
    later = (date.today() + timedelta(days=21)).isoformat()
    result = tapstart.post_event(canonical_event("E1002", later))
    assert result.status == 202, result.text
    tracking_id = str(result.json()["trackingIds"][0])
    tapstart.wait_final(tracking_id, accept=lambda s: s["status"] == "waiting_for_hire_date")

    send(tapstart, cancel_event("E1002", "offer withdrawn"))

    status = tapstart.wait_final(tracking_id, accept=lambda s: s["status"] == "cancelled")
    assert status["tap"] is None
    assert tapstart.graph.control.taps() == []


def test_an_older_hire_arriving_after_the_cancel_is_not_onboarded(tapstart: Tapstart) -> None:
    cancel = cancel_event("E1006")
    send(tapstart, cancel)
    stale = canonical_event("E1006", date.today().isoformat())
    stale["occurredAt"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    answer = send(tapstart, stale)

    [tracking_id] = answer["trackingIds"]
    assert tapstart.status(tracking_id)["status"] == "superseded"
    assert tapstart.graph.control.taps() == []


def test_the_cancel_notice_goes_to_the_manager_the_directory_names_now(tapstart: Tapstart) -> None:
    tracking_id = onboard(tapstart, "E1001")
    tapstart.graph.control.add_user(
        userPrincipalName="nina.newlead@contoso.example",
        displayName="Nina Newlead",
        createdDateTime="now-400d",
    )
    tapstart.graph.control.update_user(
        "jamie.joiner@contoso.example", manager="nina.newlead@contoso.example"
    )

    send(tapstart, cancel_event("E1001", "role closed"))

    tapstart.wait_final(tracking_id, accept=lambda s: s["status"] == "cancelled")
    [notice] = wait_for(lambda: tapstart.messages_to("nina.newlead@contoso.example"))
    assert "role closed" in str(notice)
    assert len(tapstart.messages_to(MANAGER)) == 1  # the old manager got only the delivery
