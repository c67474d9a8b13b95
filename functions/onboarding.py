"""Queue triggers of the onboarding worker (the rule they share: functions/queue_commands.py).

- `onboarding_worker` (queue %ONBOARDING_QUEUE%): one `OnboardJoiner` per message. Retry owner:
  the host (host.json extensions.queues: visibilityTimeout, maxDequeueCount).
- `onboarding_poison` (queue %ONBOARDING_QUEUE%-poison): retries exhausted → the joiner is marked
  failed with the reason, and admins are alerted.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.app_services import services
from functions.queue_commands import parse_message, run_command
from shared.domain.commands import OnboardJoiner
from shared.domain.reasons import Reason

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped
log = logging.getLogger(__name__)


@bp.queue_trigger(arg_name="msg", queue_name="%ONBOARDING_QUEUE%", connection="AzureWebJobsStorage")
async def onboarding_worker(msg: func.QueueMessage) -> None:
    command = parse_message(msg, OnboardJoiner.from_json, "onboarding")
    if command is None:
        return
    app = services()
    outcome = await run_command(
        msg, command, app.onboard_joiner, app.onboarding_queue, {"tracking_id": command.tracking_id}
    )
    if outcome is not None:
        log.info(
            "onboarding step finished",
            extra={"status": outcome.status.value, "reason": outcome.reason},
        )


@bp.queue_trigger(
    arg_name="msg", queue_name="%ONBOARDING_QUEUE%-poison", connection="AzureWebJobsStorage"
)
async def onboarding_poison(msg: func.QueueMessage) -> None:
    command = parse_message(msg, OnboardJoiner.from_json, "onboarding-poison")
    if command is None:
        return
    app = services()

    async def give_up(c: OnboardJoiner) -> object:
        return await app.onboard_joiner.fail(
            c.tracking_id,
            Reason.POISON_MESSAGE,
            "onboarding kept failing until its retries ran out; see the logs for this tracking id",
        )

    await run_command(msg, command, give_up, None, {"tracking_id": command.tracking_id})
