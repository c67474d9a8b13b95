"""The ACS Email REST API: `POST /emails:send` and `GET /emails/operations/{id}`."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime

from aiohttp import web

from local.acs_email_emulator import auth
from local.acs_email_emulator.config import MAX_REQUEST_BYTES, SUPPORTED_API_VERSIONS
from local.acs_email_emulator.errors import AcsError, bad_request
from local.acs_email_emulator.mime import build_mime
from local.acs_email_emulator.outbox import make_record
from local.acs_email_emulator.state import EmulatorState, Operation
from local.acs_email_emulator.validation import SendRequest, parse_send_request

log = logging.getLogger(__name__)

STATE_KEY = web.AppKey("state", EmulatorState)
_OPERATION_ID = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_DROPPED = {
    "code": "EmailDropped",
    "message": "Email was dropped after several attempts to deliver.",
}


def _api_version(request: web.Request) -> str:
    version = request.query.get("api-version")
    if not version:
        raise bad_request(
            "The api-version query parameter (?api-version=) is required for all requests.",
            code="MissingApiVersionParameter",
        )
    if version not in SUPPORTED_API_VERSIONS:
        raise bad_request(
            f"The api-version '{version}' is not supported; supported versions: "
            f"{', '.join(sorted(SUPPORTED_API_VERSIONS))}.",
            code="UnsupportedApiVersion",
        )
    return version


async def _authenticated_body(request: web.Request, state: EmulatorState) -> bytes:
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise AcsError(
            413, "RequestBodyTooLarge", f"The maximum request size is {MAX_REQUEST_BYTES} bytes."
        ) from None
    auth.verify(
        method=request.method,
        path_and_query=request.raw_path,
        headers=request.headers,
        body=body,
        access_key=state.config.access_key,
    )
    return body


def _common_headers(request: web.Request) -> dict[str, str]:
    headers = {"x-ms-request-id": str(uuid.uuid4())}
    client_request_id = request.headers.get("x-ms-client-request-id")
    if client_request_id and request.headers.get("x-ms-return-client-request-id") == "true":
        headers["x-ms-client-request-id"] = client_request_id
    return headers


def _operation_id(request: web.Request) -> str:
    chosen = request.headers.get("Operation-Id")
    if chosen is None:
        return str(uuid.uuid4())
    if not _OPERATION_ID.match(chosen):
        raise bad_request("The Operation-Id header is not a valid id.", "Operation-Id")
    return chosen


def _accept(state: EmulatorState, send: SendRequest, operation_id: str, api_version: str) -> None:
    message_id = str(uuid.uuid4())
    sent_at = datetime.now(UTC)
    bounced = any(r.address.lower() in state.bounces for r in send.all_recipients())
    final_status, error = ("Failed", _DROPPED) if bounced else ("Succeeded", None)
    record = make_record(
        send,
        message_id=message_id,
        operation_id=operation_id,
        sent_at=sent_at,
        api_version=api_version,
        final_status=final_status,
        error=error,
    )
    mime = build_mime(send, message_id=message_id, operation_id=operation_id, sent_at=sent_at)
    state.outbox.add(record, mime)
    operation = Operation(
        operation_id,
        message_id,
        state.clock.now() + state.processing_seconds,
        final_status,
        error,
    )
    # Not de-duplicated: a repeated Operation-Id is a new message; its status now wins.
    state.operations[operation_id] = operation
    state.message_operations[message_id] = operation
    state.send_limiter.admit()
    # Never the content: the outbox is the only place a message (and any TAP in it) is kept.
    log.info(
        "accepted message %s operation %s for %d recipient(s), will end %s",
        message_id,
        operation_id,
        len(send.all_recipients()),
        final_status,
    )


async def send_email(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await _authenticated_body(request, state)
    api_version = _api_version(request)
    fault = state.take_fault("send")
    if fault is not None:
        raise fault
    wait = state.send_limiter.retry_after()
    if wait is not None:
        raise AcsError(
            429,
            "TooManyRequests",
            "The email send rate limit was exceeded; try again after the Retry-After time.",
            retry_after=wait,
        )
    operation_id = _operation_id(request)
    send = parse_send_request(body, state.config.sender_domains)
    _accept(state, send, operation_id, api_version)
    location = f"{request.scheme}://{request.host}/emails/operations/{operation_id}"
    headers = {
        **_common_headers(request),
        "Operation-Location": f"{location}?api-version={api_version}",
        "operation-id": operation_id,
        "retry-after": str(state.config.retry_after_seconds),
    }
    return web.json_response({"id": operation_id, "status": "Running"}, status=202, headers=headers)


async def get_operation(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    await _authenticated_body(request, state)
    _api_version(request)
    fault = state.take_fault("status")
    if fault is not None:
        raise fault
    wait = state.status_limiter.retry_after()
    if wait is not None:
        raise AcsError(
            429,
            "TooManyRequests",
            "The email status rate limit was exceeded; try again after the Retry-After time.",
            retry_after=wait,
        )
    state.status_limiter.admit()
    operation_id = request.match_info["operation_id"]
    operation = state.operations.get(operation_id)
    if operation is None:
        raise AcsError(404, "NotFound", f"Operation {operation_id} was not found.")
    status = operation.status(state.clock.now())
    body: dict[str, object] = {"id": operation_id, "status": status}
    headers = _common_headers(request)
    if status == "Running":
        headers["retry-after"] = str(state.config.retry_after_seconds)
    elif operation.error is not None:
        body["error"] = operation.error
    return web.json_response(body, headers=headers)
