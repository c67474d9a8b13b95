"""What makes an account privileged, as the emulator serves it (wire level): memberOf and
transitiveMemberOf paged at 100, role assignments at every scope (custom roles too), role and
PIM-for-Groups eligibility with Graph's non-P2 and 403 answers, ownedObjects, signInActivity."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from graph_testkit import ADMIN, JOINER, MANAGER, READONLY_APP, ROLE_GROUP, bearer, error_of

from tests.fixtures.graph import ControlError, EmulatedGraph

PASSWORDLESS_NESTED = "20000000-0000-4000-8000-000000000001"  # the seed's Passwordless Users
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
AU_SCOPE = "/administrativeUnits/3c8a1f2e-0000-4000-8000-0000000a0001"
NO_P2 = "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license."
ASSIGNMENTS = "roleManagement/directory/roleAssignments"
ELIGIBILITY = "roleManagement/directory/roleEligibilityScheduleInstances"
GROUP_ELIGIBILITY = "identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"


def _filter(expr: str) -> str:
    return quote(expr, safe="'(),")


def _where(path: str, expr: str) -> str:
    return f"{path}?$filter={_filter(expr)}"


def _as(graph: EmulatedGraph, client_id: str) -> httpx.Client:
    return httpx.Client(
        base_url=graph.base_url + "/",
        headers={"Authorization": f"Bearer {bearer(graph, client_id)}"},
        timeout=30,
    )


def _groups(graph: EmulatedGraph, count: int, prefix: str, **fields: Any) -> list[str]:
    specs = [{"displayName": f"{prefix} {n:03d}", **fields} for n in range(count)]
    created = graph.control.call("POST", "groups", {"groups": specs})["value"]
    return [g["id"] for g in created]


def _all_pages(raw: httpx.Client, url: str) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        body = raw.get(next_url).json()
        items += body["value"]
        pages += 1
        next_url = body.get("@odata.nextLink")
    return items, pages


# --- memberOf / transitiveMemberOf ---------------------------------------------------------


def test_member_of_pages_at_100_and_a_role_can_be_past_item_100(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    groups = _groups(graph, 120, "Many")
    graph.control.update_user(JOINER, groups=groups, directoryRoles=["Global Administrator"])

    first = raw.get(f"users/{JOINER}/memberOf?$select=id,displayName").json()
    assert len(first["value"]) == 100
    assert first["@odata.nextLink"].startswith(graph.base_url + "/users/")
    assert "$select=id,displayName" in first["@odata.nextLink"]
    assert {o["@odata.type"] for o in first["value"]} == {"#microsoft.graph.group"}
    assert set(first["value"][0]) == {"@odata.type", "id", "displayName"}
    second = raw.get(first["@odata.nextLink"]).json()
    assert "@odata.nextLink" not in second
    roles = [o for o in second["value"] if o["@odata.type"] == "#microsoft.graph.directoryRole"]
    assert [r["displayName"] for r in roles] == ["Global Administrator"]

    everything, pages = _all_pages(raw, f"users/{JOINER}/memberOf?$top=999")
    assert (len(everything), pages) == (121, 1)
    assert raw.get(f"users/{JOINER}/memberOf?$top=1000").status_code == 400


def test_transitive_member_of_follows_nesting_and_roles_held_through_groups(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    [outer] = _groups(graph, 1, "Outer")
    graph.control.call("PATCH", f"groups/{outer}", {"members": [PASSWORDLESS_NESTED]})
    graph.control.call(
        "PATCH", f"groups/{ROLE_GROUP}", {"roleAssignments": ["Global Administrator"]}
    )
    graph.control.update_user(JOINER, groups=[PASSWORDLESS_NESTED, ROLE_GROUP])

    direct = raw.get(f"users/{JOINER}/memberOf").json()["value"]
    assert {o["id"] for o in direct} == {PASSWORDLESS_NESTED, ROLE_GROUP}  # no role: via a group

    items, _ = _all_pages(raw, f"users/{JOINER}/transitiveMemberOf?$select=id,isAssignableToRole")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_type.setdefault(item["@odata.type"], []).append(item)
    groups = {g["id"]: g["isAssignableToRole"] for g in by_type["#microsoft.graph.group"]}
    assert groups == {PASSWORDLESS_NESTED: None, ROLE_GROUP: True, outer: None}  # Graph: null
    assert len(by_type["#microsoft.graph.directoryRole"]) == 1


# --- role assignments ----------------------------------------------------------------------


def test_role_assignments_at_every_scope_to_users_and_groups_with_custom_roles(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    custom = graph.control.call(
        "POST", "role-definitions", {"displayName": "Helpdesk Plus (custom)"}
    )
    assert custom["isBuiltIn"] is False
    graph.control.update_user(
        JOINER,
        roleAssignments=[
            {"role": "User Administrator", "scope": AU_SCOPE},
            {"role": custom["id"]},
        ],
    )
    graph.control.call(
        "PATCH", f"groups/{ROLE_GROUP}", {"roleAssignments": ["Global Administrator"]}
    )

    expr = f"principalId in ('{JOINER}','{ROLE_GROUP}','{ADMIN}')"
    body = raw.get(f"{ASSIGNMENTS}?$filter={_filter(expr)}").json()
    assert body["@odata.context"].endswith("$metadata#roleManagement/directory/roleAssignments")
    got = {(a["principalId"], a["roleDefinitionId"], a["directoryScopeId"]) for a in body["value"]}
    assert got == {
        (JOINER, USER_ADMIN, AU_SCOPE),
        (JOINER, custom["id"], "/"),
        (ROLE_GROUP, GLOBAL_ADMIN, "/"),
        (ADMIN, GLOBAL_ADMIN, "/"),  # the seed's directoryRoles are assignments at "/"
    }
    assert set(body["value"][0]) == {
        "id", "principalId", "roleDefinitionId", "directoryScopeId", "appScopeId",
    }  # fmt: skip
    only_user = raw.get(_where(ASSIGNMENTS, f"principalId eq '{JOINER}'")).json()
    assert len(only_user["value"]) == 2

    definitions = raw.get("roleManagement/directory/roleDefinitions").json()["value"]
    assert {d["id"] for d in definitions} >= {GLOBAL_ADMIN, custom["id"]}


def test_roles_only_go_to_role_assignable_groups_and_known_definitions(
    graph: EmulatedGraph,
) -> None:
    with pytest.raises(ControlError) as refused:
        graph.control.call(
            "PATCH", f"groups/{PASSWORDLESS_NESTED}", {"roleAssignments": ["Global Administrator"]}
        )
    assert refused.value.status == 400 and "not role-assignable" in refused.value.body
    with pytest.raises(ControlError) as unknown:
        graph.control.update_user(JOINER, roleAssignments=[{"role": "No Such Role"}])
    assert unknown.value.status == 400


def test_role_assignments_need_a_role_management_read(graph: EmulatedGraph) -> None:
    with _as(graph, READONLY_APP) as readonly:
        denied = readonly.get(ASSIGNMENTS)
    assert denied.status_code == 403
    assert error_of(denied)["code"] == "Authorization_RequestDenied"


# --- PIM: role eligibility, PIM for Groups -------------------------------------------------


def test_role_eligibility_instances_for_users_and_groups(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    graph.control.update_user(
        JOINER, roleEligibilities=[{"role": "Global Administrator", "end": "now+30d"}]
    )
    graph.control.update_user(
        MANAGER, roleEligibilities=[{"role": "User Administrator", "end": "now-1d"}]
    )
    graph.control.call(
        "PATCH", f"groups/{ROLE_GROUP}", {"roleEligibilities": ["Security Administrator"]}
    )

    mine = raw.get(_where(ELIGIBILITY, f"principalId eq '{JOINER}'")).json()
    [instance] = mine["value"]
    assert (instance["roleDefinitionId"], instance["directoryScopeId"]) == (GLOBAL_ADMIN, "/")
    assert instance["memberType"] == "Direct" and instance["endDateTime"].endswith("Z")
    ended = raw.get(_where(ELIGIBILITY, f"principalId eq '{MANAGER}'")).json()
    assert ended["value"] == []  # an ended eligibility has no instance
    group = raw.get(_where(ELIGIBILITY, f"principalId eq '{ROLE_GROUP}'")).json()
    assert len(group["value"]) == 1

    listed = raw.get(_where(ELIGIBILITY, f"principalId in ('{JOINER}')"))
    assert listed.status_code == 400  # eq and ne only


def test_pim_for_groups_eligibility_needs_a_principal_or_group_filter(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    graph.control.update_user(
        JOINER, groupEligibilities=[{"group": ROLE_GROUP, "accessId": "owner"}]
    )

    body = raw.get(_where(GROUP_ELIGIBILITY, f"principalId eq '{JOINER}'")).json()
    [item] = body["value"]
    assert (item["groupId"], item["accessId"], item["principalId"]) == (ROLE_GROUP, "owner", JOINER)
    assert item["id"].startswith(f"{ROLE_GROUP}_owner_")
    by_group = raw.get(_where(GROUP_ELIGIBILITY, f"groupId eq '{ROLE_GROUP}'"))
    assert len(by_group.json()["value"]) == 1
    unscoped = raw.get(GROUP_ELIGIBILITY)
    assert unscoped.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        f"{ELIGIBILITY}?$filter=principalId eq '{JOINER}'",
        f"{GROUP_ELIGIBILITY}?$filter=principalId eq '{JOINER}'",
    ],
)
def test_pim_reads_answer_pim_errors(graph: EmulatedGraph, raw: httpx.Client, path: str) -> None:
    with _as(graph, READONLY_APP) as readonly:
        denied = readonly.get(path)
    assert denied.status_code == 403
    error = error_of(denied)
    assert error["code"] == "UnknownError"
    assert json.loads(error["message"])["errorCode"] == "PermissionScopeNotGranted"

    graph.control.call("POST", "settings", {"license": "P1"})
    no_p2 = raw.get(path)
    assert no_p2.status_code == 400
    assert (error_of(no_p2)["code"], error_of(no_p2)["message"]) == (
        "AadPremiumLicenseRequired",
        NO_P2,
    )


# --- ownedObjects --------------------------------------------------------------------------


def test_owned_objects_show_apps_by_type_and_id_to_an_app_that_cannot_read_apps(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    graph.control.update_user(
        JOINER,
        ownedObjects=[
            {"type": "application", "displayName": "Payroll connector"},
            {"type": "servicePrincipal", "displayName": "Payroll connector SP"},
            ROLE_GROUP,
        ],
    )
    items, _ = _all_pages(raw, f"users/{JOINER}/ownedObjects?$select=id,isAssignableToRole")
    by_type = {i["@odata.type"]: i for i in items}
    assert set(by_type) == {
        "#microsoft.graph.application", "#microsoft.graph.servicePrincipal", "#microsoft.graph.group",
    }  # fmt: skip
    assert set(by_type["#microsoft.graph.application"]) == {"@odata.type", "id"}  # limited view
    assert by_type["#microsoft.graph.group"] == {
        "@odata.type": "#microsoft.graph.group", "id": ROLE_GROUP, "isAssignableToRole": True,
    }  # fmt: skip
    assert graph.control.user(JOINER)["ownedObjects"][0] == ROLE_GROUP


def test_owned_objects_page_at_100(graph: EmulatedGraph, raw: httpx.Client) -> None:
    apps = [{"type": "application", "displayName": f"App {n}"} for n in range(105)]
    graph.control.update_user(JOINER, ownedObjects=apps)
    items, pages = _all_pages(raw, f"users/{JOINER}/ownedObjects")
    assert (len(items), pages) == (105, 2)


# --- signInActivity ------------------------------------------------------------------------


def test_sign_in_activity_only_on_select_and_absent_for_never(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    graph.control.update_user(JOINER, signInActivity={"lastSignInDateTime": "now-3d"})
    plain = raw.get(f"users/{JOINER}").json()
    assert "signInActivity" not in plain
    chosen = raw.get(f"users/{JOINER}?$select=id,signInActivity").json()
    activity = chosen["signInActivity"]
    assert activity["lastSignInDateTime"].endswith("Z") and activity["lastSignInRequestId"]
    assert activity["lastNonInteractiveSignInDateTime"] is None
    never = raw.get(f"users/{MANAGER}?$select=id,signInActivity").json()
    assert set(never) == {"@odata.context", "id"}


def test_sign_in_activity_needs_audit_log_and_a_premium_licence(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    with _as(graph, READONLY_APP) as readonly:
        denied = readonly.get(f"users/{JOINER}?$select=id,signInActivity")
        assert readonly.get(f"users/{JOINER}?$select=id,displayName").status_code == 200
    assert denied.status_code == 403
    graph.control.call("POST", "settings", {"license": "Free"})
    free = raw.get(f"users/{JOINER}?$select=id,signInActivity")
    assert free.status_code == 403
    assert error_of(free)["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


def test_listing_with_sign_in_activity_pages_at_120_and_filters_alone(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    graph.control.bulk_users(130)
    page = raw.get("users?$select=id,signInActivity&$top=999").json()
    assert len(page["value"]) == 120 and "@odata.nextLink" in page
    combined = (
        "signInActivity/lastSignInDateTime le 2024-01-01T00:00:00Z and accountEnabled eq true"
    )
    refused = raw.get(f"users?$filter={_filter(combined)}")
    assert refused.status_code == 400
    alone = raw.get(
        f"users?$filter={_filter('signInActivity/lastSignInDateTime le 2024-01-01T00:00:00Z')}"
    )
    assert alone.status_code == 200


@pytest.mark.usefixtures("tap_for_everyone")
def test_a_tap_sign_in_shows_in_sign_in_activity(graph: EmulatedGraph, raw: httpx.Client) -> None:
    created = raw.post(
        f"users/{JOINER}/authentication/temporaryAccessPassMethods", json={"isUsableOnce": True}
    )
    assert created.status_code == 201
    graph.control.sign_in_with_tap(JOINER)
    activity = raw.get(f"users/{JOINER}?$select=signInActivity").json()["signInActivity"]
    assert activity["lastSignInDateTime"] == activity["lastSuccessfulSignInDateTime"]


# --- seeds ---------------------------------------------------------------------------------


def test_a_seed_carries_roles_eligibility_ownership_and_sign_ins(graph: EmulatedGraph) -> None:
    seed = json.loads(json.dumps(graph.seed))
    seed["settings"]["license"] = "P1"
    seed["roleDefinitions"] = [
        {"id": "aaaaaaaa-0000-4000-8000-000000000001", "displayName": "Custom"}
    ]
    joiner = next(u for u in seed["users"] if u["id"] == JOINER)
    joiner.update(
        roleAssignments=[{"role": "Custom", "scope": AU_SCOPE}],
        roleEligibilities=["Global Administrator"],
        groupEligibilities=[ROLE_GROUP],
        signInActivity={"lastNonInteractiveSignInDateTime": "now-1d"},
    )
    seed["applications"] = [
        {"displayName": "Owned app", "owners": ["jamie.joiner@contoso.example"]}
    ]
    graph.control.reset(seed)

    state = graph.control.user(JOINER)
    assert state["roleAssignments"][0]["directoryScopeId"] == AU_SCOPE
    assert [e["groupId"] for e in state["groupEligibilities"]] == [ROLE_GROUP]
    assert len(state["ownedObjects"]) == 1
    assert state["signInActivity"]["lastNonInteractiveSignInDateTime"]
    assert graph.control.tenant()["license"] == "P1"

    bad = json.loads(json.dumps(graph.seed))
    bad["groups"][0]["roleAssignments"] = ["Global Administrator"]  # not role-assignable
    with pytest.raises(ControlError) as refused:
        graph.control.reset(bad)
    assert refused.value.status == 400
