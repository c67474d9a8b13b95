"""The report's Graph read through the app's own adapter (GraphDirectory.registration_pages,
raw JSON pages via the msgraph-sdk request adapter) against the Graph emulator: paging across
several `$top=999` pages, and the same rows when every page after the first is throttled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from shared.adapters.clients import graph_client
from shared.adapters.graph_close import close_graph_client
from shared.adapters.graph_directory import GraphDirectory
from shared.config import Settings
from shared.domain.registration import RegistrationRow
from tests.e2e.stack import app_settings
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph

REPORT_ENDPOINT = "/reports/authenticationMethods/userRegistrationDetails"
USERS = 2_500  # three pages of at most 999 rows


@pytest.fixture
def settings(
    graph: EmulatedGraph, azurite: Azurite, acs: AcsEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    for key, value in app_settings(azurite, graph, acs).items():
        monkeypatch.setenv(key, value)
    graph.control.reset()
    graph.control.bulk_users(USERS, seed=3)
    yield Settings.from_env()
    graph.control.clear_faults()


def read_report(settings: Settings) -> list[list[RegistrationRow]]:
    async def read() -> list[list[RegistrationRow]]:
        client = graph_client(settings)
        try:
            pages = GraphDirectory(client, settings.graph_base_url).registration_pages()
            return [page async for page in pages]
        finally:
            await close_graph_client(client)

    return asyncio.run(read())


def report_requests(graph: EmulatedGraph) -> list[int]:
    log = graph.control.requests()["requests"]
    return [r["status"] for r in log if r["path"] == REPORT_ENDPOINT]


def test_the_report_read_follows_next_links_across_pages(
    settings: Settings, graph: EmulatedGraph
) -> None:
    graph.control.clear_requests()

    pages = read_report(settings)

    rows = [row.id for page in pages for row in page]
    assert [len(p) for p in pages][:-1] == [999] * (len(pages) - 1) and len(pages) >= 3
    assert len(rows) == len(set(rows))  # no page read twice
    assert report_requests(graph) == [200] * len(pages)


def test_throttled_pages_are_waited_for_and_yield_the_same_rows(
    settings: Settings, graph: EmulatedGraph
) -> None:
    unthrottled = [row.id for page in read_report(settings) for row in page]
    # One report request a second: every page after the first meets a 429 first.
    graph.control.set_faults(
        throttle={"profile": "off", "classes": {"reports": {"limit": 1, "periodSeconds": 1}}}
    )
    graph.control.clear_requests()

    throttled = [row.id for page in read_report(settings) for row in page]

    assert throttled == unthrottled
    statuses = report_requests(graph)
    assert statuses.count(429) >= 1 and statuses.count(200) == len(statuses) - statuses.count(429)
    assert statuses[-1] == 200
