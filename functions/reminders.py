"""Queue triggers of the reminder sender.

- `reminder_worker` (queue %REMINDER_QUEUE%): `{"trackingId", "slot", "idempotencyKey"}`, enqueued
  by the daily report's fan-out. Quiet hours, the client-side rate limit and ACS 429s re-enqueue the
  message with a delay (not a failure); other transient errors propagate so the host retries.
- `reminder_poison` (queue %REMINDER_QUEUE%-poison): marks the joiner's reminder failed, alerts admins.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from functions.wiring import onboarding_deps
from shared.logging_setup import bound
from shared.usecases.send_reminder import mark_failed, send_reminder

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped
log = logging.getLogger(__name__)


def reminder_of(msg: func.QueueMessage) -> tuple[str, int] | None:
    try:
        payload: Any = json.loads(msg.get_body())
        tracking_id, slot = payload["trackingId"], int(payload["slot"])
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return None
    if not isinstance(tracking_id, str) or not tracking_id or slot < 1:
        return None
    return tracking_id, slot


@bp.queue_trigger(arg_name="msg", queue_name="%REMINDER_QUEUE%", connection="AzureWebJobsStorage")
async def reminder_worker(msg: func.QueueMessage) -> None:
    parsed = reminder_of(msg)
    if parsed is None:
        log.error("malformed reminder message dropped", extra={"message_id": msg.id})
        return
    tracking_id, slot = parsed
    with bound(
        tracking_id=tracking_id,
        reminder_slot=slot,
        message_id=msg.id,
        dequeue_count=msg.dequeue_count,
    ):
        outcome = await send_reminder(tracking_id, slot, onboarding_deps())
        log.info("reminder handled", extra={"outcome": outcome.outcome})


@bp.queue_trigger(
    arg_name="msg", queue_name="%REMINDER_QUEUE%-poison", connection="AzureWebJobsStorage"
)
async def reminder_poison(msg: func.QueueMessage) -> None:
    parsed = reminder_of(msg)
    if parsed is None:
        log.error("unreadable message in the reminder poison queue", extra={"message_id": msg.id})
        return
    tracking_id, slot = parsed
    with bound(tracking_id=tracking_id, reminder_slot=slot, message_id=msg.id):
        await mark_failed(onboarding_deps(), tracking_id, slot, "poison_message")
