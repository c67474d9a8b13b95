"""Graph answers, through the real SDK middleware, mapped to Tapstart's errors by the adapters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest

from shared.adapters.graph_directory import REPORT_RETRIES, GraphDirectory
from shared.domain.errors import PermanentError, TransientError
from shared.domain.registration import REGISTRATION_SELECT, RegistrationRow
from tests.unit.adapters.graph_mock import (
    BASE_URL,
    Handler,
    ScriptedGraph,
    body_of,
    graph_error,
    mock_directory,
    path_of,
)

T = TypeVar("T")

REPORT = "/reports/authenticationMethods/userRegistrationDetails"
TAP_POLICY = (
    "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
)
TAPS = "/users/u1/authentication/temporaryAccessPassMethods"
PASSCODE = "Zq8+Kd!vP3xW"
SDK_DEFAULT_RETRIES = 3


def run(
    handler: Handler, call: Callable[[GraphDirectory], Awaitable[T]]
) -> tuple[T, ScriptedGraph]:
    graph = ScriptedGraph(handler)

    async def go() -> T:
        async with mock_directory(graph) as directory:
            return await asyncio.wait_for(call(directory), timeout=10)

    return asyncio.run(go()), graph


def fails(
    handler: Handler, call: Callable[[GraphDirectory], Awaitable[Any]], error: type[Exception]
) -> tuple[Any, ScriptedGraph]:
    graph = ScriptedGraph(handler)

    async def go() -> None:
        async with mock_directory(graph) as directory:
            await asyncio.wait_for(call(directory), timeout=10)

    with pytest.raises(error) as caught:
        asyncio.run(go())
    return caught.value, graph


def always(response: Callable[[], httpx.Response]) -> Handler:
    return lambda request: response()


async def read_report(directory: GraphDirectory) -> list[list[RegistrationRow]]:
    return [page async for page in directory.registration_pages()]


# --- status codes --------------------------------------------------------------------------


def test_403_is_a_permanent_forbidden_error_naming_the_graph_code() -> None:
    denied = always(
        lambda: graph_error(403, "Authorization_RequestDenied", "Insufficient privileges.")
    )

    error, graph = fails(denied, lambda d: d.tap_policy(), PermanentError)

    assert error.reason == "graph_forbidden"
    assert "Authorization_RequestDenied" in error.detail
    assert len(graph.requests) == 1  # a 403 is not retried


def test_403_on_the_report_read_is_permanent() -> None:
    # The report needs AuditLog.Read.All and a P1/P2 licence; without them Graph says 403.
    denied = always(lambda: graph_error(403, "Authentication_RequestFromNonPremiumTenant", "..."))

    error, _ = fails(denied, read_report, PermanentError)

    assert error.reason == "graph_forbidden"
    assert "read registration report" in error.detail


def test_a_missing_user_by_upn_is_none_whether_graph_says_404_or_nothing() -> None:
    missing = always(
        lambda: graph_error(404, "Request_ResourceNotFound", "Resource 'x' does not exist.")
    )
    empty = always(lambda: httpx.Response(200, json={"value": []}))

    assert run(missing, lambda d: d.find_user_by_upn("nobody@contoso.example"))[0] is None
    assert run(empty, lambda d: d.find_user_by_upn("nobody@contoso.example"))[0] is None


def test_find_user_by_upn_filters_on_the_quoted_upn_and_parses_the_user() -> None:
    def users(request: httpx.Request) -> httpx.Response:
        user = {"id": "u1", "userPrincipalName": "o'brien@contoso.example", "userType": "Member"}
        return httpx.Response(200, json={"value": [user]})

    user, graph = run(users, lambda d: d.find_user_by_upn("o'brien@contoso.example"))

    assert user is not None and user.id == "u1"
    params = graph.requests[0].url.params
    assert params["$filter"] == "userPrincipalName eq 'o''brien@contoso.example'"
    assert "employeeId" in params["$select"].split(",")


def test_a_user_gone_before_the_tap_is_user_not_found() -> None:
    missing = always(
        lambda: graph_error(404, "Request_ResourceNotFound", "Resource 'u1' does not exist.")
    )

    error, _ = fails(missing, lambda d: d.create_tap("u1", None, 60, True), PermanentError)

    assert error.reason == "user_not_found"


def test_a_lifetime_outside_the_policy_is_tap_lifetime_rejected() -> None:
    message = "Invalid LifetimeInMinutes specified. The valid range between 60 and 480."
    rejected = always(lambda: graph_error(400, "badRequest", message))

    error, graph = fails(rejected, lambda d: d.create_tap("u1", None, 600, True), PermanentError)

    assert error.reason == "tap_lifetime_rejected"
    assert error.detail == message
    assert body_of(graph.requests[0]) == {"lifetimeInMinutes": 600, "isUsableOnce": True}


def test_a_429_that_outlasts_the_sdk_retries_is_transient_with_its_retry_after(
    retry_sleeps: list[float],
) -> None:
    throttled = always(
        lambda: graph_error(429, "TooManyRequests", "Too many requests", {"Retry-After": "7"})
    )

    error, graph = fails(throttled, lambda d: d.tap_policy(), TransientError)

    assert error.reason == "graph_429 on read TAP policy"
    assert error.retry_after == 7.0
    assert len(graph.requests) == 1 + SDK_DEFAULT_RETRIES
    assert retry_sleeps == [7] * SDK_DEFAULT_RETRIES  # the SDK waited as Graph said


def test_a_503_is_transient_after_the_sdk_retries(retry_sleeps: list[float]) -> None:
    unavailable = always(lambda: graph_error(503, "serviceNotAvailable", "Try later"))

    error, graph = fails(unavailable, lambda d: d.group_info("g1"), TransientError)

    assert error.reason == "graph_503 on read group"
    assert error.retry_after is None
    assert len(graph.requests) == 1 + SDK_DEFAULT_RETRIES


def test_a_201_without_the_passcode_deletes_the_pass_and_never_echoes_the_body() -> None:
    def graph(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(204)
        # A 201 with an id but no passcode: nothing can be delivered.
        return httpx.Response(201, json={"id": "tap-9", "lifetimeInMinutes": 60, "note": PASSCODE})

    error, scripted = fails(graph, lambda d: d.create_tap("u1", None, 60, True), PermanentError)

    assert error.reason == "tap_create_failed"
    assert PASSCODE not in str(error) and PASSCODE not in repr(error)
    assert [(r.method, path_of(r)) for r in scripted.requests] == [
        ("POST", TAPS),
        ("DELETE", f"{TAPS}/tap-9"),
    ]


def test_a_201_without_an_id_is_a_clear_failure() -> None:
    answer = always(lambda: httpx.Response(201, json={"temporaryAccessPass": PASSCODE}))

    error, scripted = fails(answer, lambda d: d.create_tap("u1", None, 60, True), PermanentError)

    assert error.reason == "tap_create_failed" and PASSCODE not in str(error)
    assert len(scripted.requests) == 1  # no id: nothing to take back


def test_a_503_on_create_tap_is_transient() -> None:
    unavailable = always(lambda: graph_error(503, "serviceNotAvailable", "Try later"))

    error, _ = fails(unavailable, lambda d: d.create_tap("u1", None, 60, True), TransientError)

    assert error.reason == "graph_503 on create TAP"


def test_a_connection_failure_is_transient() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    error, _ = fails(refused, lambda d: d.tap_policy(), TransientError)

    assert error.reason == "graph_503 on read TAP policy"


# --- $batch sub-responses -------------------------------------------------------------------


def batch_answer(**items: tuple[int, Any]) -> Handler:
    """A $batch reply with the given (status, body) per request id; headers as Graph sends."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert path_of(request) == "/$batch"
        responses = [
            {"id": r["id"], "status": items[r["id"]][0], "body": items[r["id"]][1], "headers": {}}
            for r in body_of(request)["requests"]
        ]
        return httpx.Response(200, json={"responses": responses})

    return handler


def _error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def test_batch_items_are_mapped_one_by_one() -> None:
    handler = batch_answer(
        roles=(403, _error_body("Authorization_RequestDenied", "Insufficient privileges.")),
        methods=(
            200,
            {"value": [{"@odata.type": "#microsoft.graph.passwordAuthenticationMethod"}]},
        ),
        manager=(
            404,
            _error_body("Request_ResourceNotFound", "Resource 'manager' does not exist."),
        ),
    )

    async def reads(directory: GraphDirectory) -> tuple[Any, Any, Exception]:
        methods = await directory.method_types("u1")
        manager = await directory.get_manager("u1")
        try:
            await directory.is_admin("u1")
        except PermanentError as exc:
            return methods, manager, exc
        raise AssertionError("a 403 roles item must fail is_admin")

    (methods, manager, roles_error), graph = run(handler, reads)

    assert methods == ["#microsoft.graph.passwordAuthenticationMethod"]
    assert manager is None  # no manager is not an error
    assert isinstance(roles_error, PermanentError) and roles_error.reason == "graph_forbidden"
    assert "Authorization_RequestDenied" in roles_error.detail
    assert graph.paths() == ["/$batch"]  # the three reads shared one $batch


def test_a_batch_item_that_stays_throttled_is_transient(retry_sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        responses = []
        for item in body_of(request)["requests"]:
            if item["id"] == "methods":
                responses.append(
                    {
                        "id": "methods",
                        "status": 429,
                        "headers": {"Retry-After": "3"},
                        "body": _error_body("TooManyRequests", "Too many requests"),
                    }
                )
            else:
                responses.append({"id": item["id"], "status": 200, "body": {"value": []}})
        return httpx.Response(200, json={"responses": responses})

    error, graph = fails(handler, lambda d: d.method_types("u1"), TransientError)

    assert error.reason == "graph_429 on methods"
    assert len(graph.requests) == 4  # GraphRaw.batch retried the item three times
    assert [len(body_of(r)["requests"]) for r in graph.requests] == [3, 1, 1, 1]
    assert retry_sleeps == [3.0, 3.0, 3.0]


def test_a_failed_batch_itself_is_mapped_like_any_request() -> None:
    denied = always(
        lambda: graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
    )

    error, _ = fails(denied, lambda d: d.is_admin("u1"), PermanentError)

    assert error.reason == "graph_forbidden"
    assert "read user details" in error.detail


# --- the report read ------------------------------------------------------------------------


def report_page(n: int, next_link: bool) -> httpx.Response:
    rows = [
        {
            "id": f"id-{n}-{i}",
            "userPrincipalName": f"u{n}-{i}@contoso.example",
            "userDisplayName": f"User {n}-{i}",
            "userType": "member",
            "isAdmin": False,
            "isMfaRegistered": True,
            "isMfaCapable": None,
            "isPasswordlessCapable": False,
            "isSsprRegistered": False,
            "methodsRegistered": ["mobilePhone", "microsoftAuthenticatorPush", "mobilePhone"],
            "lastUpdatedDateTime": "2026-11-27T23:10:05.1234567Z",
        }
        for i in range(2)
    ]
    body: dict[str, Any] = {"value": rows}
    if next_link:
        body["@odata.nextLink"] = f"{BASE_URL}{REPORT}?$top=999&$skiptoken=page{n + 1}"
    return httpx.Response(200, json=body)


def test_the_report_read_selects_its_properties_follows_next_links_and_parses_rows() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("$skiptoken")
        n = int(token.removeprefix("page")) if token else 0
        return report_page(n, next_link=n < 2)

    pages, graph = run(handler, read_report)

    assert [len(p) for p in pages] == [2, 2, 2]
    first = graph.requests[0].url.params
    assert first["$select"].split(",") == list(REGISTRATION_SELECT)
    assert first["$top"] == "999"
    row = pages[2][1]
    assert row == RegistrationRow(
        id="id-2-1",
        user_principal_name="u2-1@contoso.example",
        display_name="User 2-1",
        user_type="member",
        is_admin=False,
        is_mfa_registered=True,
        is_mfa_capable=None,
        is_passwordless_capable=False,
        is_sspr_registered=False,
        methods=("microsoftAuthenticatorPush", "mobilePhone"),
        last_updated="2026-11-27T23:10:05.1234567Z",
    )


def test_the_report_read_gets_more_sdk_retries_than_other_reads(
    retry_sleeps: list[float],
) -> None:
    # The reports throttle (5 requests / 10 s): eight 429s in a row, then the page.
    attempts: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.headers.get("Retry-Attempt"))
        if len(attempts) <= 8:
            return graph_error(429, "TooManyRequests", "Too many requests", {"Retry-After": "2"})
        return report_page(0, next_link=False)

    pages, graph = run(handler, read_report)

    assert [len(p) for p in pages] == [2]
    assert len(graph.requests) == 9  # more than the SDK's default 1 + 3
    assert retry_sleeps == [2] * 8
    # The retries are the SDK's, on the same request, not a loop of Tapstart's own.
    assert attempts == [None, "1", "2", "3", "4", "5", "6", "7", "8"]


def test_a_report_page_throttled_past_every_retry_is_transient(retry_sleeps: list[float]) -> None:
    throttled = always(
        lambda: graph_error(429, "TooManyRequests", "Too many requests", {"Retry-After": "2"})
    )

    error, graph = fails(throttled, read_report, TransientError)

    assert error.reason == "graph_429 on read registration report"
    assert error.retry_after == 2.0
    assert len(graph.requests) == 1 + REPORT_RETRIES  # no retries of its own on top
    assert REPORT_RETRIES == 10


def test_other_reads_keep_the_sdk_default_retries(retry_sleeps: list[float]) -> None:
    throttled = always(
        lambda: graph_error(429, "TooManyRequests", "Too many requests", {"Retry-After": "2"})
    )

    _, graph = fails(throttled, lambda d: d.find_user_by_upn("a@contoso.example"), TransientError)

    assert len(graph.requests) == 1 + SDK_DEFAULT_RETRIES


def test_a_500_is_not_retried_by_the_sdk_and_ends_the_report_read_as_transient() -> None:
    failing = always(lambda: graph_error(500, "generalException", "boom"))

    error, graph = fails(failing, read_report, TransientError)

    assert error.reason == "graph_500 on read registration report"
    assert len(graph.requests) == 1


# --- the passcode ---------------------------------------------------------------------------


def _tap_answer(**fields: Any) -> dict[str, Any]:
    answer = {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": "6f1967b7-15e8-4935-ac26-d50770ed07a7",
        "temporaryAccessPass": PASSCODE,
        "createdDateTime": "2026-11-28T09:00:00.1234567Z",
        "startDateTime": "2026-11-28T09:00:00Z",
        "lifetimeInMinutes": 60,
        "isUsableOnce": True,
    }
    answer.update(fields)
    return {k: v for k, v in answer.items() if v is not ...}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(lambda: httpx.Response(201, json=_tap_answer(id=...)), id="no-id"),
        pytest.param(
            lambda: httpx.Response(201, json=_tap_answer(lifetimeInMinutes="sixty")),
            id="bad-lifetime",
        ),
        pytest.param(
            lambda: httpx.Response(201, json=_tap_answer(startDateTime=12, createdDateTime=12)),
            id="bad-times",
        ),
        pytest.param(
            lambda: httpx.Response(
                201,
                content=b'{"temporaryAccessPass": "' + PASSCODE.encode() + b'", "id": ',
                headers={"Content-Type": "application/json"},
            ),
            id="truncated-json",
        ),
        pytest.param(
            lambda: httpx.Response(201, json=[_tap_answer()]),
            id="not-an-object",
        ),
    ],
)
def test_no_passcode_in_any_error_raised_around_a_created_tap(
    response: Callable[[], httpx.Response],
) -> None:
    graph = ScriptedGraph(always(response))

    async def go() -> None:
        async with mock_directory(graph) as directory:
            await directory.create_tap("u1", datetime(2026, 11, 28, tzinfo=UTC), 60, True)

    with pytest.raises(Exception) as caught:
        asyncio.run(go())

    for exc in _chain(caught.value):
        for text in (str(exc), repr(exc), repr(exc.args)):
            assert PASSCODE not in text, type(exc).__name__


def test_a_created_tap_carries_its_passcode_but_never_shows_it() -> None:
    created = always(lambda: httpx.Response(201, json=_tap_answer()))

    tap, graph = run(created, lambda d: d.create_tap("u1", None, 60, True))

    assert tap.passcode == PASSCODE
    assert PASSCODE not in repr(tap) and PASSCODE not in str(tap)
    assert graph.paths() == [TAPS]
