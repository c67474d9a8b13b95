"""HTTP triggers through the local host: routing, methods, auth levels, responses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.host import RunningHost

pytestmark = pytest.mark.azurite


@pytest.fixture
def host(sample_host: RunningHost) -> RunningHost:
    return sample_host


def test_function_level_route_needs_a_key(host: RunningHost) -> None:
    assert host.request("GET", "/api/hello/ada").status == 401
    assert host.request("GET", "/api/hello/ada", key="not-a-key").status == 401

    by_header = host.request("GET", "/api/hello/ada?greeting=hi", key=host.function_key)
    assert by_header.status == 200
    assert by_header.json() == {"name": "ada", "greeting": "hi", "has_code_param": False}
    assert by_header.headers["Content-Type"] == "application/json; charset=utf-8"

    by_query = host.request("GET", f"/api/hello/grace?code={host.function_key}")
    assert by_query.status == 200
    # The key is the host's business: the function never sees it among its parameters.
    assert by_query.json() == {"name": "grace", "greeting": "hello", "has_code_param": False}

    assert host.request("GET", "/api/hello/ada", key=f"second-{host.function_key}").status == 200
    assert host.request("GET", "/api/hello/ada", key=host.master_key).status == 200


def test_admin_level_route_takes_only_the_master_key(host: RunningHost) -> None:
    assert host.request("GET", "/api/secret", key=host.function_key).status == 401
    response = host.request("GET", "/api/secret", key=host.master_key)
    assert (response.status, response.text) == (200, "admin only")


@pytest.mark.parametrize(
    ("method", "path", "status", "expected"),
    [
        ("GET", "/api/items", 200, {"id": None, "method": "GET"}),
        ("GET", "/api/items/42", 200, {"id": "42", "method": "GET"}),
        ("GET", "/API/Items/42/", 200, {"id": "42", "method": "GET"}),
        ("POST", "/api/items/7", 201, {"id": "7", "method": "POST", "body": "payload"}),
        ("GET", "/api/items/not-an-int", 404, None),
        ("DELETE", "/api/items/42", 404, None),
        ("GET", "/api/nothing-here", 404, None),
        ("GET", "/items/42", 404, None),
    ],
)
def test_route_templates_and_methods(
    host: RunningHost, method: str, path: str, status: int, expected: dict[str, Any] | None
) -> None:
    body = "payload" if method == "POST" else None
    response = host.request(method, path, body=body, headers={"content-type": "text/plain"})
    assert response.status == status
    if expected is not None:
        assert expected.items() <= response.json().items()
        assert response.headers["x-sample"] == "items"


def test_catch_all_route_and_plain_string_return(host: RunningHost) -> None:
    response = host.request("GET", "/api/files/reports/2026/summary.csv")
    assert (response.status, response.text) == (200, "reports/2026/summary.csv")


def test_an_unhandled_exception_is_a_500_and_a_logged_failure(host: RunningHost) -> None:
    assert host.request("GET", "/api/boom").status == 500
    failed = [line for line in host.logs().splitlines() if "function=boom" in line]
    assert len(failed) == 1
    assert "outcome=failed error=RuntimeError" in failed[0]
    assert "trigger=http:GET /api/boom" in failed[0]


def test_host_status_and_admin_api_guard(host: RunningHost) -> None:
    status = host.request("GET", "/admin/host/status")
    assert status.status == 200
    assert status.json()["functions"] == [
        "boom",
        "echo",
        "files",
        "flaky",
        "gate",
        "hello",
        "items",
        "secret",
        "slow",
        "tick",
        "warmup",
    ]
    unauthorised = host.request("POST", "/admin/functions/tick", body="{}", key=host.function_key)
    assert unauthorised.status == 401
    assert host.invoke("no_such_function").status == 404


def test_bodies_over_a_megabyte_reach_the_function(host: RunningHost) -> None:
    # The real host takes up to 100 MB; size limits are the app's own business.
    payload = "x" * (2 * 1024 * 1024)
    response = host.request("POST", "/api/items", body=payload)
    assert response.status == 201
    assert len(response.json()["body"]) == len(payload)
