"""Handlers of the control API under `/_emulator/` (no auth: loopback tooling only)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from local.acs_email_emulator.api import STATE_KEY
from local.acs_email_emulator.state import EmulatorState, FaultRule


def _state(request: web.Request) -> EmulatorState:
    return request.app[STATE_KEY]


def _problem(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": {"code": "BadRequest", "message": message}}, status=status)


async def _json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise web.HTTPBadRequest(text=f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


def _with_status(state: EmulatorState, record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "status": state.status_of(record)}


async def health(request: web.Request) -> web.Response:
    state = _state(request)
    return web.json_response({"status": "ok", "outbox": str(state.outbox.directory)})


async def list_messages(request: web.Request) -> web.Response:
    state = _state(request)
    return web.json_response([_with_status(state, r) for r in state.outbox.records()])


async def clear_messages(request: web.Request) -> web.Response:
    _state(request).outbox.clear()
    return web.Response(status=204)


def _record(request: web.Request) -> dict[str, Any]:
    record = _state(request).outbox.get(request.match_info["message_id"])
    if record is None:
        raise web.HTTPNotFound(text="no such message")
    return record


async def get_message(request: web.Request) -> web.Response:
    return web.json_response(_with_status(_state(request), _record(request)))


async def get_eml(request: web.Request) -> web.Response:
    record = _record(request)
    raw = _state(request).outbox.eml(record["id"])
    return web.Response(body=raw, content_type="message/rfc822")


async def get_attachment(request: web.Request) -> web.Response:
    record = _record(request)
    try:
        index = int(request.match_info["index"])
    except ValueError:
        raise web.HTTPNotFound(text="no such attachment") from None
    attachment = _state(request).outbox.attachment(record["id"], index)
    if attachment is None:
        raise web.HTTPNotFound(text="no such attachment")
    # Served as a download: an HTML or SVG attachment must not run in the emulator's origin.
    safe_name = attachment.name.replace('"', "").replace("\r", "").replace("\n", "")
    return web.Response(
        body=attachment.content,
        headers={
            "Content-Type": attachment.content_type,
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


async def get_limits(request: web.Request) -> web.Response:
    return web.json_response(_state(request).limits_json())


async def set_limits(request: web.Request) -> web.Response:
    state = _state(request)
    try:
        state.update_limits(await _json_object(request))
    except ValueError as exc:
        return _problem(str(exc))
    return web.json_response(state.limits_json())


async def get_settings(request: web.Request) -> web.Response:
    return web.json_response(_state(request).settings_json())


async def set_settings(request: web.Request) -> web.Response:
    state = _state(request)
    try:
        state.update_settings(await _json_object(request))
    except ValueError as exc:
        return _problem(str(exc))
    return web.json_response(state.settings_json())


async def get_bounces(request: web.Request) -> web.Response:
    return web.json_response({"addresses": sorted(_state(request).bounces)})


async def set_bounces(request: web.Request) -> web.Response:
    addresses = (await _json_object(request)).get("addresses", [])
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        return _problem("addresses must be a list of strings")
    state = _state(request)
    state.bounces = {a.lower() for a in addresses}
    return web.json_response({"addresses": sorted(state.bounces)})


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response({"faults": [f.as_json() for f in _state(request).faults]})


async def set_faults(request: web.Request) -> web.Response:
    body = await _json_object(request)
    items = body.get("faults", [body] if "status" in body else [])
    if not isinstance(items, list):
        return _problem("faults must be a list")
    try:
        rules = [FaultRule.from_json(item) for item in items]
    except ValueError as exc:
        return _problem(str(exc))
    state = _state(request)
    state.faults = rules
    return web.json_response({"faults": [f.as_json() for f in rules]})


async def clear_faults(request: web.Request) -> web.Response:
    _state(request).faults = []
    return web.Response(status=204)


async def get_requests(request: web.Request) -> web.Response:
    counts = {name: dict(counter) for name, counter in _state(request).requests.items()}
    return web.json_response(counts)


async def reset(request: web.Request) -> web.Response:
    _state(request).reset()
    return web.Response(status=204)


async def advance_clock(request: web.Request) -> web.Response:
    seconds = (await _json_object(request)).get("advanceSeconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        return _problem("advanceSeconds must be a non-negative number")
    _state(request).clock.advance(float(seconds))
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_routes(
        [
            web.get("/_emulator/health", health),
            web.get("/_emulator/messages", list_messages),
            web.delete("/_emulator/messages", clear_messages),
            web.get("/_emulator/messages/{message_id}", get_message),
            web.get("/_emulator/messages/{message_id}/eml", get_eml),
            web.get("/_emulator/messages/{message_id}/attachments/{index}", get_attachment),
            web.get("/_emulator/limits", get_limits),
            web.post("/_emulator/limits", set_limits),
            web.get("/_emulator/settings", get_settings),
            web.post("/_emulator/settings", set_settings),
            web.get("/_emulator/bounces", get_bounces),
            web.post("/_emulator/bounces", set_bounces),
            web.get("/_emulator/faults", get_faults),
            web.post("/_emulator/faults", set_faults),
            web.delete("/_emulator/faults", clear_faults),
            web.get("/_emulator/requests", get_requests),
            web.post("/_emulator/reset", reset),
            web.post("/_emulator/clock", advance_clock),
        ]
    )
