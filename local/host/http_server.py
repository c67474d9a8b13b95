"""HTTP front: HTTP triggers under `/<routePrefix>/<route>`, plus the admin API.

Auth levels are enforced (Core Tools skips them locally; here a missing key is a 401 so tests
catch an auth level that is wrong): FUNCTION takes a function key or the master key, in the
`x-functions-key` header or the `code` query parameter; ADMIN takes the master key only
(ANONYMOUS is refused at indexing). A function answers with a `func.HttpResponse`.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from aiohttp import web

from local.host.indexing import FunctionSpec
from local.host.invoke import Invocation
from local.host.routes import RouteTemplate, compile_route

log = logging.getLogger("local.host.http")

MAX_REQUEST_BYTES = 100 * 1024 * 1024
AdminInvoke = Callable[[str, str], Awaitable[bool]]
HttpInvoke = Callable[[FunctionSpec, func.HttpRequest], Awaitable[Invocation]]


@dataclass(frozen=True)
class Keys:
    function_keys: frozenset[str]
    master_key: str

    def allows(self, auth_level: str, presented: str | None) -> bool:
        if not presented:
            return False
        if _same(presented, self.master_key):
            return True
        return auth_level.upper() == "FUNCTION" and any(
            _same(presented, k) for k in self.function_keys
        )


def _same(a: str, b: str) -> bool:
    return bool(b) and hmac.compare_digest(a.encode(), b.encode())


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

    def application(self) -> web.Application:
        # The Functions host accepts request bodies up to 100 MB; the app enforces its own limit.
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_get("/admin/host/status", self._status)
        app.router.add_post("/admin/functions/{name}", self._admin_invoke)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    async def _status(self, _request: web.Request) -> web.Response:
        return web.json_response({"state": "Running", "functions": self._names})

    async def _admin_invoke(self, request: web.Request) -> web.Response:
        if not self._keys.allows("ADMIN", presented_key(request)):
            return web.Response(status=401)
        try:
            document = json.loads(await request.read() or b"{}")
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
            if not self._keys.allows(auth_level, presented_key(request)):
                return web.Response(status=401)
            body = await request.read()
            invocation = await self._invoke_http(
                route.spec, function_request(request, body, values)
            )
            return to_response(route.spec, invocation)
        return web.Response(status=404)
