"""``POST /$batch`` with Graph's semantics: ≤ 20 requests, unique ids, ``dependsOn`` with 424,
per-item status (429 with ``Retry-After`` in the item headers), JSON-object bodies.

Graph ignores the SDK's snake_case ``depends_on``; so does the emulator, so that SDK defect shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from multidict import CIMultiDict

from .. import permissions as perm
from ..dispatch import GraphRequest, GraphResponse, Router, parse_target
from ..errors import GraphError, bad_request
from .common import ok

if TYPE_CHECKING:
    from ..emulator import Emulator

MAX_REQUESTS = 20


def register(router: Router) -> None:
    router.add("POST", "$batch", perm.NONE, "none")(post_batch)


def _malformed(message: str) -> GraphError:
    return GraphError(400, "BadRequest", message)


def post_batch(em: Emulator, req: GraphRequest) -> GraphResponse:
    items = req.json_body().get("requests")
    if not isinstance(items, list) or not items:
        raise _malformed("Invalid batch payload format.")
    if len(items) > MAX_REQUESTS:
        raise _malformed(
            f"Number of batch requests is {len(items)}; the maximum is {MAX_REQUESTS}."
        )
    ids = [str(i.get("id", "")).lower() for i in items if isinstance(i, dict)]
    if len(ids) != len(items) or "" in ids:
        raise _malformed("Invalid batch payload format: every request needs an id.")
    if len(set(ids)) != len(ids):
        raise _malformed("Batch request contains duplicate request ids.")
    seen: set[str] = set()
    for item, item_id in zip(items, ids, strict=True):
        for dep in item.get("dependsOn") or []:
            if str(dep).lower() not in seen:
                raise _malformed(f"Invalid dependency for request Id {item['id']}.")
        seen.add(item_id)

    statuses: dict[str, int] = {}
    responses: list[dict[str, Any]] = []
    authorization = req.headers.get("Authorization")
    for item, item_id in zip(items, ids, strict=True):
        deps = [str(d).lower() for d in item.get("dependsOn") or []]
        failed = [d for d in deps if not 200 <= statuses.get(d, 0) < 300]
        if failed:
            statuses[item_id] = 424
            responses.append(
                {
                    "id": item["id"],
                    "status": 424,
                    "headers": {"Content-Type": "application/json"},
                    "body": {
                        "error": {"code": "FailedDependency", "message": "Failed dependency."}
                    },
                }
            )
            continue
        result = _run_item(em, req, item, authorization)
        statuses[item_id] = result.status
        entry: dict[str, Any] = {"id": item["id"], "status": result.status}
        headers = {
            k: v
            for k, v in result.headers.items()
            if k.lower() not in {"request-id", "client-request-id"}
        }
        if result.body is not None:
            headers.setdefault("Content-Type", "application/json")
            entry["body"] = result.body_json()
        entry["headers"] = headers
        responses.append(entry)
    return ok({"responses": responses})


def _run_item(
    em: Emulator,
    outer: GraphRequest,
    item: dict[str, Any],
    authorization: str | None,
) -> GraphResponse:
    method = str(item.get("method", "")).upper()
    url = str(item.get("url", ""))
    headers: CIMultiDict[str] = CIMultiDict(
        {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
    )
    inner = GraphRequest(
        method=method,
        segments=[],
        query={},
        headers=headers,
        body=item.get("body"),
        request_id=outer.request_id,
        client_request_id=outer.client_request_id,
        in_batch=True,
    )
    try:
        if not method or urlsplit(url).scheme:
            raise bad_request("Invalid request: the url must be relative, for example /users.")
        if inner.body is not None and "Content-Type" not in headers:
            raise bad_request("Content-Type header must be specified when a body is present.")
        if isinstance(inner.body, str):
            raise bad_request("Only JSON object bodies are supported by the emulator.")
        inner.segments, inner.query = parse_target(url if url.startswith("/") else "/" + url)
    except GraphError as error:
        return em.error_response(error, inner)
    return em.handle(inner, authorization)
