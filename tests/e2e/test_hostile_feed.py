"""A hostile HR feed end to end: signed events that name accounts an attacker would want a TAP
for. Each ends refused (or failed, when privilege cannot be read) with zero TAPs for the account
and the reason in the status answer — on the local host, through Azurite and the emulators.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.data.tables import TableClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from local.stack import LOCAL_HR_KEY, LOCAL_STATUS_KEY
from shared.adapters.table_ledger import TableLedger
from shared.config import resolve_storage
from shared.domain.commands import OnboardJoiner
from shared.domain.tap_cap import hour_range
from tests.e2e.stack import PASSWORDLESS_GROUP, Tapstart, canonical_event, launch
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher

TODAY = datetime.now(UTC).date().isoformat()
MANAGER = "maria.manager@contoso.example"
ROLE_GROUP = "20000000-0000-4000-8000-000000000003"  # the test seed's role-assignable group
AU_SCOPE = "/administrativeUnits/3c8a1f2e-0000-4000-8000-0000000a0001"
# The test seed's app with Tapstart's roles but not the privilege reads (RoleManagement...).
NO_PRIVILEGE_READS = ("5e1d0b7a-0000-4000-8000-00000000a004", "test-secret-no-privilege-reads")


@pytest.fixture(scope="module")
def tapstart_module(
    module_launcher: HostLauncher,
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
) -> Tapstart:
    """This module's host: one TAP an hour, so a joiner can be paused by the flood cap."""
    return launch(module_launcher, azurite, graph_emulator, acs_emulator, TAP_MAX_PER_HOUR="1")


@pytest.fixture(scope="module")
def unprivileged_module(
    module_launcher: HostLauncher,
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
) -> Tapstart:
    """A host whose Graph app lacks the privilege read permissions."""
    client_id, secret = NO_PRIVILEGE_READS
    return launch(
        module_launcher,
        azurite,
        graph_emulator,
        acs_emulator,
        GRAPH_CLIENT_ID=client_id,
        GRAPH_CLIENT_SECRET=secret,
    )


@pytest.fixture
def unprivileged(
    unprivileged_module: Tapstart, graph: EmulatedGraph, acs: AcsEmulator
) -> Iterator[Tapstart]:
    yield unprivileged_module


def _joiner(graph: EmulatedGraph, n: int, **spec: Any) -> dict[str, Any]:
    """A fresh account that would get a TAP but for what `spec` adds."""
    user: dict[str, Any] = graph.control.add_user(
        userPrincipalName=f"hostile{n}@contoso.example",
        displayName=f"Hostile {n}",
        employeeId=f"E8{n:03d}",
        employeeHireDate="today",
        manager=MANAGER,
        createdDateTime="now-1d",
        **spec,
    )
    return user


def _accept(stack: Tapstart, event: dict[str, Any]) -> str:
    result = stack.post_event(event)
    assert result.status == 202, result.text
    [tracking_id] = result.json()["trackingIds"]
    return str(tracking_id)


def _settled(status: dict[str, Any]) -> bool:
    # Paused counts as settled here: a joiner wrongly let through would be paused by this
    # module's one-TAP-an-hour cap, and must fail the assertion, not time out.
    return bool(status["final"]) or status["status"] == "paused"


def _taps_for(graph: EmulatedGraph, user_ids: set[str]) -> list[dict[str, Any]]:
    return [t for t in graph.control.taps() if t["userId"] in user_ids]


def _groups(graph: EmulatedGraph, count: int) -> list[str]:
    specs = [{"displayName": f"Team {n:03d}"} for n in range(count)]
    return [g["id"] for g in graph.control.call("POST", "groups", {"groups": specs})["value"]]


def test_privileged_used_and_borrowed_accounts_get_no_tap(tapstart: Tapstart) -> None:
    graph = tapstart.graph
    control = graph.control
    control.call("PATCH", f"groups/{ROLE_GROUP}", {"roleAssignments": ["Global Administrator"]})
    custom = control.call("POST", "role-definitions", {"displayName": "Password resetter"})
    many_groups = _groups(graph, 120)
    users = {
        "admin via a role-assignable group": (_joiner(graph, 1, groups=[ROLE_GROUP]), "admin_role"),
        "PIM-eligible admin": (
            _joiner(graph, 2, roleEligibilities=[{"role": "Global Administrator"}]),
            "eligible_admin_role",
        ),
        "admin of an administrative unit": (
            _joiner(graph, 3, roleAssignments=[{"role": "User Administrator", "scope": AU_SCOPE}]),
            "admin_role",
        ),
        "custom-role admin": (_joiner(graph, 4, roleAssignments=[custom["id"]]), "admin_role"),
        "admin past memberOf item 100": (
            _joiner(graph, 5, groups=many_groups, directoryRoles=["Global Administrator"]),
            "admin_role",
        ),
        "PIM for Groups eligible member": (
            _joiner(graph, 6, groupEligibilities=[{"group": ROLE_GROUP, "accessId": "member"}]),
            "privileged_group",
        ),
        "app owner": (
            _joiner(graph, 7, ownedObjects=[{"type": "application", "displayName": "HR sync"}]),
            "app_owner",
        ),
        "account with phone MFA": (
            _joiner(graph, 8, methods=[{"type": "mobilePhone", "registeredDateTime": "now-5d"}]),
            "already_enrolled",
        ),
        "account that signed in before": (
            _joiner(graph, 9, signInActivity={"lastSignInDateTime": "now-2d"}),
            "account_used",
        ),
    }
    member_of = graph.control.call("GET", f"users/{users['admin past memberOf item 100'][0]['id']}")
    assert len(member_of["groups"]) == 120  # the directory role comes after item 100
    ids = {
        label: _accept(tapstart, canonical_event(user["employeeId"], TODAY))
        for label, (user, _) in users.items()
    }
    # An unknown employee id with an existing user's UPN: someone else's account.
    ids["unknown employee id, existing UPN"] = _accept(
        tapstart,
        canonical_event("E8999", TODAY, userPrincipalName="jamie.joiner@contoso.example"),
    )
    expected = {label: reason for label, (_, reason) in users.items()}
    expected["unknown employee id, existing UPN"] = "employee_id_mismatch"

    answers = {label: tapstart.wait_final(tid, accept=_settled) for label, tid in ids.items()}

    got = {label: (s["status"], s["reason"]) for label, s in answers.items()}
    assert got == {label: ("refused", reason) for label, reason in expected.items()}
    assert control.taps() == []  # not one pass, not even for jamie.joiner
    assert tapstart.messages_to(MANAGER) == []
    for user, _ in users.values():
        assert PASSWORDLESS_GROUP not in control.user(user["id"])["groups"]


def _hour_keys() -> list[str]:
    now = datetime.now(UTC)
    return [(now + timedelta(hours=h)).strftime("%Y%m%d%H") for h in (0, 1)]


def test_a_joiner_made_global_admin_while_paused_by_the_flood_cap_gets_no_tap(
    tapstart: Tapstart,
) -> None:
    graph = tapstart.graph
    storage = tapstart.settings["AzureWebJobsStorage"]
    cap = int(tapstart.settings.get("TAP_MAX_PER_HOUR", "50"))
    counters = TableLedger(
        resolve_storage({"AzureWebJobsStorage": storage}), tapstart.settings["LEDGER_TABLE"]
    )
    for key in _hour_keys():  # this hour's passes are all out (and the next hour's, in case)
        for _ in range(cap):
            asyncio.run(counters.take_tap_slot(key, cap))
    user = _joiner(graph, 101)
    tracking_id = _accept(tapstart, canonical_event("E8101", TODAY))
    paused = tapstart.wait_final(tracking_id, accept=lambda s: s["status"] == "paused")
    assert paused["tap"] is None

    graph.control.update_user(user["id"], directoryRoles=["Global Administrator"])
    ledger = TableClient.from_connection_string(storage, tapstart.settings["LEDGER_TABLE"])
    for key in _hour_keys():  # the hour rolls over: the cap opens again
        first, end = hour_range(key)
        query = "PartitionKey eq 'tapcap' and RowKey ge @first and RowKey lt @end"
        for row in ledger.query_entities(query, parameters={"first": first, "end": end}):
            ledger.delete_entity("tapcap", row["RowKey"])
    queue = QueueClient.from_connection_string(
        storage,
        tapstart.settings["ONBOARDING_QUEUE"],
        message_encode_policy=TextBase64EncodePolicy(),
    )
    queue.send_message(OnboardJoiner(tracking_id).to_json())  # the attempt after the hour

    status = tapstart.wait_final(tracking_id)  # final: not paused any more
    assert (status["status"], status["reason"]) == ("refused", "admin_role")
    assert _taps_for(graph, {user["id"]}) == []


def test_a_privilege_graph_will_not_show_fails_the_joiner_and_issues_nothing(
    unprivileged: Tapstart,
) -> None:
    graph = unprivileged.graph
    user = _joiner(graph, 201)
    tracking_id = _accept(
        unprivileged, canonical_event("E8201", TODAY, eventId=f"evt-{uuid.uuid4()}")
    )

    status = unprivileged.wait_final(tracking_id, accept=_settled)

    assert (status["status"], status["reason"]) == ("failed", "privilege_unknown")
    assert _taps_for(graph, {user["id"]}) == []
    assert PASSWORDLESS_GROUP not in graph.control.user(user["id"])["groups"]
    assert unprivileged.messages_to(MANAGER) == []


# The namespace of the unkeyed tracking ids of earlier releases: uuid5(namespace, eventId).
LEGACY_NAMESPACE = uuid.UUID("6c1f3f0e-6f5b-4c44-9a53-2f1d5c7e8a10")


def test_tracking_ids_cannot_be_enumerated_and_the_hr_key_reads_no_status(
    tapstart: Tapstart,
) -> None:
    """The review's enumeration: event ids follow a guessable pattern (an HR system's counter,
    SCIM's `scim:<employeeId>:<hireDate>`), and the ids used to be uuid5 of them. Keyed ids give
    a guesser nothing, and the HR system's key is not a status key."""
    run = uuid.uuid4().hex[:6]
    real = [
        _accept(tapstart, canonical_event(f"E9{n:03d}", TODAY, eventId=f"hr-{run}-{n:04d}"))
        for n in (7, 42)
    ]
    guesses = [str(uuid.uuid5(LEGACY_NAMESPACE, f"hr-{run}-{n:04d}")) for n in range(140)]
    guesses += [str(uuid.uuid5(LEGACY_NAMESPACE, f"scim:E9{n:03d}:{TODAY}")) for n in range(60)]

    answers = [
        tapstart.host.request("GET", f"/api/onboarding/{g}", key=LOCAL_STATUS_KEY).status
        for g in guesses
    ]

    assert set(real).isdisjoint(guesses)
    assert answers == [404] * len(guesses)
    for tracking_id in real:
        as_hr = tapstart.host.request("GET", f"/api/onboarding/{tracking_id}", key=LOCAL_HR_KEY)
        assert as_hr.status == 401  # the HR system's key opens hr_events only
        as_desk = tapstart.host.request(
            "GET", f"/api/onboarding/{tracking_id}", key=LOCAL_STATUS_KEY
        )
        assert as_desk.status == 200  # the service desk's key does
        assert as_desk.json()["trackingId"] == tracking_id
