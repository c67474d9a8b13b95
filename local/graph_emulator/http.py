"""The plain-HTTP Graph front end (aiohttp): parse the wire request, apply injected faults,
hand it to the emulator pipeline and write Graph's response headers.
"""

from __future__ import annotations

import asyncio
import json
import uuid

from aiohttp import web
from multidict import CIMultiDict

from .dispatch import JSON_CONTENT_TYPE, GraphRequest, GraphResponse, parse_target
from .emulator import Emulator, injected_error
from .errors import GraphError

EMULATOR_KEY = web.AppKey("emulator", Emulator)


async def graph_handler(request: web.Request) -> web.StreamResponse:
    em = request.app[EMULATOR_KEY]
    request_id = str(uuid.uuid4())
    client_request_id = request.headers.get("client-request-id", request_id)
    segments, query = parse_target(request.raw_path)
    req = GraphRequest(
        method=request.method,
        segments=segments,
        query=query,
        headers=CIMultiDict(request.headers),
        body=None,
        request_id=request_id,
        client_request_id=client_request_id,
    )
    decision = em.faults.decide(request.method, req.path)
    if decision.delay_seconds:
        await asyncio.sleep(decision.delay_seconds)
    if decision.drop:
        em.record(req, "(dropped)", 0)
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("connection dropped by fault injection")
    if decision.status is not None:
        response = em.error_response(injected_error(decision.status, decision.retry_after), req)
        em.record(req, "(injected)", response.status)
    else:
        raw = await request.read()
        try:
            req.body = json.loads(raw) if raw else None
        except ValueError:
            error = GraphError(400, "BadRequest", "Unable to read JSON request payload.")
            response = em.error_response(error, req)
        else:
            response = em.handle(req, request.headers.get("Authorization"))
            if decision.response_delay_seconds:
                await asyncio.sleep(decision.response_delay_seconds)
    return to_aiohttp(response, req, em.authority_url)


# Graph's front end (AGS) names the serving instance on every answer; clients and support log it
# with request-id. The emulator's value has Graph's shape and says where it came from.
AGS_DIAGNOSTIC = json.dumps(
    {
        "ServerInfo": {
            "DataCenter": "Local Emulator",
            "Slice": "E",
            "Ring": "0",
            "ScaleUnit": "000",
            "RoleInstance": "GRAPH-EMULATOR",
        }
    },
    separators=(",", ":"),
)
# Graph's own client id: the resource a 401's challenge names.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


def to_aiohttp(response: GraphResponse, req: GraphRequest, authority: str) -> web.Response:
    """Graph's response headers (see docs/graph-emulator.md, "Response headers"): ``request-id``
    and the echoed ``client-request-id`` and ``x-ms-ags-diagnostic`` on every answer; the OData
    content type on JSON bodies; ``OData-Version`` on successes, ``Cache-Control: no-cache`` on a
    200; a 401 carries the ``WWW-Authenticate`` challenge naming the authority."""
    headers = {
        "request-id": req.request_id,
        "client-request-id": req.client_request_id,
        "x-ms-ags-diagnostic": AGS_DIAGNOSTIC,
    }
    if 200 <= response.status < 300:
        headers["OData-Version"] = "4.0"
    if response.status == 200:
        headers["Cache-Control"] = "no-cache"
    headers.update(response.headers)
    if response.status == 401:
        # The front end knows the authority; it replaces the token check's placeholder.
        headers["WWW-Authenticate"] = (
            f'Bearer realm="", authorization_uri="{authority}/common/oauth2/authorize", '
            f'client_id="{GRAPH_APP_ID}"'
        )
    body = response.body_bytes()
    if body:
        headers.setdefault("Content-Type", JSON_CONTENT_TYPE)
    return web.Response(status=response.status, body=body or None, headers=headers)
