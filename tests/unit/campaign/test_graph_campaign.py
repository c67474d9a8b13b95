"""GraphCampaignDirectory below the SDK: nested group members, a deleted group, a failing page,
and the user read before a send."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.adapters.graph_campaign import GraphCampaignDirectory
from shared.domain.errors import PermanentError, TransientError
from tests.unit.adapters.graph_mock import ScriptedGraph, graph_error, mock_directory, path_of

BASE = "https://graph.microsoft.com/v1.0"
USER, GROUP = "#microsoft.graph.user", "#microsoft.graph.group"


def members(*items: tuple[str, str], next_link: str | None = None) -> httpx.Response:
    body: dict[str, object] = {"value": [{"@odata.type": t, "id": i} for t, i in items]}
    if next_link:
        body["@odata.nextLink"] = next_link
    return httpx.Response(200, json=body)


def handler(request: httpx.Request) -> httpx.Response:
    path = path_of(request)
    if path == "/groups/g1/members" and "skiptoken" not in str(request.url):
        return members(
            (USER, "u1"), (GROUP, "g2"), next_link=f"{BASE}/groups/g1/members?$skiptoken=p2"
        )
    if path == "/groups/g1/members":
        return members((USER, "u2"), (GROUP, "g1"))  # a cycle back to g1
    if path == "/groups/g2/members":
        return members((USER, "u3"), (USER, "u1"), ("#microsoft.graph.device", "d1"))
    if path == "/groups/gone/members":
        return graph_error(404, "Request_ResourceNotFound", "Resource 'gone' does not exist")
    if path == "/groups/down/members":
        return graph_error(500, "generalException", "try later")
    if path == "/groups/forbidden/members":
        return graph_error(403, "Authorization_RequestDenied", "Insufficient privileges")
    if path == "/users/u1":
        return httpx.Response(
            200,
            json={
                "id": "u1",
                "userPrincipalName": "u1@contoso.example",
                "displayName": "U One",
                "mail": "u1@contoso.example",
                "preferredLanguage": "de-DE",
                "usageLocation": "DE",
                "accountEnabled": True,
                "userType": "Member",
            },
        )
    return graph_error(404, "Request_ResourceNotFound", "not found")


async def _read(what: str) -> object:
    graph = ScriptedGraph(handler)
    async with mock_directory(graph) as directory:
        reads = GraphCampaignDirectory(lambda: directory)
        if what.startswith("user:"):
            return await reads.campaign_user(what.removeprefix("user:"))
        return await reads.member_ids(what)


def test_members_follow_nested_groups_and_pages_once_each() -> None:
    assert asyncio.run(_read("g1")) == frozenset({"u1", "u2", "u3"})


def test_a_deleted_group_has_no_members() -> None:
    assert asyncio.run(_read("gone")) == frozenset()


@pytest.mark.parametrize(
    ("group", "error"), [("down", TransientError), ("forbidden", PermanentError)]
)
def test_a_failing_read_raises_rather_than_guess_the_scope(group: str, error: type) -> None:
    with pytest.raises(error):
        asyncio.run(_read(group))


def test_the_user_read_before_a_send() -> None:
    user = asyncio.run(_read("user:u1"))
    assert user is not None
    assert (user.mail, user.preferred_language, user.usage_location, user.account_enabled) == (  # type: ignore[attr-defined]
        "u1@contoso.example",
        "de-DE",
        "DE",
        True,
    )
    assert asyncio.run(_read("user:nobody")) is None
