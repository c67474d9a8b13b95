"""Onboarding end to end: signed HR events → local host → Azurite queues → Graph and ACS emulators."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from tests.e2e.canary import leaks, passcodes_in, storage_texts
from tests.e2e.stack import PASSWORDLESS_GROUP, Tapstart, canonical_event

TODAY = datetime.now(UTC).date().isoformat()
MANAGER = "maria.manager@contoso.example"


def accept(tapstart: Tapstart, event: dict) -> str:
    result = tapstart.post_event(event)
    assert result.status == 202, result.text
    [tracking_id] = result.json()["trackingIds"]
    assert result.headers["Location"] == f"/api/onboarding/{tracking_id}"
    return str(tracking_id)


def test_start_today_joiner_gets_groups_a_working_tap_and_the_manager_an_email(
    tapstart: Tapstart,
) -> None:
    tracking_id = accept(tapstart, canonical_event("E1001", TODAY))
    status = tapstart.wait_final(tracking_id)
    assert status["status"] == "delivered", status
    assert [s["step"] for s in status["steps"]] == [
        "accepted",
        "resolve_user",
        "guardrails",
        "groups",
        "tap",
        "delivery",
    ]
    assert status["delivery"]["recipient"] == "m***r@contoso.example"
    # THEN the manager's email carries a TAP that really signs the joiner in
    [email] = tapstart.messages_to(MANAGER)
    [passcode] = passcodes_in([email])
    assert passcode not in email["subject"]
    user = tapstart.graph.control.user("jamie.joiner@contoso.example")
    assert PASSWORDLESS_GROUP in json.dumps(user)
    registered = tapstart.graph.control.register(
        "jamie.joiner@contoso.example",
        "microsoftAuthenticatorPasswordless",
        temporary_access_pass=passcode,
    )
    assert registered, "the emulator accepted the delivered TAP"


def test_the_same_event_three_times_makes_one_tap_and_one_email(tapstart: Tapstart) -> None:
    event = canonical_event("E1001", TODAY)
    ids = {accept(tapstart, event) for _ in range(3)}
    assert len(ids) == 1
    tapstart.wait_final(ids.pop())
    assert len(tapstart.messages_to(MANAGER)) == 1
    assert len([t for t in tapstart.graph.control.taps() if "jamie" in json.dumps(t)]) == 1


def test_guardrails_refuse_admin_enrolled_and_disabled_accounts_without_a_tap(
    tapstart: Tapstart,
) -> None:
    expected = {"E1004": "admin_role", "E1003": "already_enrolled", "E1005": "account_disabled"}
    ids = {employee: accept(tapstart, canonical_event(employee, TODAY)) for employee in expected}
    for employee, reason in expected.items():
        status = tapstart.wait_final(ids[employee])
        assert (status["status"], status["reason"]) == ("refused", reason)
    assert tapstart.messages_to(MANAGER) == []
    assert tapstart.graph.control.taps() == []


def test_an_account_provisioned_after_the_event_is_onboarded_when_it_appears(
    tapstart: Tapstart,
) -> None:
    tracking_id = accept(
        tapstart, canonical_event("E7001", TODAY, userPrincipalName="late.larry@contoso.example")
    )
    waiting = tapstart.wait_final(
        tracking_id, accept=lambda s: s["status"] == "waiting_for_account"
    )
    assert waiting["final"] is False
    tapstart.graph.control.add_user(
        userPrincipalName="late.larry@contoso.example",
        employeeId="E7001",
        displayName="Late Larry",
        manager=MANAGER,
        createdDateTime="now",
    )
    assert tapstart.wait_final(tracking_id)["status"] == "delivered"
    assert len(tapstart.messages_to(MANAGER)) == 1


def test_a_prehire_waits_for_the_hire_date_and_gets_no_tap_yet(tapstart: Tapstart) -> None:
    hire = (date.today() + timedelta(days=30)).isoformat()
    tracking_id = accept(tapstart, canonical_event("E1002", hire))
    status = tapstart.wait_final(
        tracking_id, accept=lambda s: s["status"] == "waiting_for_hire_date"
    )
    assert status["tap"] is None and tapstart.graph.control.taps() == []


def test_graph_throttling_and_outages_during_onboarding_end_in_success(tapstart: Tapstart) -> None:
    tapstart.graph.control.set_faults(
        rules=[
            {"path": "/users$", "method": "GET", "status": 429, "retryAfter": 1, "count": 2},
            {"path": "temporaryAccessPassMethods", "method": "POST", "status": 503, "count": 5},
        ]
    )
    tracking_id = accept(tapstart, canonical_event("E1001", TODAY))
    status = tapstart.wait_final(tracking_id, timeout=90)
    assert status["status"] == "delivered"
    assert len(tapstart.messages_to(MANAGER)) == 1
    log = tapstart.graph.control.requests()["requests"]
    answered = [
        (r["status"], r["path"].rsplit("/", 1)[-1]) for r in log if r["method"] in ("GET", "POST")
    ]
    assert answered.count((503, "temporaryAccessPassMethods")) == 5  # every injected outage was met
    assert answered.count((429, "users")) == 2


def test_email_failures_after_the_tap_was_created_deliver_exactly_one_live_tap(
    tapstart: Tapstart,
) -> None:
    from local.acs_email_emulator.control import Fault

    tapstart.acs.control.set_faults(Fault(status=500, count=4))
    tracking_id = accept(tapstart, canonical_event("E1001", TODAY))
    status = tapstart.wait_final(tracking_id, timeout=90)
    assert status["status"] == "delivered"
    [email] = tapstart.messages_to(MANAGER)
    [passcode] = passcodes_in([email])
    assert len(tapstart.graph.control.taps()) == 1  # earlier undelivered TAPs were replaced
    assert tapstart.graph.control.register(
        "jamie.joiner@contoso.example", temporary_access_pass=passcode
    )


def test_tap_values_appear_only_in_the_delivered_emails(tapstart: Tapstart) -> None:
    answers = []
    ids = []
    for employee in ("E1001", "E1006", "E1009"):
        result = tapstart.post_event(canonical_event(employee, TODAY))
        answers.append(result.text)
        ids += result.json()["trackingIds"]
    answers += [json.dumps(tapstart.wait_final(t)) for t in ids]
    secrets = passcodes_in(tapstart.acs.control.messages())
    assert secrets, "at least one TAP was delivered"
    places = storage_texts(tapstart.settings["AzureWebJobsStorage"])
    places["host log"] = tapstart.host.logs()
    places.update({f"http answer {i}": a for i, a in enumerate(answers)})
    assert leaks(secrets, places) == []


def test_a_guest_or_disabled_manager_never_receives_the_pass_the_fallback_does(
    tapstart: Tapstart,
) -> None:
    control = tapstart.graph.control
    unsafe = {
        "guest": {
            "userPrincipalName": "gus_partner.example#EXT#@contoso.example",
            "mail": "gus@partner.example",
            "userType": "Guest",
        },
        "disabled": {
            "userPrincipalName": "dora.departed@contoso.example",
            "mail": "dora.departed@contoso.example",
            "accountEnabled": False,
        },
    }
    ids = {}
    for n, (label, manager) in enumerate(unsafe.items()):
        control.add_user(displayName=f"Manager {label}", createdDateTime="now-400d", **manager)
        control.add_user(
            userPrincipalName=f"report{n}@contoso.example",
            displayName=f"Report {n}",
            employeeId=f"E760{n}",
            manager=manager["userPrincipalName"],
            createdDateTime="now-1d",
        )
        ids[label] = accept(tapstart, canonical_event(f"E760{n}", TODAY))

    for label, tracking_id in ids.items():
        status = tapstart.wait_final(tracking_id)
        assert status["status"] == "delivered", (label, status)
        [step] = [s for s in status["steps"] if s["step"] == "recipient"]
        assert label in step["detail"]  # the status says why the manager did not get it
    for manager in unsafe.values():
        assert tapstart.messages_to(manager["mail"]) == []
    assert len(tapstart.messages_to("it-onboarding@contoso.example")) == 2
