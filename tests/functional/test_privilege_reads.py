"""`GraphDirectory.privilege`, `last_sign_in` and the manager's recipient fields through the
real msgraph-sdk request adapter against the Graph emulator: every kind of privilege, every page,
fail closed on any error but the one that means "no Entra ID P2", few round trips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from shared.adapters import graph_privilege
from shared.adapters.graph_directory import GraphDirectory
from shared.domain.errors import PermanentError, TransientError
from shared.domain.privilege import Privilege, privilege_reason
from tests.fixtures.graph import EmulatedGraph, graph_session
from tests.unit.adapters.graph_mock import ScriptedGraph, graph_error, mock_directory, path_of

T = TypeVar("T")

JOINER = "10000000-0000-4000-8000-000000000101"
MANAGER = "10000000-0000-4000-8000-000000000100"
ROLE_GROUP = "20000000-0000-4000-8000-000000000003"  # the seed's role-assignable "Tier 0 Admins"
PLAIN_GROUP = "20000000-0000-4000-8000-000000000001"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
AU_SCOPE = "/administrativeUnits/3c8a1f2e-0000-4000-8000-0000000a0001"
NO_PRIVILEGE_READS = "5e1d0b7a-0000-4000-8000-00000000a004"  # Tapstart's roles before this change


def _with_directory(
    graph: EmulatedGraph,
    use: Callable[[GraphDirectory], Awaitable[T]],
    client_id: str | None = None,
    **options: Any,
) -> T:
    async def run() -> T:
        async with graph_session(graph, client_id) as client:
            directory = GraphDirectory(client, graph.base_url, **options)
            try:
                return await use(directory)
            finally:
                await directory.aclose()

    return asyncio.run(run())


def privilege_of(graph: EmulatedGraph, user_id: str = JOINER, **options: Any) -> Privilege:
    async def read(directory: GraphDirectory) -> Privilege:
        return await directory.privilege(user_id)

    return _with_directory(graph, read, **options)


def _batches(graph: EmulatedGraph) -> int:
    return graph.control.count("/$batch", "POST")


def _groups(graph: EmulatedGraph, count: int, prefix: str, **fields: Any) -> list[str]:
    specs = [{"displayName": f"{prefix} {n:03d}", **fields} for n in range(count)]
    return [g["id"] for g in graph.control.call("POST", "groups", {"groups": specs})["value"]]


# --- every kind of privilege --------------------------------------------------------------


def test_an_ordinary_joiner_has_none_in_one_batch(graph: EmulatedGraph) -> None:
    async def attempt(directory: GraphDirectory) -> tuple[bool, Privilege, list[str], Any]:
        # As read_facts asks: is_admin sends the one $batch, the rest is answered from it.
        admin = await directory.is_admin(JOINER)
        privilege = await directory.privilege(JOINER)
        return (
            admin,
            privilege,
            await directory.method_types(JOINER),
            await directory.get_manager(JOINER),
        )

    graph.control.clear_requests()
    admin, privilege, methods, manager = _with_directory(graph, attempt)
    assert (admin, privilege) == (False, Privilege())
    assert methods and manager is not None and manager.id == MANAGER
    assert _batches(graph) == 1
    wire = [
        r["endpoint"]
        for r in graph.control.requests()["requests"]
        if not r["inBatch"] and "oauth2" not in r["endpoint"]
    ]
    assert wire == ["/$batch"]  # one round trip for roles, methods, manager and privilege
    counts = {(c["endpoint"], c["status"]) for c in graph.control.requests()["counts"]}
    assert {
        ("/users/{user}/transitiveMemberOf", 200),
        ("/users/{user}/ownedObjects", 200),
        ("/roleManagement/directory/roleAssignments", 200),
        ("/roleManagement/directory/roleEligibilityScheduleInstances", 200),
        ("/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances", 200),
    } <= counts


def test_an_admin_through_a_role_assignable_group(graph: EmulatedGraph) -> None:
    graph.control.call(
        "PATCH",
        f"groups/{ROLE_GROUP}",
        {"members": [JOINER], "roleAssignments": ["Global Administrator"]},
    )
    graph.control.clear_requests()
    privilege = privilege_of(graph)
    assert GLOBAL_ADMIN in privilege.active_roles
    assert privilege.privileged_groups == (ROLE_GROUP,)
    assert privilege_reason(privilege) == "admin_role"
    assert _batches(graph) == 2  # the group's own roles are one more $batch


def test_a_role_only_eligible_through_the_group_is_eligible(graph: EmulatedGraph) -> None:
    graph.control.call(
        "PATCH",
        f"groups/{ROLE_GROUP}",
        {"members": [JOINER], "roleEligibilities": ["Privileged Role Administrator"]},
    )
    privilege = privilege_of(graph)
    assert privilege.active_roles == ()
    assert privilege.eligible_roles == ("e8611ab8-c189-46e8-94e1-60213ab1f814",)


def test_pim_eligible_au_scoped_and_custom_role_admins(graph: EmulatedGraph) -> None:
    custom = graph.control.call("POST", "role-definitions", {"displayName": "Reset passwords"})
    graph.control.update_user(
        JOINER,
        roleAssignments=[{"role": "User Administrator", "scope": AU_SCOPE}, custom["id"]],
        roleEligibilities=[{"role": "Global Administrator", "end": "now+90d"}],
    )
    privilege = privilege_of(graph)
    assert set(privilege.active_roles) == {USER_ADMIN, custom["id"]}
    assert privilege.eligible_roles == (GLOBAL_ADMIN,)


def test_pim_for_groups_eligibility_and_owned_objects(graph: EmulatedGraph) -> None:
    [other_role_group] = _groups(graph, 1, "Tier 1", isAssignableToRole=True)
    graph.control.update_user(
        JOINER,
        groupEligibilities=[{"group": ROLE_GROUP, "accessId": "member"}, PLAIN_GROUP],
        ownedObjects=[
            other_role_group,
            PLAIN_GROUP,
            {"type": "application", "displayName": "Payroll connector"},
            {"type": "servicePrincipal", "displayName": "Payroll connector"},
        ],
    )
    privilege = privilege_of(graph)
    assert set(privilege.privileged_groups) == {ROLE_GROUP, other_role_group}
    assert len(privilege.owned_apps) == 2
    assert privilege.active_roles == privilege.eligible_roles == ()


def test_every_page_is_read_and_protected_groups_are_named(
    graph: EmulatedGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_privilege, "MEMBERSHIP_PAGE_SIZE", 40)
    groups = _groups(graph, 130, "Many")
    graph.control.update_user(JOINER, groups=[*groups, ROLE_GROUP])  # the role group comes last
    graph.control.call(
        "PATCH", f"groups/{ROLE_GROUP}", {"roleAssignments": ["Helpdesk Administrator"]}
    )
    apps = [{"type": "application", "displayName": f"App {n}"} for n in range(105)]
    graph.control.update_user(JOINER, ownedObjects=apps)

    privilege = privilege_of(graph, protected_group_ids=(groups[-1], "not-a-member"))
    assert privilege.privileged_groups == (ROLE_GROUP,)
    assert "729827e3-9c14-49f7-bb1b-9608f156bbb8" in privilege.active_roles
    assert len(privilege.owned_apps) == 105  # ownedObjects pages at 100
    assert privilege.protected_groups == (groups[-1],)
    log = graph.control.requests()["requests"]
    pages = [r for r in log if r["endpoint"] == "/users/{user}/transitiveMemberOf"]
    assert len(pages) == 4  # 131 memberships at 40 a page


def test_many_role_assignable_groups_are_read_in_chunks(graph: EmulatedGraph) -> None:
    groups = _groups(graph, 20, "Tier", isAssignableToRole=True)
    graph.control.update_user(JOINER, groups=groups)
    graph.control.call(
        "PATCH", f"groups/{groups[-1]}", {"roleAssignments": ["Global Administrator"]}
    )
    privilege = privilege_of(graph)
    assert privilege.active_roles == (GLOBAL_ADMIN,)
    assert len(privilege.privileged_groups) == 20


def test_privilege_is_read_once_per_attempt(graph: EmulatedGraph) -> None:
    async def twice(directory: GraphDirectory) -> tuple[Privilege, Privilege, Privilege]:
        first = await directory.privilege(JOINER)
        cached = await directory.privilege(JOINER)
        graph.control.update_user(JOINER, directoryRoles=["Global Administrator"])
        directory.forget(JOINER)
        return first, cached, await directory.privilege(JOINER)

    graph.control.clear_requests()
    first, cached, fresh = _with_directory(graph, twice)
    assert first == cached == Privilege()
    assert fresh.active_roles == (GLOBAL_ADMIN,)  # the assignment; memberOf names the same role
    assert _batches(graph) == 2


# --- fail closed ---------------------------------------------------------------------------


def test_a_tenant_without_p2_has_no_eligibility_and_the_rest_is_read(graph: EmulatedGraph) -> None:
    graph.control.call("POST", "settings", {"license": "P1"})
    graph.control.update_user(JOINER, directoryRoles=["User Administrator"])
    privilege = privilege_of(graph)
    assert USER_ADMIN in privilege.active_roles
    assert privilege.eligible_roles == ()


def test_an_app_without_the_role_permissions_gets_a_permanent_error(graph: EmulatedGraph) -> None:
    with pytest.raises(PermanentError) as caught:
        privilege_of(graph, client_id=NO_PRIVILEGE_READS)
    assert caught.value.reason == "graph_forbidden"


def test_a_privilege_read_that_stays_unavailable_is_transient(graph: EmulatedGraph) -> None:
    graph.control.set_faults(rules=[{"path": "roleEligibilityScheduleInstances", "status": 503}])
    with pytest.raises(TransientError):
        privilege_of(graph)


def _mocked(handler: Callable[[httpx.Request], httpx.Response]) -> Privilege:
    async def go() -> Privilege:
        async with mock_directory(ScriptedGraph(handler)) as directory:
            return await asyncio.wait_for(directory.privilege("u1"), timeout=10)

    return asyncio.run(go())


def _batch_of(
    answers: Callable[[str], tuple[int, Any]],
) -> Callable[[httpx.Request], httpx.Response]:
    """A $batch handler: `answers(url)` gives each item's (status, body)."""
    import json

    def handler(request: httpx.Request) -> httpx.Response:
        assert path_of(request) == "/$batch"
        items = json.loads(request.content)["requests"]
        out = []
        for item in items:
            status, body = answers(item["url"])
            out.append({"id": item["id"], "status": status, "body": body, "headers": {}})
        return httpx.Response(200, json={"responses": out})

    return handler


def _no_p2(url: str) -> tuple[int, Any]:
    if "eligibilityScheduleInstances" in url:
        return 400, graph_error(400, "AadPremiumLicenseRequired", "The tenant needs P2.").json()
    return 200, {"value": []}


def test_only_the_no_p2_answer_reads_as_no_eligibility() -> None:
    assert _mocked(_batch_of(_no_p2)) == Privilege()

    def other_400(url: str) -> tuple[int, Any]:
        if "roleEligibilityScheduleInstances" in url:
            return 400, graph_error(400, "BadRequest", "Invalid filter clause").json()
        return 200, {"value": []}

    with pytest.raises(PermanentError):
        _mocked(_batch_of(other_400))

    def no_p2_elsewhere(url: str) -> tuple[int, Any]:
        if "ownedObjects" in url:  # the licence answer means "none" on the PIM reads only
            return 400, graph_error(400, "AadPremiumLicenseRequired", "P2").json()
        return 200, {"value": []}

    with pytest.raises(PermanentError):
        _mocked(_batch_of(no_p2_elsewhere))


def test_a_malformed_page_or_a_group_of_unknown_kind_fails_closed() -> None:
    def no_value(url: str) -> tuple[int, Any]:
        return (200, {"items": []}) if "ownedObjects" in url else (200, {"value": []})

    with pytest.raises(PermanentError):
        _mocked(_batch_of(no_value))

    def limited_group(url: str) -> tuple[int, Any]:
        if "transitiveMemberOf" in url:  # Graph's limited view: type and id only
            return 200, {"value": [{"@odata.type": "#microsoft.graph.group", "id": "g1"}]}
        if url.startswith("/groups/g1"):
            return 200, {"id": "g1"}  # still no isAssignableToRole
        return 200, {"value": []}

    with pytest.raises(PermanentError):
        _mocked(_batch_of(limited_group))

    def looked_up(url: str) -> tuple[int, Any]:
        if url.startswith("/groups/g1"):
            return 200, {"id": "g1", "isAssignableToRole": True}
        return limited_group(url)

    assert _mocked(_batch_of(looked_up)).privileged_groups == ("g1",)


# --- last sign-in and the manager --------------------------------------------------------------


def test_last_sign_in_is_the_latest_time_graph_has(graph: EmulatedGraph) -> None:
    graph.control.update_user(
        JOINER,
        signInActivity={
            "lastSignInDateTime": "now-3d",
            "lastNonInteractiveSignInDateTime": "now-1d",
        },
    )

    async def find(directory: GraphDirectory) -> tuple[Any, Any]:
        joiner = await directory.find_user("E1001", None)
        manager = await directory.find_user_by_upn("maria.manager@contoso.example")
        return joiner, manager

    joiner, manager = _with_directory(graph, find)
    assert joiner is not None and joiner.last_sign_in is not None
    age = datetime.now(UTC) - joiner.last_sign_in
    assert timedelta(hours=23) < age < timedelta(hours=25)
    assert manager is not None and manager.last_sign_in is None  # never signed in


def test_without_a_premium_licence_the_sign_in_read_fails_closed(graph: EmulatedGraph) -> None:
    graph.control.call("POST", "settings", {"license": "Free"})

    async def find(directory: GraphDirectory) -> Any:
        return await directory.find_user("E1001", None)

    with pytest.raises(PermanentError) as caught:
        _with_directory(graph, find)
    assert caught.value.reason == "graph_forbidden"
    assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in str(caught.value.detail)


@pytest.mark.parametrize(
    ("changes", "enabled", "user_type", "external"),
    [
        ({}, True, "Member", False),
        ({"accountEnabled": False}, False, "Member", False),
        ({"userType": "Guest", "creationType": "Invitation"}, True, "Guest", True),
        ({"externalUserState": "Accepted"}, True, "Member", True),
    ],
)
def test_the_manager_read_says_whether_the_manager_may_receive_a_pass(
    graph: EmulatedGraph, changes: dict[str, Any], enabled: bool, user_type: str, external: bool
) -> None:
    if changes:
        graph.control.update_user(MANAGER, **changes)

    async def manager(directory: GraphDirectory) -> Any:
        return await directory.get_manager(JOINER)

    found = _with_directory(graph, manager)
    assert (found.account_enabled, found.user_type, found.external) == (
        enabled,
        user_type,
        external,
    )


def test_an_ext_upn_is_external_for_joiners_and_managers() -> None:
    from shared.adapters.graph_directory import is_external, manager_from_json, user_from_json

    guest = {"id": "g", "userPrincipalName": "ann_partner.example#EXT#@contoso.example"}
    assert is_external(guest)
    assert user_from_json(guest).external and manager_from_json(guest).external
    assert manager_from_json(guest).account_enabled is False  # not read: not enabled
