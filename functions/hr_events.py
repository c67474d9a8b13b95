"""HTTP: POST /api/hr/events — HR joiner events in; OPTIONS — the webhook validation handshake.

Both need the function key (Event Grid sends it in the subscription URL). POST authenticates
the raw body (Standard Webhooks), parses and validates it, records and enqueues each joiner and
answers 202 with tracking ids, or an RFC 9457 problem. Nothing retries here: the sender does,
and a retry is safe because acceptance is idempotent on the event id. Payloads are never logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import azure.functions as func

from functions.http_problem import problem_response
from shared.bootstrap import Container, get_container
from shared.domain.errors import ConfigurationError, InvalidEventError, TransientError
from shared.intake.cloudevents import abuse_protection_headers
from shared.intake.parse import ParsedRequest, check_size, lower_headers, parse_hr_request
from shared.intake.problem import clean_name, problem_body, problem_for
from shared.intake.signature import claim_delivery, verify_signature
from shared.usecases.accept_hr_event import ENQUEUE_GRACE, Accepted, accept_hr_events

log = logging.getLogger(__name__)
bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library leaves __init__ untyped


@bp.route(route="hr/events", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def hr_events(req: func.HttpRequest) -> func.HttpResponse:
    return await handle_hr_events(req.get_body(), dict(req.headers), get_container())


@bp.route(route="hr/events", methods=["OPTIONS"], auth_level=func.AuthLevel.FUNCTION)
def hr_events_handshake(req: func.HttpRequest) -> func.HttpResponse:
    try:
        headers = abuse_protection_headers(lower_headers(dict(req.headers)))
    except InvalidEventError as exc:
        return problem_response(problem_for(exc))
    return func.HttpResponse(status_code=200, headers=headers)


async def handle_hr_events(
    body: bytes, raw_headers: Mapping[str, str], services: Container
) -> func.HttpResponse:
    """The whole POST exchange, apart from reading the request (tests call this directly)."""
    settings, now, headers = services.settings, services.clock.now(), lower_headers(raw_headers)
    webhook_id = clean_name(headers.get("webhook-id", ""), 64)  # sender-chosen: keep logs clean
    try:
        check_size(body, settings.max_event_bytes)  # before the HMAC walks the body
        delivery = verify_signature(body, headers, settings.hr_webhook_secrets, now)
        parsed = parse_hr_request(
            body, headers, max_bytes=settings.max_event_bytes, received_at=now
        )
        accepted = await accept_hr_events(
            parsed.events, services.ledger, services.queue, settings, services.clock
        )
        await claim_delivery(delivery, services.ledger, now)
    except InvalidEventError as exc:
        log.warning(
            "hr request refused",
            extra={
                "status": exc.status,
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
    log.info(
        "hr events accepted",
        extra={
            "webhook_id": webhook_id,
            "format": parsed.format,
            "event_ids": [a.event_id for a in accepted],
            "tracking_ids": [a.tracking_id for a in accepted],
            "new": sum(a.created for a in accepted),
        },
    )
    return _accepted(parsed, accepted)


def _accepted(parsed: ParsedRequest, accepted: list[Accepted]) -> func.HttpResponse:
    urls = [f"/api/onboarding/{a.tracking_id}" for a in accepted]
    body: dict[str, Any] = {
        "trackingIds": [a.tracking_id for a in accepted],
        "status": [a.status for a in accepted],
        "statusUrls": urls,
    }
    if parsed.skipped:
        body["skipped"] = [s.to_json() for s in parsed.skipped]
    headers = {"Location": urls[0]} if len(urls) == 1 else {}
    return func.HttpResponse(
        json.dumps(body), status_code=202, headers=headers, mimetype="application/json"
    )
