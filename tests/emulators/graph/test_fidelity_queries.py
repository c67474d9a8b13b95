"""Query options where the emulator used to be stricter or kinder than Graph (issue 20).

Graph v1.0 "Advanced query capabilities on directory objects" (error handling): without
``ConsistencyLevel: eventual`` the ``$count`` *segment* is an error but ``$count=true`` is
"silently ignored"; ``$search`` needs the header but not ``$count``. Directory collections page
at 100 with an absolute ``@odata.nextLink``, and ``$select`` shows in the context URL.
"""

from __future__ import annotations

from typing import Any

import httpx
from graph_testkit import JOINER, PASSWORDLESS_GROUP, ROLE_GROUP, error_of
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from tests.fixtures.graph import EmulatedGraph, graph_call

EVENTUAL = {"ConsistencyLevel": "eventual"}


def _group_ids(graph: EmulatedGraph, count: int) -> list[str]:
    specs = [{"displayName": f"Fidelity {n:03d}"} for n in range(count)]
    return [g["id"] for g in graph.control.call("POST", "groups", {"groups": specs})["value"]]


def test_count_true_without_consistency_level_is_ignored_not_refused(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    plain = raw.get("users", params={"$select": "id"})
    ignored = raw.get("users", params={"$count": "true", "$select": "id"})
    assert ignored.status_code == 200
    assert "@odata.count" not in ignored.json()
    assert ignored.json()["value"] == plain.json()["value"]
    # With the header it is an advanced query and counts.
    counted = raw.get("users", params={"$count": "true", "$select": "id"}, headers=EVENTUAL)
    assert counted.json()["@odata.count"] == len(graph.seed["users"])


def test_the_count_is_on_the_first_page_only_and_the_next_link_needs_no_header(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    # Paging concept page: @odata.count "will be present only in the first page"; the
    # ConsistencyLevel header is not carried to later pages by the link.
    params = {"$count": "true", "$select": "id", "$top": "2", "$filter": "employeeId ne 'E1001'"}
    first = raw.get("users", params=params, headers=EVENTUAL).json()
    assert first["@odata.count"] == len(graph.seed["users"]) - 1
    second = raw.get(first["@odata.nextLink"])
    assert second.status_code == 200
    assert "@odata.count" not in second.json() and len(second.json()["value"]) == 2


def test_count_true_without_the_header_still_leaves_advanced_operators_refused(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    refused = raw.get("users", params={"$count": "true", "$filter": "employeeId ne 'E1001'"})
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "Request_UnsupportedQuery"


def test_the_sdk_asking_for_a_count_without_the_header_gets_a_page_and_no_count(
    graph: EmulatedGraph,
) -> None:
    qp = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=["id"], count=True)
    page = graph_call(
        graph,
        lambda c: c.users.get(request_configuration=RequestConfiguration(query_parameters=qp)),
    )
    assert page.odata_count is None
    assert JOINER in {u.id for u in page.value}


def test_search_needs_the_header_but_not_count(graph: EmulatedGraph, raw: httpx.Client) -> None:
    search = {"$search": '"displayName:Jamie"', "$select": "id"}
    without = raw.get("users", params=search)
    assert without.status_code == 400
    assert "ConsistencyLevel: eventual" in error_of(without)["message"]
    found = raw.get("users", params=search, headers=EVENTUAL)
    assert found.status_code == 200
    assert [u["id"] for u in found.json()["value"]] == [JOINER]
    assert "@odata.count" not in found.json()


def test_member_of_pages_at_100_keeps_select_and_names_it_in_the_context(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    groups = _group_ids(graph, 101)
    graph.control.update_user(JOINER, groups=groups)
    first = raw.get(f"users/{JOINER}/memberOf", params={"$select": "id,displayName"}).json()
    assert first["@odata.context"].endswith("$metadata#directoryObjects(id,displayName)")
    assert len(first["value"]) == 100
    assert all(set(item) == {"@odata.type", "id", "displayName"} for item in first["value"])
    link = first["@odata.nextLink"]
    assert link.startswith(f"{graph.base_url}/users/{JOINER}/memberOf?")
    second = raw.get(link).json()
    assert [i["id"] for i in first["value"] + second["value"]] == groups
    assert set(second["value"][0]) == {"@odata.type", "id", "displayName"}
    assert "@odata.nextLink" not in second


def test_member_of_counts_only_as_an_advanced_query(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    graph.control.update_user(JOINER, groups=[PASSWORDLESS_GROUP, ROLE_GROUP])
    path = f"users/{JOINER}/memberOf"
    ignored: dict[str, Any] = raw.get(path, params={"$count": "true"}).json()
    assert "@odata.count" not in ignored and len(ignored["value"]) == 2
    counted = raw.get(path, params={"$count": "true"}, headers=EVENTUAL).json()
    assert counted["@odata.count"] == 2
