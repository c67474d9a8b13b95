"""The ACS Email REST API: `POST /emails:send` and `GET /emails/operations/{id}`."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from aiohttp import web

from local.acs_email_emulator import auth
from local.acs_email_emulator.config import (
    MAX_REQUEST_BYTES,
    REPEATABILITY_WINDOW_SECONDS,
    SUPPORTED_API_VERSIONS,
)
from local.acs_email_emulator.entra import TokenVerifier
from local.acs_email_emulator.errors import AcsError, bad_request
from local.acs_email_emulator.mime import build_mime
from local.acs_email_emulator.operations import Operation, RepeatableAnswer
from local.acs_email_emulator.outbox import make_record
from local.acs_email_emulator.state import EmulatorState
from local.acs_email_emulator.validation import SendRequest, parse_send_request

log = logging.getLogger(__name__)

STATE_KEY = web.AppKey("state", EmulatorState)
VERIFIER_KEY = web.AppKey("verifier", TokenVerifier)
_OPERATION_ID = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# ACS fails an operation only when every recipient is on its managed suppression list; a
# suppressed recipient among others is dropped and the operation succeeds.
_ALL_SUPPRESSED = {
    "code": "EmailDroppedAllRecipientsSuppressed",
    "message": "Message dropped because all recipients were suppressed",
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
    authorization = request.headers.get("Authorization", "")
    verifier = request.app.get(VERIFIER_KEY)
    if verifier is not None and authorization[:7].lower() == "bearer ":
        await verifier.verify(authorization, state.clock.wall())
        return body
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


def _request_hash(request: web.Request, body: bytes) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path_qs}\n".encode() + body)
    return digest.hexdigest()


def _throttle(state: EmulatorState, endpoint: str) -> None:
    """429 when the window is full; otherwise this request counts, whatever its answer.

    ACS: "all requests accrue against your usage limits" (service limits). The 429 answer
    itself is not counted, so that its retry-after stays true.
    """
    limiter = state.send_limiter if endpoint == "send" else state.status_limiter
    wait = limiter.retry_after()
    if wait is not None:
        raise AcsError(
            429,
            "TooManyRequests",
            f"The email {endpoint} rate limit was exceeded; try again after the Retry-After time.",
            retry_after=wait,
        )
    limiter.admit()


def _accept(
    state: EmulatorState,
    send: SendRequest,
    operation_id: str,
    api_version: str,
    request_hash: str,
) -> None:
    message_id = str(uuid.uuid4())
    sent_at = datetime.now(UTC)
    recipients = send.all_recipients()
    suppressed = [r.address for r in recipients if r.address.lower() in state.bounces]
    all_suppressed = len(suppressed) == len(recipients)
    final_status, error = ("Failed", _ALL_SUPPRESSED) if all_suppressed else ("Succeeded", None)
    record = make_record(
        send,
        message_id=message_id,
        operation_id=operation_id,
        sent_at=sent_at,
        api_version=api_version,
        final_status=final_status,
        error=error,
        suppressed=suppressed,
    )
    mime = build_mime(send, message_id=message_id, operation_id=operation_id, sent_at=sent_at)
    state.outbox.add(record, mime)
    operation = Operation(
        operation_id,
        message_id,
        state.clock.now() + state.processing_seconds,
        final_status,
        error,
        request_hash,
    )
    state.operations.add(operation)
    # Never the content: the outbox is the only place a message (and any TAP in it) is kept.
    log.info(
        "accepted message %s operation %s for %d recipient(s) (%d suppressed), will end %s",
        message_id,
        operation_id,
        len(recipients),
        len(suppressed),
        final_status,
    )


Answer = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, headers


def _accepted(
    request: web.Request, state: EmulatorState, operation_id: str, api_version: str
) -> Answer:
    location = f"{request.scheme}://{request.host}/emails/operations/{operation_id}"
    headers = {
        **_common_headers(request),
        "Operation-Location": f"{location}?api-version={api_version}",
        "operation-id": operation_id,
        "retry-after": str(state.config.retry_after_seconds),
    }
    return 202, {"id": operation_id, "status": "Running"}, headers


def _repeated_operation(
    request: web.Request, state: EmulatorState, operation_id: str, api_version: str
) -> Answer | None:
    """What a send with an Operation-Id already used answers; None: send it as a new message."""
    if request.headers.get("Operation-Id") is None:
        return None
    existing = state.operation(operation_id)
    if existing is None or state.repeated_operation_id == "new":
        return None
    if state.repeated_operation_id == "conflict":
        raise AcsError(
            409, "Conflict", f"An operation with the id '{operation_id}' already exists."
        )
    log.info("operation %s sent again: the first answer is replayed", operation_id)
    return _accepted(request, state, operation_id, api_version)


def _first_sent(value: str | None) -> float:
    try:
        when = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        raise bad_request(
            "Repeatability-First-Sent must be an IMF-fixdate.", "Repeatability-First-Sent"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _repeatable(
    request: web.Request, state: EmulatorState, request_hash: str
) -> tuple[str, float] | web.Response | None:
    """The Repeatability-* headers, as Learn "Repeatability of requests" documents them.

    None: not a repeatable request. A response: the answer to a repeat. Else the request id and
    first-sent time under which this request's answer is to be remembered.
    """
    request_id = request.headers.get("Repeatability-Request-Id")
    first_sent_header = request.headers.get("Repeatability-First-Sent")
    if request_id is None and first_sent_header is None:
        return None
    if request_id is None or not _GUID.match(request_id):
        raise _rejected(
            bad_request("Repeatability-Request-Id must be a GUID.", "Repeatability-Request-Id")
        )
    try:
        first_sent = _first_sent(first_sent_header)
    except AcsError as exc:
        raise _rejected(exc) from None
    now = state.clock.wall()
    state.operations.forget_repeatable_before(now - REPEATABILITY_WINDOW_SECONDS)
    if first_sent < now - REPEATABILITY_WINDOW_SECONDS:
        raise _rejected(
            AcsError(
                412,
                "PreconditionFailed",
                "Repeatability first sent header was not in 5 minutes window.",
                "Repeatability-First-Sent",
            )
        )
    answer = state.operations.repeatable.get(request_id)
    if answer is None:
        return request_id, first_sent
    if answer.request_hash != request_hash:
        raise _rejected(
            bad_request(
                "The request does not match the earlier request with this "
                "Repeatability-Request-Id.",
                "Repeatability-Request-Id",
            )
        )
    log.info("repeatable request %s repeated: the first answer is replayed", request_id)
    headers = {**answer.headers, **_common_headers(request), "Repeatability-Result": "accepted"}
    return web.json_response(answer.body, status=answer.status, headers=headers)


def _rejected(error: AcsError) -> AcsError:
    error.extra_headers = {"Repeatability-Result": "rejected"}
    return error


def _remember(
    state: EmulatorState,
    repeatable: tuple[str, float] | None,
    request_hash: str,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    # 2xx and 4xx answers are replayed to a repeat; after a 5xx the repeat is carried out again.
    if repeatable is not None and status < 500:
        request_id, first_sent = repeatable
        kept = {k: v for k, v in headers.items() if k.lower() != "x-ms-request-id"}
        answer = RepeatableAnswer(request_hash, first_sent, status, body, kept)
        state.operations.remember(request_id, answer)


async def send_email(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await _authenticated_body(request, state)
    api_version = _api_version(request)
    _throttle(state, "send")
    request_hash = _request_hash(request, body)
    repeat = _repeatable(request, state, request_hash)
    if isinstance(repeat, web.Response):
        return repeat
    try:
        status, payload, headers = _send(request, state, body, api_version, request_hash)
    except AcsError as exc:
        _remember(state, repeat, request_hash, exc.status, exc.body(), exc.headers())
        if repeat is not None:
            exc.extra_headers = {"Repeatability-Result": "accepted"}
        raise
    _remember(state, repeat, request_hash, status, payload, headers)
    if repeat is not None:
        headers["Repeatability-Result"] = "accepted"
    return web.json_response(payload, status=status, headers=headers)


def _send(
    request: web.Request, state: EmulatorState, body: bytes, api_version: str, request_hash: str
) -> Answer:
    fault = state.take_fault("send")
    if fault is not None and not fault.accept:
        raise fault.error()
    operation_id = _operation_id(request)
    repeated = _repeated_operation(request, state, operation_id, api_version)
    if repeated is not None:
        return repeated
    send = parse_send_request(body, state.config.sender_domains, state.config.sender_usernames)
    _accept(state, send, operation_id, api_version, request_hash)
    if fault is not None:  # carried out, then the answer is lost
        raise fault.error()
    return _accepted(request, state, operation_id, api_version)


async def get_operation(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    await _authenticated_body(request, state)
    _api_version(request)
    _throttle(state, "status")
    fault = state.take_fault("status")
    if fault is not None:
        raise fault.error()
    operation_id = request.match_info["operation_id"]
    operation = state.operation(operation_id)
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
