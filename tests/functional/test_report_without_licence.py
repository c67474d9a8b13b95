"""A tenant without Entra ID P1/P2 against the Graph emulator: the report read names the
licence (not a generic 403), and the members' read gives report-shaped rows for the
passwordless groups' members only, through the app's own adapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from shared.adapters.clients import graph_client
from shared.adapters.graph_close import close_graph_client
from shared.adapters.graph_directory import GraphDirectory
from shared.config import Settings
from shared.domain.errors import PermanentError
from shared.domain.registration import RegistrationRow
from shared.domain.registration_fallback import REPORT_UNLICENSED
from tests.e2e.stack import PASSWORDLESS_GROUP, app_settings
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph


@pytest.fixture
def settings(
    graph: EmulatedGraph, azurite: Azurite, acs: AcsEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    for key, value in app_settings(azurite, graph, acs).items():
        monkeypatch.setenv(key, value)
    graph.control.reset()
    graph.control.call("POST", "settings", {"license": "Free"})
    yield Settings.from_env()
    graph.control.reset()


def _read(
    settings: Settings, pages: Callable[[GraphDirectory], AsyncIterator[list[RegistrationRow]]]
) -> list[RegistrationRow]:
    async def read() -> list[RegistrationRow]:
        client = graph_client(settings)
        try:
            directory = GraphDirectory(client, settings.graph_base_url)
            return [row async for page in pages(directory) for row in page]
        finally:
            await close_graph_client(client)

    return asyncio.run(read())


def _user(graph: EmulatedGraph, name: str, **spec: Any) -> str:
    user = graph.control.add_user(
        userPrincipalName=f"{name}@contoso.example", displayName=name, **spec
    )
    return str(user["id"])


def test_the_report_read_names_the_missing_licence(
    settings: Settings, graph: EmulatedGraph
) -> None:
    with pytest.raises(PermanentError) as refused:
        _read(settings, lambda d: d.registration_pages())
    assert refused.value.reason == REPORT_UNLICENSED


def test_the_members_read_gives_each_members_methods_in_the_reports_names(
    settings: Settings, graph: EmulatedGraph
) -> None:
    signed_in = _user(graph, "phone.sign.in", groups=[PASSWORDLESS_GROUP])
    graph.control.register(signed_in, via_tap=False)
    graph.control.enable_phone_sign_in(signed_in)
    push = _user(graph, "push.only", groups=[PASSWORDLESS_GROUP])
    graph.control.register(push, via_tap=False)
    nothing = _user(graph, "nothing.yet", groups=[PASSWORDLESS_GROUP])
    outsider = _user(graph, "not.a.member")

    rows = {
        r.id: r
        for r in _read(settings, lambda d: d.member_registration_pages([PASSWORDLESS_GROUP]))
    }

    assert outsider not in rows
    assert "microsoftAuthenticatorPasswordless" in rows[signed_in].methods
    assert rows[push].methods == ("microsoftAuthenticatorPush",)
    assert rows[nothing].methods == () and rows[nothing].is_mfa_registered is False
    assert rows[signed_in].user_principal_name == "phone.sign.in@contoso.example"
