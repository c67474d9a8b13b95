"""Transport-independent request handling, shared by plain HTTP and ``$batch`` items.

A route is a segment pattern (``users/{user}/manager``), the application permissions Graph
requires for it (any one suffices) and its throttling class. Handlers are synchronous: the state
is in memory and per-request cost must stay tiny.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus

from multidict import CIMultiDict

from .errors import METHOD_NOT_ALLOWED, GraphError, unknown_segment

if TYPE_CHECKING:
    from .emulator import Emulator
    from .state import App

_VERSION_PREFIXES = ("v1.0",)
JSON_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


@dataclass
class GraphRequest:
    method: str
    segments: list[str]
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: Any
    request_id: str
    client_request_id: str
    app: App | None = None
    roles: frozenset[str] = frozenset()  # the token's application permissions
    in_batch: bool = False
    params: dict[str, str] = field(default_factory=dict)
    route: Route | None = None

    @property
    def path(self) -> str:
        return "/" + "/".join(self.segments)

    def json_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
        return self.body


@dataclass
class GraphResponse:
    status: int
    body: Any = None  # dict -> JSON; bytes -> sent as-is (already JSON); None -> empty
    headers: dict[str, str] = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()

    def body_json(self) -> Any:
        if self.body is None or isinstance(self.body, dict):
            return self.body
        return json.loads(self.body)


Handler = Callable[["Emulator", GraphRequest], GraphResponse]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str, ...]
    handler: Handler
    permissions: frozenset[str]
    throttle_class: str

    @property
    def template(self) -> str:
        return "/" + "/".join(self.pattern)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        pattern: str,
        permissions: set[str] | frozenset[str],
        throttle_class: str,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method,
                    tuple(pattern.strip("/").split("/")),
                    handler,
                    frozenset(permissions),
                    throttle_class,
                )
            )
            return handler

        return register

    def match(self, method: str, segments: list[str]) -> tuple[Route, dict[str, str]]:
        """The route for the request, or the Graph error for an unknown path or method."""
        best_depth = -1
        path_matched = False
        for route in self.routes:
            params, depth = _match(route.pattern, segments)
            if params is None:
                best_depth = max(best_depth, depth)
                continue
            path_matched = True
            if route.method == method:
                return route, params
        if path_matched:
            raise GraphError(405, "Request_BadRequest", METHOD_NOT_ALLOWED)
        index = min(max(best_depth, 0), len(segments) - 1) if segments else 0
        raise unknown_segment(segments[index] if segments else "")


def _match(pattern: tuple[str, ...], segments: list[str]) -> tuple[dict[str, str] | None, int]:
    params: dict[str, str] = {}
    for depth, part in enumerate(pattern):
        if depth >= len(segments):
            return None, depth
        segment = segments[depth]
        if part.startswith("{"):
            params[part[1:-1]] = segment
        elif part.lower() != segment.lower():
            return None, depth
    if len(segments) != len(pattern):
        return None, len(pattern)
    return params, len(pattern)


def parse_target(raw: str) -> tuple[list[str], dict[str, str]]:
    """Decode each path segment on its own (``user%40contoso.com``) and the query's ``$`` names."""
    path, _, query_text = raw.partition("?")
    segments = [unquote(s) for s in path.split("/") if s]
    if segments and segments[0] in _VERSION_PREFIXES:
        segments = segments[1:]
    query: dict[str, str] = {}
    for pair in query_text.split("&"):
        if pair:
            # "+" is a space in a query, as Graph's front end decodes it; the SDK sends "%2B".
            key, _, value = (unquote_plus(part) for part in pair.partition("="))
            query[key.lower() if key.startswith("$") else key] = value
    return segments, query


def json_response(status: int, body: Mapping[str, Any] | bytes) -> GraphResponse:
    return GraphResponse(status, body if isinstance(body, bytes) else dict(body))
