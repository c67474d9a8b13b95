"""HTTP triggers through the local host: routes, methods, keys, responses and platform limits."""

from __future__ import annotations

import select
import socket
import uuid

import pytest

from tests.fixtures.host import RunningHost, StartHost
from tests.platform.conftest import APP, BODY_LIMIT, HELLO_KEY, ITEM_KEY, wait_until

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


def test_a_function_key_opens_its_own_function_and_no_other(host: RunningHost) -> None:
    def status(path: str, key: str | None = None) -> int:
        return host.request("GET", path, key=key).status

    assert status("/api/hello/ada", HELLO_KEY) == 200
    assert status("/api/hello/ada", f"second-{HELLO_KEY}") == 200
    assert status("/api/items/7", HELLO_KEY) == 401  # hello's key is not item's
    assert status("/api/items/7", ITEM_KEY) == 200
    assert status("/api/hello/ada", ITEM_KEY) == 401
    # In the query string, exactly as in the header.
    assert status(f"/api/hello/ada?code={HELLO_KEY}") == 200
    assert status(f"/api/items/7?code={HELLO_KEY}") == 401
    # ADMIN routes and the admin API take the master key only.
    assert status("/api/secret", HELLO_KEY) == 401
    assert host.request("POST", "/admin/functions/tick", body="{}", key=HELLO_KEY).status == 401


def test_host_keys_and_the_master_key_open_every_function_level_route(host: RunningHost) -> None:
    for key in (host.function_key, host.master_key):
        assert host.request("GET", "/api/hello/ada", key=key).status == 200
        assert host.request("GET", "/api/items/7", key=key).status == 200
        assert host.request("GET", f"/api/items/7?code={key}").status == 200


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
    assert status.json()["functions"] == [
        "boom",
        "hello",
        "item",
        "plain",
        "secret",
        "tick",
        "work",
    ]
    unauthorised = host.request("POST", "/admin/functions/tick", body="{}", key=host.function_key)
    assert unauthorised.status == 401
    assert host.invoke("no_such_function").status == 404
    assert host.invoke("hello").status == 404  # an HTTP function is called on its route


def status_line(sock: socket.socket) -> int:
    """The status code of the response on `sock` (times out if none comes)."""
    line = sock.makefile("rb").readline()
    assert line.startswith(b"HTTP/1.1 "), line
    return int(line.split()[1])


def request_head(host: RunningHost, path: str, framing: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{host.port}\r\n"
        f"x-functions-key: {host.function_key}\r\n{framing}\r\n\r\n"
    ).encode("ascii")


def invoked(host: RunningHost, path: str) -> bool:
    return any(f"trigger=http:POST {path} " in line for line in host.logs().splitlines())


def test_a_body_at_the_limit_reaches_the_function_and_one_byte_more_does_not(
    host: RunningHost,
) -> None:
    at_limit = host.request("POST", "/api/hello/at", body=b"x" * BODY_LIMIT, key=host.function_key)
    assert at_limit.status == 200
    assert at_limit.json()["body_bytes"] == BODY_LIMIT

    path = f"/api/hello/over-{uuid.uuid4().hex}"
    over = host.request("POST", path, body=b"x" * (BODY_LIMIT + 1), key=host.function_key)
    assert (over.status, over.body) == (413, b"")
    assert not invoked(host, path)


def test_a_content_length_over_the_limit_is_refused_before_the_body_is_sent(
    host: RunningHost,
) -> None:
    path = f"/api/hello/declared-{uuid.uuid4().hex}"
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as sock:
        sock.sendall(request_head(host, path, f"Content-Length: {BODY_LIMIT + 1}"))
        # Not one byte of the body is sent: a host that read it first would never answer.
        assert status_line(sock) == 413
    assert not invoked(host, path)
    assert f"over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT={BODY_LIMIT} bytes" in host.logs()


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(host: RunningHost) -> None:
    path = f"/api/hello/chunked-{uuid.uuid4().hex}"
    chunk = b"x" * 65536
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    answered = False
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as sock:
        sock.sendall(request_head(host, path, "Transfer-Encoding: chunked"))
        for _ in range(1024):  # up to 64 MiB, and never the last chunk: the body never ends
            try:
                sock.sendall(frame)
            except OSError:  # the host closed the connection after answering
                answered = True
                break
            if select.select([sock], [], [], 0)[0]:
                answered = True
                break
        assert answered, "no answer while the body was still coming"
        assert status_line(sock) == 413
    assert not invoked(host, path)


def test_an_http_function_past_the_response_limit_gets_502_and_runs_on(
    start_local_host: StartHost, app_env: dict[str, str]
) -> None:
    host = start_local_host(app=APP, env=app_env, extra_args=["--http-timeout", "1"])

    def finished() -> list[str]:
        return [x for x in host.logs().splitlines() if "function=hello invocation=" in x]

    response = host.request("GET", "/api/hello/slow?sleep=3", key=host.function_key)

    assert response.status == 502
    assert finished() == []  # the client had its answer before the function was done
    [line] = wait_until(finished, timeout=15)
    assert "outcome=succeeded" in line
    assert host.request("GET", "/api/hello/quick", key=host.function_key).status == 200
