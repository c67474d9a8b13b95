"""Queue triggers of the onboarding worker.

- `onboarding_worker` (queue %ONBOARDING_QUEUE%): one joiner per message `{"trackingId": ...}`.
  Retry owner: the host (host.json extensions.queues: visibilityTimeout, maxDequeueCount). A
  TransientError propagates so the host retries; "not yet" waits are re-enqueued by the use case
  with a visibility delay, so the message completes.
- `onboarding_poison` (queue %ONBOARDING_QUEUE%-poison): retries exhausted → the joiner is marked
  failed with the reason, and admins are alerted.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from functions.wiring import onboarding_deps
from shared.logging_setup import bound
from shared.usecases.onboard_joiner import fail, onboard_joiner

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped
log = logging.getLogger(__name__)


def tracking_id_of(msg: func.QueueMessage) -> str | None:
    try:
        payload = json.loads(msg.get_body())
    except (ValueError, UnicodeDecodeError):
        return None
    value = payload.get("trackingId") if isinstance(payload, dict) else None
    return value if isinstance(value, str) and value else None


@bp.queue_trigger(arg_name="msg", queue_name="%ONBOARDING_QUEUE%", connection="AzureWebJobsStorage")
async def onboarding_worker(msg: func.QueueMessage) -> None:
    tracking_id = tracking_id_of(msg)
    if tracking_id is None:
        log.error("onboarding message without a tracking id dropped", extra={"message_id": msg.id})
        return
    with bound(tracking_id=tracking_id, message_id=msg.id, dequeue_count=msg.dequeue_count):
        outcome = await onboard_joiner(tracking_id, onboarding_deps())
        log.info(
            "onboarding step finished",
            extra={"status": outcome.status.value, "reason": outcome.reason},
        )


@bp.queue_trigger(
    arg_name="msg", queue_name="%ONBOARDING_QUEUE%-poison", connection="AzureWebJobsStorage"
)
async def onboarding_poison(msg: func.QueueMessage) -> None:
    tracking_id = tracking_id_of(msg)
    if tracking_id is None:
        log.error("unreadable message in the onboarding poison queue", extra={"message_id": msg.id})
        return
    with bound(tracking_id=tracking_id, message_id=msg.id):
        await fail(
            onboarding_deps(),
            tracking_id,
            "poison_message",
            "onboarding kept failing until its retries ran out; see the logs for this tracking id",
        )
