"""HTTP triggers through the local host: `{name}` routes, methods, auth levels, responses."""

from __future__ import annotations

import pytest

from tests.fixtures.host import RunningHost

pytestmark = pytest.mark.azurite


@pytest.fixture
def host(shared_host: RunningHost) -> RunningHost:
    return shared_host


def test_function_level_route_needs_a_key(host: RunningHost) -> None:
    assert host.request("GET", "/api/hello/ada").status == 401
    assert host.request("GET", "/api/hello/ada", key="not-a-key").status == 401

    by_header = host.request("GET", "/api/hello/ada?greeting=hi", key=host.function_key)
    assert by_header.status == 200
    assert by_header.json() == {
        "name": "ada",
        "method": "GET",
        "params": {"greeting": "hi"},
        "body_bytes": 0,
    }
    assert by_header.headers["Content-Type"] == "application/json; charset=utf-8"

    by_query = host.request("GET", f"/api/hello/grace?code={host.function_key}")
    assert by_query.status == 200
    # The key is the host's business: the function never sees it among its parameters.
    assert by_query.json()["params"] == {}

    assert host.request("GET", "/api/hello/ada", key=f"second-{host.function_key}").status == 200
    assert host.request("GET", "/api/hello/ada", key=host.master_key).status == 200


def test_admin_level_route_takes_only_the_master_key(host: RunningHost) -> None:
    assert host.request("GET", "/api/secret", key=host.function_key).status == 401
    response = host.request("GET", "/api/secret", key=host.master_key)
    assert (response.status, response.text) == (200, "admin only")
    assert response.headers["x-app"] == "minimal"


@pytest.mark.parametrize(
    ("method", "path", "status", "name"),
    [
        ("GET", "/api/hello/ada", 200, "ada"),
        ("GET", "/API/Hello/ada/", 200, "ada"),  # literals ignore case; a trailing slash is fine
        ("POST", "/api/hello/bob", 200, "bob"),
        ("DELETE", "/api/hello/ada", 404, None),  # matches, but not for this method
        ("GET", "/api/hello", 404, None),
        ("GET", "/api/hello/ada/more", 404, None),
        ("GET", "/api/nothing-here", 404, None),
        ("GET", "/hello/ada", 404, None),  # outside the route prefix
    ],
)
def test_routes_and_methods(
    host: RunningHost, method: str, path: str, status: int, name: str | None
) -> None:
    body = "payload" if method == "POST" else None
    response = host.request(method, path, body=body, key=host.function_key)
    assert response.status == status
    if name is not None:
        document = response.json()
        assert (document["name"], document["method"]) == (name, method)
        assert document["body_bytes"] == len(body or "")


def test_an_unhandled_exception_is_a_500_and_a_logged_failure(host: RunningHost) -> None:
    assert host.request("GET", "/api/boom", key=host.function_key).status == 500
    failed = [line for line in host.logs().splitlines() if "function=boom" in line]
    assert len(failed) == 1
    assert "outcome=failed error=RuntimeError" in failed[0]
    assert "trigger=http:GET /api/boom" in failed[0]


def test_a_return_that_is_not_an_http_response_is_a_500(host: RunningHost) -> None:
    assert host.request("GET", "/api/plain", key=host.function_key).status == 500
    assert "function=plain returned str, not func.HttpResponse" in host.logs()


def test_host_status_and_admin_api_guard(host: RunningHost) -> None:
    status = host.request("GET", "/admin/host/status")
    assert status.status == 200
    assert status.json()["functions"] == ["boom", "hello", "plain", "secret", "tick", "work"]
    unauthorised = host.request("POST", "/admin/functions/tick", body="{}", key=host.function_key)
    assert unauthorised.status == 401
    assert host.invoke("no_such_function").status == 404
    assert host.invoke("hello").status == 404  # an HTTP function is called on its route


def test_bodies_over_a_megabyte_reach_the_function(host: RunningHost) -> None:
    # The real host takes up to 100 MB; size limits are the app's own business.
    payload = "x" * (2 * 1024 * 1024)
    response = host.request("POST", "/api/hello/big", body=payload, key=host.function_key)
    assert response.status == 200
    assert response.json()["body_bytes"] == len(payload)
