"""HTTP: POST /api/hr/events — HR joiner events in; OPTIONS — the webhook validation handshake.

Both need the function key (Event Grid sends it in the subscription URL). POST hands the raw
body to the intake use case (authenticate, parse, record and enqueue each joiner:
shared/usecases/accept_hr_request.py) and maps its result: 202 with tracking ids, or an RFC 9457
problem. Nothing retries here: the sender does, and a retry is safe: the same request with the
same webhook-id gets the first answer again (nothing is done twice), the same webhook-id with
another request is 409, and acceptance is idempotent on the event id. Payloads are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import azure.functions as func

from functions.app_services import services
from functions.http_headers import json_answer, secured
from functions.http_problem import problem_body, problem_for, problem_response, status_of
from shared.domain.errors import ConfigurationError, InvalidEventError, TransientError
from shared.intake.cloudevents import abuse_protection_headers
from shared.intake.names import clean_name
from shared.intake.parse import lower_headers
from shared.usecases.accept_hr_request import (
    ENQUEUE_GRACE,
    HrIntake,
    IntakeResult,
    WebhookIdConflict,
)

log = logging.getLogger(__name__)
bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library leaves __init__ untyped


@bp.route(route="hr/events", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def hr_events(req: func.HttpRequest) -> func.HttpResponse:
    return await handle_hr_events(req.get_body(), dict(req.headers), services().accept_hr_request)


@bp.route(route="hr/events", methods=["OPTIONS"], auth_level=func.AuthLevel.FUNCTION)
def hr_events_handshake(req: func.HttpRequest) -> func.HttpResponse:
    try:
        headers = abuse_protection_headers(lower_headers(dict(req.headers)))
    except InvalidEventError as exc:
        return problem_response(problem_for(exc))
    return secured(func.HttpResponse(status_code=200, headers=headers))


async def handle_hr_events(
    body: bytes, raw_headers: Mapping[str, str], accept: HrIntake
) -> func.HttpResponse:
    """The HTTP mapping of one POST (tests call this directly with their own use case)."""
    webhook_id = clean_name(lower_headers(raw_headers).get("webhook-id", ""), 64)  # keep logs clean
    try:
        result = await accept(body, raw_headers)
    except WebhookIdConflict as exc:
        log.warning("hr request refused: webhook-id reused", extra={"webhook_id": webhook_id})
        return _conflict(exc)
    except InvalidEventError as exc:
        log.warning(
            "hr request refused",
            extra={
                "status": status_of(exc),
                "field": exc.field,
                "problem": exc.detail,
                "webhook_id": webhook_id,
            },
        )
        return problem_response(problem_for(exc))
    except TransientError as exc:
        log.warning("hr request deferred: %s", exc.reason, extra={"webhook_id": webhook_id})
        # Not sooner than ENQUEUE_GRACE: if the record was written but the enqueue failed, only
        # a retry after the grace period re-enqueues it (a quicker one looks like a duplicate).
        retry = str(int(max(exc.retry_after or 0, ENQUEUE_GRACE.total_seconds())))
        return problem_response(problem_body(503, "please retry later"), {"Retry-After": retry})
    except ConfigurationError:
        log.exception("hr intake is misconfigured", extra={"webhook_id": webhook_id})
        return problem_response(problem_body(500, "the HR intake is misconfigured; see the logs"))
    accepted = result.accepted
    log.info(
        "hr events answered again (same webhook-id, same request)"
        if result.replayed
        else "hr events accepted",
        extra={
            "webhook_id": webhook_id,
            "format": result.request.format,
            "event_ids": [a.event_id for a in accepted],
            "tracking_ids": [a.tracking_id for a in accepted],
            "new": sum(a.created for a in accepted),
            "replayed": result.replayed,
        },
    )
    return _accepted(result)


def _conflict(error: WebhookIdConflict) -> func.HttpResponse:
    """409: the webhook id was used for another request (functions.http_problem knows no 409,
    so its kind is set here; the rest of the body is problem_for's)."""
    body = problem_for(error) | {
        "type": "urn:tapstart:problem:conflict",
        "title": "The webhook-id was already used for another request",
        "status": 409,
    }
    return problem_response(body)


def _accepted(result: IntakeResult) -> func.HttpResponse:
    accepted = result.accepted
    urls = [f"/api/onboarding/{a.tracking_id}" for a in accepted]
    body: dict[str, Any] = {
        "trackingIds": [a.tracking_id for a in accepted],
        "status": [a.status for a in accepted],
        "statusUrls": urls,
    }
    if result.skipped:
        body["skipped"] = [s.to_json() for s in result.skipped]
    headers = {"Location": urls[0]} if len(urls) == 1 else {}
    return json_answer(body, status=202, headers=headers)
