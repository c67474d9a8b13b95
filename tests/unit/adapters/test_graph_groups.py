"""GroupAddBatcher: merged adds, and every waiter answered whatever ends the send."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from shared.adapters.graph_groups import FLUSH_SECONDS, GroupAddBatcher
from shared.adapters.graph_raw import GraphRaw, GraphRequestError
from shared.domain.errors import PermanentError, TransientError
from tests.unit.adapters.graph_mock import ScriptedGraph, graph_error, mock_directory

BASE = "https://graph.microsoft.com/v1.0"
HANG_GUARD = 5  # seconds; far above FLUSH_SECONDS, only so a hang fails instead of blocking
SECRET_ERROR = (
    "ClientSecretCredential.get_token failed: AADSTS7000215: Invalid client secret provided.\n"
    "Trace ID: 0000\nCorrelation ID: 0000"
)


class ScriptedRaw(GraphRaw):
    """A GraphRaw whose `request` runs `answer(method, path, body)` instead of the SDK."""

    def __init__(self, answer: Any) -> None:
        super().__init__(client=None, base_url=BASE)
        self.answer = answer
        self.calls: list[tuple[str, str, Any]] = []

    async def request(
        self,
        method: str,
        path_or_url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        retries: int | None = None,
    ) -> Any:
        self.calls.append((method, path_or_url, body))
        result = self.answer(method, path_or_url, body)
        if asyncio.iscoroutine(result):
            result = await result
        return result


def raising(exc: BaseException) -> Any:
    def answer(method: str, path: str, body: Any) -> Any:
        raise exc

    return answer


async def add_all(batcher: GroupAddBatcher, users: list[str]) -> list[Any]:
    """Concurrent adds of `users` to g1; each caller's result or exception, in order."""
    calls = [batcher.add("g1", uid) for uid in users]
    return await asyncio.wait_for(
        asyncio.gather(*calls, return_exceptions=True), timeout=HANG_GUARD
    )


@pytest.mark.parametrize("users", [["u1", "u2", "u3", "u4", "u5"], ["u1"]], ids=["patch", "single"])
def test_a_credential_failure_fails_every_waiter_of_the_batch_at_once(users: list[str]) -> None:
    raw = ScriptedRaw(raising(ClientAuthenticationError(SECRET_ERROR)))
    batcher = GroupAddBatcher(raw)

    results = asyncio.run(add_all(batcher, users))

    assert len(results) == len(users)
    for result in results:
        assert isinstance(result, TransientError)
        assert result.reason == (
            "add group member: credential failure: ClientSecretCredential.get_token failed:"
            " AADSTS7000215: Invalid client secret provided."
        )
        assert isinstance(result.__cause__, ClientAuthenticationError)
    assert len(raw.calls) == 1  # one failed send, not one more per user
    assert not batcher._tasks


def test_any_other_exception_of_the_send_fails_every_waiter_naming_it() -> None:
    raw = ScriptedRaw(raising(RuntimeError("event loop is closed")))
    batcher = GroupAddBatcher(raw)

    results = asyncio.run(add_all(batcher, ["u1", "u2", "u3"]))

    assert [type(r) for r in results] == [TransientError] * 3
    assert {r.reason for r in results} == {"add group member: RuntimeError: event loop is closed"}


def test_a_cancelled_send_leaves_no_waiter_pending() -> None:
    async def scenario() -> list[Any]:
        started = asyncio.Event()

        async def hang(method: str, path: str, body: Any) -> Any:
            started.set()
            await asyncio.Event().wait()

        batcher = GroupAddBatcher(ScriptedRaw(hang))
        adds = asyncio.gather(
            *(batcher.add("g1", uid) for uid in ("u1", "u2")), return_exceptions=True
        )
        await asyncio.wait_for(started.wait(), timeout=HANG_GUARD)
        (send,) = batcher._tasks
        send.cancel()
        results = await asyncio.wait_for(adds, timeout=HANG_GUARD)
        assert send.cancelled() and not batcher._tasks
        return results

    results = asyncio.run(scenario())

    assert [type(r) for r in results] == [TransientError, TransientError]
    assert results[0].reason == "add group member: the request was cancelled"


def test_the_batcher_keeps_its_sends_until_they_end() -> None:
    async def scenario() -> tuple[int, int, list[str]]:
        gate = asyncio.Event()

        async def slow(method: str, path: str, body: Any) -> Any:
            await gate.wait()
            return None

        batcher = GroupAddBatcher(ScriptedRaw(slow))
        adds = asyncio.gather(*(batcher.add("g1", uid) for uid in ("u1", "u2")))
        await asyncio.sleep(FLUSH_SECONDS * 2)
        in_flight = len(batcher._tasks)
        gate.set()
        results = await asyncio.wait_for(adds, timeout=HANG_GUARD)
        return in_flight, len(batcher._tasks), results

    in_flight, after, results = asyncio.run(scenario())

    assert (in_flight, after) == (1, 0)
    assert results == ["added", "added"]


def test_concurrent_adds_share_one_patch() -> None:
    raw = ScriptedRaw(lambda method, path, body: None)

    results = asyncio.run(add_all(GroupAddBatcher(raw), ["u1", "u2", "u1"]))

    assert results == ["added", "added", "added"]
    assert raw.calls == [
        (
            "PATCH",
            "/groups/g1",
            {
                "members@odata.bind": [
                    f"{BASE}/directoryObjects/u1",
                    f"{BASE}/directoryObjects/u2",
                ]
            },
        )
    ]


def test_an_existing_member_makes_the_batch_fall_back_to_single_adds() -> None:
    already = "One or more added object references already exist for the following modified properties: 'members'."

    def answer(method: str, path: str, body: Any) -> Any:
        if method == "PATCH" or body["@odata.id"].endswith("/u1"):
            raise GraphRequestError(400, "Request_BadRequest", already)
        return None

    raw = ScriptedRaw(answer)

    results = asyncio.run(add_all(GroupAddBatcher(raw), ["u1", "u2"]))

    assert results == ["already_member", "added"]
    assert [c[0] for c in raw.calls] == ["PATCH", "POST", "POST"]


def test_graph_refusals_map_to_tapstart_errors() -> None:
    dynamic = "Insufficient privileges to complete the operation: dynamic membership group."

    def answer(method: str, path: str, body: Any) -> Any:
        if method == "PATCH":
            raise GraphRequestError(403, "Authorization_RequestDenied", "Insufficient privileges.")
        raise GraphRequestError(400, "Request_BadRequest", dynamic)

    forbidden = asyncio.run(add_all(GroupAddBatcher(ScriptedRaw(answer)), ["u1", "u2"]))
    single = asyncio.run(add_all(GroupAddBatcher(ScriptedRaw(answer)), ["u3"]))

    assert [(type(e), e.reason) for e in forbidden] == [(PermanentError, "graph_forbidden")] * 2
    assert [(type(e), e.reason) for e in single] == [(PermanentError, "group_is_dynamic")]


def test_aclose_sends_what_waits_for_its_flush() -> None:
    async def scenario() -> list[str]:
        raw = ScriptedRaw(lambda method, path, body: None)
        batcher = GroupAddBatcher(raw)
        adds = asyncio.gather(*(batcher.add("g1", uid) for uid in ("u1", "u2")))
        await asyncio.sleep(0)  # both are queued, the flush timer has not fired
        await batcher.aclose()
        assert len(raw.calls) == 1 and not batcher._tasks
        return await asyncio.wait_for(adds, timeout=HANG_GUARD)

    assert asyncio.run(scenario()) == ["added", "added"]


class FailingCredential:
    """A sync azure-identity style credential that cannot get a token (a revoked secret)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError(SECRET_ERROR)


def test_a_credential_failure_through_the_sdk_fails_all_adds_before_any_request() -> None:
    graph = ScriptedGraph(lambda request: httpx.Response(204))

    async def scenario() -> None:
        async with mock_directory(graph, credential=FailingCredential()) as directory:
            await asyncio.wait_for(
                directory.add_to_groups(["u1", "u2", "u3"], "g1"), timeout=HANG_GUARD
            )

    with pytest.raises(
        TransientError, match=r"add group member: credential failure: .*AADSTS7000215"
    ):
        asyncio.run(scenario())
    assert graph.requests == []  # nothing reached Graph without a token


def test_an_error_answer_through_the_sdk_fails_every_add() -> None:
    graph = ScriptedGraph(
        lambda request: graph_error(403, "Authorization_RequestDenied", "Insufficient privileges.")
    )

    async def scenario() -> list[Any]:
        async with mock_directory(graph) as directory:
            batcher = GroupAddBatcher(directory.raw)
            return await add_all(batcher, ["u1", "u2"])

    results = asyncio.run(scenario())

    assert [(type(e), e.reason) for e in results] == [(PermanentError, "graph_forbidden")] * 2
    assert [(r.method, r.url.path) for r in graph.requests] == [("PATCH", "/v1.0/groups/g1")]
