"""Users through the real SDK: lookups, $select, $filter, manager, memberOf, methods, paging."""

from __future__ import annotations

from typing import Any

import pytest
from graph_testkit import (
    ADMIN,
    ENROLLED,
    JOINER,
    JOINER_UPN,
    MAILLESS_MANAGER,
    MANAGER,
    PASSWORDLESS_GROUP,
    ROLE_GROUP,
    error_of,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.directory_role import DirectoryRole
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.user import User
from msgraph.generated.users.item.check_member_groups.check_member_groups_post_request_body import (
    CheckMemberGroupsPostRequestBody,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import PageIterator

from tests.fixtures.graph import EmulatedGraph, graph_call

CONTEXT_ONLY = {"@odata.context"}


def _no_strays(model: Any) -> None:
    """Every value deserialised into a typed attribute (only the context is left over)."""
    assert set(model.additional_data) <= CONTEXT_ONLY, model.additional_data


def test_get_by_upn_returns_the_default_property_set(graph: EmulatedGraph, raw: Any) -> None:
    user = graph_call(graph, lambda c: c.users.by_user_id(JOINER_UPN).get())
    assert user.id == JOINER
    assert user.user_principal_name == JOINER_UPN
    assert user.preferred_language == "de-DE"
    assert user.employee_id is None  # not in the default set: only on $select
    _no_strays(user)
    body = raw.get("users/jamie.joiner%40contoso.example").json()
    assert set(body) == {
        "@odata.context", "businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
        "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName",
    }  # fmt: skip


def test_select_returns_only_the_selected_properties(graph: EmulatedGraph) -> None:
    select = ["id", "employeeId", "employeeHireDate", "accountEnabled", "mail", "otherMails",
              "usageLocation", "userType", "createdDateTime", "creationType"]  # fmt: skip
    qp = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=select)
    user = graph_call(
        graph,
        lambda c: c.users.by_user_id(JOINER).get(
            request_configuration=RequestConfiguration(query_parameters=qp)
        ),
    )
    assert user.employee_id == "E1001"
    assert user.employee_hire_date is not None and user.employee_hire_date.tzinfo is not None
    assert user.account_enabled is True
    assert user.other_mails == ["jamie.private@home.example"]
    assert user.usage_location == "DE"
    assert user.user_type == "Member"
    assert user.display_name is None  # not selected
    _no_strays(user)


def test_expand_manager(graph: EmulatedGraph) -> None:
    qp = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
        select=["id", "displayName"], expand=["manager($select=id,mail,displayName)"]
    )
    user = graph_call(
        graph,
        lambda c: c.users.by_user_id(JOINER).get(
            request_configuration=RequestConfiguration(query_parameters=qp)
        ),
    )
    assert isinstance(user.manager, User)
    assert user.manager.mail == "maria.manager@contoso.example"


def test_manager_is_a_typed_user_and_missing_manager_is_404(graph: EmulatedGraph) -> None:
    manager = graph_call(graph, lambda c: c.users.by_user_id(JOINER).manager.get())
    assert isinstance(manager, User)
    assert manager.id == MANAGER
    _no_strays(manager)
    with pytest.raises(ODataError) as caught:
        graph_call(graph, lambda c: c.users.by_user_id(MANAGER).manager.get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"
    assert caught.value.error.message == (
        "Resource 'manager' does not exist or one of its queried reference-property objects "
        "are not present."
    )


def test_manager_without_mail(graph: EmulatedGraph) -> None:
    manager = graph_call(
        graph, lambda c: c.users.by_user_id("nora.nomail@contoso.example").manager.get()
    )
    assert manager.id == MAILLESS_MANAGER
    assert manager.mail is None


def test_unknown_user_is_404_with_the_documented_message(graph: EmulatedGraph) -> None:
    with pytest.raises(ODataError) as caught:
        graph_call(graph, lambda c: c.users.by_user_id("ghost@contoso.example").get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.message == (
        "Resource 'ghost@contoso.example' does not exist or one of its queried "
        "reference-property objects are not present."
    )


def _find(graph: EmulatedGraph, flt: str, *, advanced: bool = False) -> Any:
    qp = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        filter=flt, select=["id", "userPrincipalName", "employeeId"], count=advanced or None
    )
    config = RequestConfiguration(query_parameters=qp)
    if advanced:
        config.headers.add("ConsistencyLevel", "eventual")
    return graph_call(graph, lambda c: c.users.get(request_configuration=config))


def test_filter_by_employee_id_and_upn(graph: EmulatedGraph) -> None:
    page = _find(graph, "employeeId eq 'E1001'")
    assert [u.id for u in page.value] == [JOINER]
    page = _find(graph, f"userPrincipalName eq '{JOINER_UPN.upper()}'")
    assert [u.id for u in page.value] == [JOINER]
    assert _find(graph, "employeeId eq 'E9999'").value == []
    counted = _find(graph, "employeeId eq 'E1001'", advanced=True)
    assert counted.odata_count == 1


def test_advanced_operators_need_consistency_level(graph: EmulatedGraph) -> None:
    with pytest.raises(ODataError) as caught:
        _find(graph, "employeeId ne 'E1001'")
    assert caught.value.response_status_code == 400
    assert caught.value.error.code == "Request_UnsupportedQuery"
    page = _find(graph, "employeeId ne 'E1001'", advanced=True)
    assert JOINER not in {u.id for u in page.value}
    assert page.odata_count == len(page.value)


def test_unknown_filter_property_is_400(graph: EmulatedGraph, raw: Any) -> None:
    response = raw.get("users", params={"$filter": "shoeSize eq 3"})
    assert response.status_code == 400
    assert "shoeSize" in error_of(response)["message"]


def test_paging_users_with_absolute_next_links(graph: EmulatedGraph, raw: Any) -> None:
    first = raw.get("users", params={"$top": "4", "$select": "id"}).json()
    assert first["@odata.nextLink"].startswith(graph.base_url + "/users?")
    assert "$skiptoken=" in first["@odata.nextLink"]

    async def walk(client: Any) -> list[str]:
        qp = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=4, select=["id"])
        page = await client.users.get(RequestConfiguration(query_parameters=qp))
        seen: list[str] = []

        def collect(user: User) -> bool:
            seen.append(user.id)
            return True  # PageIterator stops unless the callback returns True

        await PageIterator(page, client.request_adapter).iterate(collect)
        return seen

    ids = graph_call(graph, walk)
    assert len(ids) == len(graph.seed["users"]) == len(set(ids))


def test_member_of_lists_typed_groups_and_directory_roles(graph: EmulatedGraph) -> None:
    page = graph_call(graph, lambda c: c.users.by_user_id(ADMIN).member_of.get())
    kinds = {type(item).__name__: item for item in page.value}
    assert isinstance(kinds["Group"], Group) and kinds["Group"].id == ROLE_GROUP
    role = kinds["DirectoryRole"]
    assert isinstance(role, DirectoryRole)
    assert role.role_template_id == "62e90394-69f5-4237-9190-012177145e10"
    assert role.display_name == "Global Administrator"
    for item in page.value:
        assert item.additional_data == {}


def test_check_member_groups(graph: EmulatedGraph) -> None:
    body = CheckMemberGroupsPostRequestBody(group_ids=[PASSWORDLESS_GROUP, ROLE_GROUP])
    result = graph_call(
        graph, lambda c: c.users.by_user_id(ENROLLED).check_member_groups.post(body)
    )
    assert result.value == [PASSWORDLESS_GROUP]


def test_authentication_methods_are_typed(graph: EmulatedGraph) -> None:
    page = graph_call(graph, lambda c: c.users.by_user_id(ENROLLED).authentication.methods.get())
    kinds = sorted(type(m).__name__ for m in page.value)
    assert kinds == [
        "MicrosoftAuthenticatorAuthenticationMethod",
        "PasswordAuthenticationMethod",
    ]
    for method in page.value:
        assert method.additional_data == {}, method.additional_data


def test_wire_details_percent_encoded_names_and_header_case(graph: EmulatedGraph, raw: Any) -> None:
    body = raw.get(f"users/{JOINER}?%24select=id,employeeId").json()
    assert body["employeeId"] == "E1001" and "displayName" not in body
    counted = raw.get(
        "users?$count=true&$filter=employeeId%20ne%20%27E1001%27&$select=id",
        headers={"consistencylevel": "eventual"},
    ).json()
    assert counted["@odata.count"] == len(counted["value"]) == len(graph.seed["users"]) - 1
    no_prefix = raw.get(f"{graph.root_url}/users/{JOINER}")
    assert no_prefix.status_code == 200 and no_prefix.json()["id"] == JOINER
