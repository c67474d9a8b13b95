"""Assemble the aiohttp application and run it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from local.acs_email_emulator import control_api, pages
from local.acs_email_emulator.api import STATE_KEY, VERIFIER_KEY, get_operation, send_email
from local.acs_email_emulator.config import MAX_REQUEST_BYTES, EmulatorConfig
from local.acs_email_emulator.entra import TokenVerifier
from local.acs_email_emulator.errors import AcsError
from local.acs_email_emulator.outbox import Outbox
from local.acs_email_emulator.state import EmulatorState

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _api_endpoint(path: str) -> str | None:
    """Which ACS endpoint a path belongs to, or None for the emulator's own pages and API."""
    if path == "/" or path.startswith(("/_emulator/", "/messages/")):
        return None
    if path == "/emails:send":
        return "send"
    if path.startswith("/emails/operations/"):
        return "status"
    return "other"


@web.middleware
async def acs_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer ACS API errors in the ACS shape and count every API request by outcome."""
    endpoint = _api_endpoint(request.path)
    if endpoint is None:
        return await handler(request)
    try:
        response = await handler(request)
    except AcsError as exc:
        response = exc.response()
    except web.HTTPNotFound:
        response = AcsError(404, "NotFound", f"No ACS Email API at {request.path}.").response()
    except web.HTTPMethodNotAllowed:
        response = AcsError(405, "MethodNotAllowed", f"{request.method} is not allowed.").response()
    except Exception:
        # A bug in the emulator still answers in ACS's shape, never aiohttp's plain-text 500.
        log.exception("unexpected error on %s", endpoint)
        response = AcsError(
            500, "InternalServerError", "The emulator failed on this request; see its log."
        ).response()
    request.app[STATE_KEY].count_request(endpoint, response.status)
    return response


def create_app(config: EmulatorConfig) -> web.Application:
    # Above the 10 MB ACS limit so the emulator itself can answer an oversized request.
    app = web.Application(middlewares=[acs_errors], client_max_size=4 * MAX_REQUEST_BYTES)
    app[STATE_KEY] = EmulatorState(config, Outbox(config.outbox_dir))
    if config.entra_tenant and config.entra_issuer_graph:
        verifier = TokenVerifier(config.entra_tenant, config.entra_issuer_graph)
        app[VERIFIER_KEY] = verifier

        async def close_verifier(_app: web.Application) -> None:
            await verifier.close()

        app.on_cleanup.append(close_verifier)
    app.router.add_post("/emails:send", send_email)
    app.router.add_get("/emails/operations/{operation_id}", get_operation)
    control_api.add_routes(app)
    pages.add_routes(app)
    return app


def run(config: EmulatorConfig) -> None:
    app = create_app(config)
    url = f"http://{config.host}:{config.port}"
    print(f"ACS Email emulator on {url}  outbox: {url}/  files: {config.outbox_dir}", flush=True)
    log.info("listening on %s, outbox folder %s", url, config.outbox_dir)
    web.run_app(app, host=config.host, port=config.port, print=None, access_log=None)
