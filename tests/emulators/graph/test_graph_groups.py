"""Group membership writes as Graph answers them: 204, duplicate 400, 404s, atomic bind."""

from __future__ import annotations

from typing import Any

import pytest
from graph_testkit import (
    DYNAMIC_GROUP,
    ENROLLED,
    JOINER,
    PASSWORDLESS_GROUP,
    POLICY_ADMIN_APP,
    PREHIRE,
    ROLE_GROUP,
    error_of,
)
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate

from tests.fixtures.graph import EmulatedGraph, graph_call

ALREADY = (
    "One or more added object references already exist for the following modified "
    "properties: 'members'."
)


def _ref(user: str) -> ReferenceCreate:
    return ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{user}")


def _add(graph: EmulatedGraph, group: str, user: str) -> Any:
    return graph_call(graph, lambda c: c.groups.by_group_id(group).members.ref.post(_ref(user)))


def _add_error(graph: EmulatedGraph, group: str, user: str) -> ODataError:
    with pytest.raises(ODataError) as caught:
        _add(graph, group, user)
    return caught.value


def test_add_member_then_duplicate_is_400_already_exist(graph: EmulatedGraph) -> None:
    assert _add(graph, PASSWORDLESS_GROUP, JOINER) is None  # 204
    assert PASSWORDLESS_GROUP in graph.control.user(JOINER)["groups"]
    error = _add_error(graph, PASSWORDLESS_GROUP, JOINER)
    assert (error.response_status_code, error.error.code) == (400, "Request_BadRequest")
    assert error.error.message == ALREADY
    assert error.error.inner_error.request_id


def test_unknown_group_or_member_is_404(graph: EmulatedGraph) -> None:
    missing_group = "20000000-0000-4000-8000-0000000000ff"
    error = _add_error(graph, missing_group, JOINER)
    assert (error.response_status_code, error.error.code) == (404, "Request_ResourceNotFound")
    assert error.error.message.startswith(f"Resource '{missing_group}' does not exist")
    error = _add_error(graph, PASSWORDLESS_GROUP, "10000000-0000-4000-8000-0000000000ff")
    assert error.response_status_code == 404


def test_dynamic_group_refuses_manual_members(graph: EmulatedGraph) -> None:
    error = _add_error(graph, DYNAMIC_GROUP, JOINER)
    assert error.response_status_code == 403
    assert error.error.code == "Authorization_RequestDenied"


def test_role_assignable_group_needs_role_management_permission(graph: EmulatedGraph) -> None:
    error = _add_error(graph, ROLE_GROUP, JOINER)
    assert error.response_status_code == 403
    assert JOINER not in graph.control.tenant()["groups"][2]["members"]
    graph_call(
        graph,
        lambda c: c.groups.by_group_id(ROLE_GROUP).members.ref.post(_ref(JOINER)),
        POLICY_ADMIN_APP,
    )
    assert JOINER in graph.control.tenant()["groups"][2]["members"]


def test_get_group_properties(graph: EmulatedGraph) -> None:
    dynamic = graph_call(graph, lambda c: c.groups.by_group_id(DYNAMIC_GROUP).get())
    assert dynamic.group_types == ["DynamicMembership"]
    assert dynamic.membership_rule == '(user.department -eq "Engineering")'
    assert dynamic.security_enabled is True and dynamic.mail_enabled is False
    role = graph_call(graph, lambda c: c.groups.by_group_id(ROLE_GROUP).get())
    assert role.is_assignable_to_role is True
    assert role.additional_data.keys() <= {"@odata.context"}


def _bind(graph: EmulatedGraph, users: list[str]) -> Any:
    urls = [f"https://graph.microsoft.com/v1.0/directoryObjects/{u}" for u in users]
    return graph_call(
        graph,
        lambda c: c.groups.by_group_id(PASSWORDLESS_GROUP).patch(
            Group(additional_data={"members@odata.bind": urls})
        ),
    )


def test_patch_bind_adds_all(graph: EmulatedGraph) -> None:
    assert _bind(graph, [JOINER, PREHIRE]) is None
    members = graph.control.tenant()["groups"][0]["members"]
    assert {JOINER, PREHIRE} <= set(members)


def test_patch_bind_is_all_or_nothing(graph: EmulatedGraph) -> None:
    with pytest.raises(ODataError) as caught:
        _bind(graph, [JOINER, ENROLLED])  # ENROLLED is already a member
    assert caught.value.response_status_code == 400
    assert caught.value.error.message == ALREADY
    assert JOINER not in graph.control.tenant()["groups"][0]["members"]


def test_patch_bind_more_than_20_is_400(graph: EmulatedGraph, raw: Any) -> None:
    urls = [f"https://graph.microsoft.com/v1.0/directoryObjects/{JOINER}"] * 21
    response = raw.patch(f"groups/{PASSWORDLESS_GROUP}", json={"members@odata.bind": urls})
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_BadRequest"


def test_audit_records_group_changes(graph: EmulatedGraph, raw: Any) -> None:
    _add(graph, PASSWORDLESS_GROUP, JOINER)
    body = raw.get(
        "auditLogs/directoryAudits",
        params={"$filter": "activityDisplayName eq 'Add member to group'"},
    ).json()
    assert "value" in body, body
    [entry] = body["value"]
    assert entry["targetResources"][0]["id"] == JOINER
    assert entry["category"] == "GroupManagement"
