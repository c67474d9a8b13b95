"""Done means passwordless, end to end on the local stack: each joiner is followed stage by stage
to a target method (phone sign-in or a passkey), reminded with the text for their stage, and
Tapstart's TAP is deleted once the target is there — never a TAP that is not Tapstart's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from local.stack import LOCAL_REPORTS_KEY
from tests.e2e.canary import leaks, passcodes_in, storage_texts
from tests.e2e.stack import Tapstart, launch, onboard, run_report, wait_for
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph, graph_call
from tests.fixtures.host import HostLauncher

# The SDK's request builders warn when first imported (kiota's deprecated GetQueryParameters);
# that is the SDK's business (tests/emulators/graph/conftest.py ignores the same two).
pytestmark = [
    pytest.mark.filterwarnings("ignore:GetQueryParameters is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning"),
]

ADMINS = "identity-admins@contoso.example"
MANAGER = "maria.manager@contoso.example"


@pytest.fixture(scope="module")
def staged(
    module_launcher: HostLauncher,
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
) -> Tapstart:
    # Reminder day 0: a joiner is due a first reminder as soon as the TAP is valid. Multi-use
    # passes: a one-time pass is used up by the registration itself, so there is none left to
    # retire (the unit tests cover that case).
    return launch(
        module_launcher,
        azurite,
        graph_emulator,
        acs_emulator,
        REMINDER_DAYS="0,5",
        REMINDER_MAX_COUNT="2",
        TAP_ONE_TIME="false",
    )


@pytest.fixture
def stack(staged: Tapstart, graph: EmulatedGraph, acs: AcsEmulator) -> Iterator[Tapstart]:
    # Each test starts with the seed tenant and an empty outbox; the ledger is the module's, so
    # each test uses joiners of its own. The tenant's TAP policy allows multi-use passes here:
    # the pass then outlives the first registration, which is what retiring it is for.
    allow_multi_use_passes(graph)
    yield staged


def allow_multi_use_passes(graph: EmulatedGraph) -> None:
    from msgraph.generated.models.temporary_access_pass_authentication_method_configuration import (
        TemporaryAccessPassAuthenticationMethodConfiguration,
    )

    admin = next(
        app["clientId"]
        for app in graph.seed["apps"]
        if "Policy.ReadWrite.AuthenticationMethod" in app.get("roles", [])
    )
    change = TemporaryAccessPassAuthenticationMethodConfiguration(is_usable_once=False)

    def patch(client: Any) -> Any:
        configurations = (
            client.policies.authentication_methods_policy.authentication_method_configurations
        )
        return configurations.by_authentication_method_configuration_id(
            "TemporaryAccessPass"
        ).patch(change)

    graph_call(graph, patch, admin)


def new_joiner(stack: Tapstart, n: int) -> tuple[str, str]:
    """A fresh account created yesterday, managed by Maria; returns (employee id, UPN)."""
    employee_id, upn = f"E77{n:02d}", f"joiner{n:02d}@contoso.example"
    stack.graph.control.add_user(
        userPrincipalName=upn,
        displayName=f"Joiner {n:02d}",
        givenName="Joiner",
        employeeId=employee_id,
        manager=MANAGER,
        createdDateTime="now-1d",
    )
    return employee_id, upn


def passcode_for(stack: Tapstart, display_name: str) -> str:
    [email] = [m for m in stack.messages_to(MANAGER) if display_name in json.dumps(m)]
    [passcode] = passcodes_in([email])
    return passcode


def tap_of(stack: Tapstart, upn: str) -> dict[str, Any] | None:
    return next((t for t in stack.graph.control.taps() if t["userPrincipalName"] == upn), None)


def reminders_to(stack: Tapstart, address: str) -> list[dict[str, Any]]:
    # A joiner's personal address gets reminders only (the TAP goes to the manager).
    return stack.messages_to(address)


def test_push_only_is_reminded_to_turn_on_phone_sign_in_then_enrols_and_the_tap_is_retired(
    stack: Tapstart,
) -> None:
    employee_id, upn = new_joiner(stack, 1)
    tracking_id = onboard(stack, employee_id, personalEmail="one.private@example.org")
    tap_id = stack.status(tracking_id)["tap"]["id"]
    stack.graph.control.register(
        upn, "microsoftAuthenticatorPush", temporary_access_pass=passcode_for(stack, "Joiner 01")
    )
    stack.graph.control.set_report_lag(0)

    assert run_report(stack)["reminders_enqueued"] == 1
    [reminder] = wait_for(lambda: reminders_to(stack, "one.private@example.org"))
    assert "turn on phone sign-in" in reminder["subject"].lower()
    text = reminder.get("plainText") or ""
    assert "Enable phone sign-in" in text and "one work account" in text
    status = stack.status(tracking_id)
    assert status["status"] == "delivered" and status["stage"] == "authenticator"
    assert status["stages"]["authenticatorAt"] is not None
    assert tap_of(stack, upn) is not None  # push alone: the pass stays

    stack.graph.control.enable_phone_sign_in(upn)
    run_report(stack)

    status = stack.status(tracking_id)
    assert status["status"] == "enrolled" and status["stage"] == "target"
    assert status["stages"]["targetMethod"] == "phone_sign_in"
    assert datetime.fromisoformat(status["enrolledAt"]) <= datetime.fromisoformat(
        status["tapRetiredAt"]
    )
    assert tap_of(stack, upn) is None  # Tapstart's TAP is gone from the tenant
    assert [s["outcome"] for s in status["steps"] if s["step"] == "tap_retire"] == ["ok"]
    assert tap_id and len(reminders_to(stack, "one.private@example.org")) == 1


def test_a_passkey_in_authenticator_found_live_before_a_reminder_stops_it_and_retires_the_tap(
    stack: Tapstart,
) -> None:
    employee_id, upn = new_joiner(stack, 2)
    tracking_id = onboard(stack, employee_id, personalEmail="two.private@example.org")
    stack.graph.control.set_report_lag(3600)  # the report still shows nothing registered
    stack.graph.control.register(
        upn,
        "passKeyDeviceBoundAuthenticator",
        temporary_access_pass=passcode_for(stack, "Joiner 02"),
        platform="android",
    )

    assert run_report(stack)["reminders_enqueued"] == 1
    status = wait_for(lambda: (s := stack.status(tracking_id))["reminders"]["skipped"] == 1 and s)

    assert status["status"] == "enrolled" and status["stages"]["targetMethod"] == "passkey"
    assert status["tapRetiredAt"] is not None and tap_of(stack, upn) is None
    assert reminders_to(stack, "two.private@example.org") == []


def test_a_tap_that_is_not_tapstarts_is_never_deleted(stack: Tapstart) -> None:
    employee_id, upn = new_joiner(stack, 3)
    tracking_id = onboard(stack, employee_id)
    ours = stack.status(tracking_id)["tap"]["id"]
    user_id = stack.graph.control.user(upn)["id"]

    async def helpdesk_pass(client: Any) -> Any:
        from msgraph.generated.models.temporary_access_pass_authentication_method import (
            TemporaryAccessPassAuthenticationMethod,
        )

        methods = client.users.by_user_id(user_id).authentication.temporary_access_pass_methods
        return await methods.post(TemporaryAccessPassAuthenticationMethod(lifetime_in_minutes=60))

    theirs = graph_call(stack.graph, helpdesk_pass).id  # replaces Tapstart's pass (one per user)
    assert theirs != ours
    stack.graph.control.register(upn, "microsoftAuthenticatorPasswordless", via_tap=False)
    stack.graph.control.set_report_lag(0)

    run_report(stack)

    status = stack.status(tracking_id)
    assert status["status"] == "enrolled" and status["tapRetiredAt"] is None
    assert (tap_of(stack, upn) or {}).get("id") == theirs  # the helpdesk's pass is untouched
    assert [s["detail"] for s in status["steps"] if s["step"] == "tap_retire"] == ["TAP gone"]


def test_the_funnel_in_the_digest_and_the_json_matches_a_hand_count(stack: Tapstart) -> None:
    # The module's ledger may hold joiners of the tests above: count the four made here by the
    # difference between a report just before and one after.
    run_report(stack)
    before = _funnel(stack)
    joiners = [new_joiner(stack, n) for n in (11, 12, 13, 14)]
    ids = [onboard(stack, e, personalEmail=f"p{i}@example.org") for i, (e, _) in enumerate(joiners)]
    secrets = passcodes_in(stack.acs.control.messages())
    _, (_, gave_up), (_, push), (_, done) = joiners
    # Signed in on a PC with the pass and set up Windows Hello, which is no target here: the
    # pass was used (a method registered after it started), the joiner is not done.
    stack.graph.control.register(
        gave_up, "windowsHelloForBusiness", temporary_access_pass=passcode_for(stack, "Joiner 12")
    )
    stack.graph.control.register(push, temporary_access_pass=passcode_for(stack, "Joiner 13"))
    stack.graph.control.register(
        done,
        "microsoftAuthenticatorPasswordless",
        temporary_access_pass=passcode_for(stack, "Joiner 14"),
    )
    stack.graph.control.set_report_lag(0)

    run_report(stack)  # follows push and done from the report; reminds the other three
    wait_for(lambda: all(stack.status(t)["reminders"]["sent"] == 1 for t in ids[:3]))
    stack.acs.control.reset()
    run_report(stack)  # the reminders' live reads recorded "signed in with the TAP" for gave_up

    # Hand count of the four: delivered 4; used the TAP 3 (gave up, push, done); Authenticator
    # 2 (push, done); passwordless 1 (done).
    after = _funnel(stack)
    added = {stage: after[stage] - before.get(stage, 0) for stage in after}
    assert added == {
        "accepted": 4,
        "tap_issued": 4,
        "delivered": 4,
        "tap_used": 3,
        "authenticator": 2,
        "target": 1,
    }
    assert [stack.status(t)["stage"] for t in ids] == [
        "delivered",
        "tap_used",
        "authenticator",
        "target",
    ]
    [digest] = stack.messages_to(ADMINS)
    text = digest.get("plainText") or ""
    for label, stage in [
        ("TAP delivered", "delivered"),
        ("Signed in with the TAP", "tap_used"),
        ("Authenticator registered", "authenticator"),
        ("Passwordless (target reached)", "target"),
    ]:
        assert f"{label:<40} {after[stage]}" in text
    assert "REGISTRATIONS IN THE LAST 24 HOURS" in text

    # Canary: the passes went to the managers' emails and nowhere else, stages and retirement
    # included (ledger steps, reminders, snapshots, queues, logs, status answers).
    assert len(secrets) == 4
    places = storage_texts(stack.settings["AzureWebJobsStorage"])
    places["host log"] = stack.host.logs()
    places.update({f"status {t}": json.dumps(stack.status(t)) for t in ids})
    assert leaks(secrets, places) == []


def _funnel(stack: Tapstart) -> dict[str, int]:
    result = stack.host.request("GET", "/api/reports/latest?format=json", key=LOCAL_REPORTS_KEY)
    if result.status == 404:
        return {}
    assert result.status == 200, result.text
    return {f["stage"]: f["count"] for f in result.json()["cohort"]["funnel"]}
