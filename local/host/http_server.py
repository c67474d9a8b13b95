"""HTTP front: HTTP triggers under `/<routePrefix>/<route>`, plus the admin API.

Auth levels are enforced (Core Tools skips them locally; here a missing key is a 401 so tests
catch an auth level that is wrong), with the keys of `local.host.keys`, in the `x-functions-key`
header or the `code` query parameter (ANONYMOUS is refused at indexing). A function answers with
a `func.HttpResponse`.

Two platform limits are applied as Azure applies them:

- the request body limit (`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`, 100 MB by default) is enforced
  before the function runs: a `Content-Length` above it is a 413 without reading the body, a
  chunked body is read up to the limit and refused with 413 as soon as it goes past it;
- an HTTP function that has not answered within the response limit (the Azure load balancer's
  230 s) gets the client a 502, while the invocation runs on to its end.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from aiohttp import web

from local.host.indexing import FunctionSpec
from local.host.invoke import Invocation
from local.host.keys import Keys
from local.host.routes import RouteTemplate, compile_route
from local.host.settings import DEFAULT_REQUEST_BODY_LIMIT, HTTP_RESPONSE_LIMIT

log = logging.getLogger("local.host.http")

AdminInvoke = Callable[[str, str], Awaitable[bool]]
HttpInvoke = Callable[[FunctionSpec, func.HttpRequest], Awaitable[Invocation]]


@dataclass(frozen=True)
class HttpRoute:
    spec: FunctionSpec
    template: RouteTemplate
    methods: frozenset[str] | None  # None: every method

    @classmethod
    def of(cls, spec: FunctionSpec) -> HttpRoute:
        route = str(spec.trigger.get("route") or spec.name)
        methods = spec.trigger.get("methods")
        return cls(
            spec=spec,
            template=compile_route(route),
            methods=frozenset(m.upper() for m in methods) if methods else None,
        )


def presented_key(request: web.Request) -> str | None:
    return request.headers.get("x-functions-key") or request.query.get("code")


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to be larger than `limit` bytes.

    A declared `Content-Length` above the limit is refused before a byte of the body is read; a
    chunked body is refused as soon as what has arrived goes past the limit.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_any():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


def too_large() -> web.Response:
    response = web.Response(status=413)
    response.force_close()  # the rest of the body is not wanted on this connection
    return response


def function_request(request: web.Request, body: bytes, route_params: dict[str, str]) -> Any:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        # Repeated headers are folded into one comma-separated value, as HTTP allows.
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=headers,
        params={k: v for k, v in request.query.items() if k != "code"},
        route_params=route_params,
        body=body,
    )


def to_response(spec: FunctionSpec, invocation: Invocation) -> web.Response:
    if not invocation.succeeded:
        return web.Response(status=500)
    result: Any = invocation.return_value
    if not isinstance(result, func.HttpResponse):
        log.error(
            "function=%s returned %s, not func.HttpResponse", spec.name, type(result).__name__
        )
        return web.Response(status=500)
    response = web.Response(status=result.status_code, body=result.get_body())
    for name, value in result.headers.items():
        response.headers.add(name, value)
    if "content-type" not in {name.lower() for name, _ in result.headers.items()}:
        response.headers["Content-Type"] = f"{result.mimetype}; charset={result.charset}"
    return response


class HttpFront:
    def __init__(
        self,
        functions: Iterable[FunctionSpec],
        route_prefix: str,
        keys: Keys,
        invoke_http: HttpInvoke,
        invoke_admin: AdminInvoke,
        body_limit: int = DEFAULT_REQUEST_BODY_LIMIT,
        response_limit: float | None = HTTP_RESPONSE_LIMIT.total_seconds(),
    ) -> None:
        self._routes = sorted(
            (HttpRoute.of(f) for f in functions if f.trigger_type == "httpTrigger"),
            key=lambda r: r.template.precedence,
        )
        self._names = sorted(f.name for f in functions)
        self._prefix = route_prefix.strip("/")
        self._keys = keys
        self._invoke_http = invoke_http
        self._invoke_admin = invoke_admin
        self._body_limit = body_limit
        self._response_limit = response_limit
        # Invocations whose client already got a 502: they run on, and shutdown waits for them.
        self.unanswered: set[asyncio.Task[Invocation]] = set()

    def application(self) -> web.Application:
        # Bodies are read by read_body, under the body limit; this only bounds other reads.
        app = web.Application(client_max_size=max(self._body_limit, 1))
        app.router.add_get("/admin/host/status", self._status)
        app.router.add_post("/admin/functions/{name}", self._admin_invoke)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    async def _status(self, _request: web.Request) -> web.Response:
        return web.json_response({"state": "Running", "functions": self._names})

    async def _admin_invoke(self, request: web.Request) -> web.Response:
        if not self._keys.allows_admin(presented_key(request)):
            return web.Response(status=401)
        body = await read_body(request, self._body_limit)
        if body is None:
            return too_large()
        try:
            document = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return web.Response(status=400, text='body must be JSON like {"input": "..."}')
        raw_input = document.get("input", "") if isinstance(document, dict) else ""
        text = raw_input if isinstance(raw_input, str) else json.dumps(raw_input)
        found = await self._invoke_admin(request.match_info["name"], text)
        return web.Response(status=202 if found else 404)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path.strip("/")
        if self._prefix:
            head, _, rest = path.partition("/")
            if head.lower() != self._prefix.lower():
                return web.Response(status=404)
            path = rest
        for route in self._routes:
            values = route.template.match(path)
            if values is None:
                continue
            if route.methods is not None and request.method.upper() not in route.methods:
                continue
            auth_level = str(route.spec.trigger.get("authLevel", "FUNCTION"))
            if not self._keys.allows(auth_level, route.spec.name, presented_key(request)):
                return web.Response(status=401)
            body = await read_body(request, self._body_limit)
            if body is None:
                log.warning(
                    "function=%s: request body over %s=%d bytes; answered 413 without invoking",
                    route.spec.name,
                    "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT",
                    self._body_limit,
                )
                return too_large()
            return await self._answer(route.spec, function_request(request, body, values))
        return web.Response(status=404)

    async def _answer(self, spec: FunctionSpec, request: func.HttpRequest) -> web.Response:
        invocation = asyncio.ensure_future(self._invoke_http(spec, request))
        try:
            # Shielded: when the response limit passes, the client gets its 502 but the
            # invocation is not cancelled (Azure's load balancer cuts the connection, no more).
            done = await asyncio.wait_for(asyncio.shield(invocation), self._response_limit)
        except TimeoutError:
            self.unanswered.add(invocation)
            invocation.add_done_callback(self.unanswered.discard)
            log.warning(
                "function=%s: no response within %g s; answered 502 as the Azure load balancer "
                "does, the invocation runs on",
                spec.name,
                self._response_limit,
            )
            return web.Response(status=502)
        return to_response(spec, done)
