"""Queue triggers of the reminder sender (the rule they share: functions/queue_commands.py).

- `reminder_worker` (queue %REMINDER_QUEUE%): one `SendReminder`, enqueued by the daily run's
  fan-out. Quiet hours: the use case puts the command back for the morning itself (outcome
  `delayed`). The client-side rate limit and ACS 429s come back as TransientError with a delay,
  so the message is re-enqueued for then; other transient errors go to the host's retry.
- `reminder_poison` (queue %REMINDER_QUEUE%-poison): marks the joiner's reminder failed, alerts admins.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.app_services import services
from functions.queue_commands import parse_message, run_command
from shared.domain.commands import SendReminder
from shared.domain.reasons import Reason

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped
log = logging.getLogger(__name__)


def _keys(command: SendReminder) -> dict[str, object]:
    return {"tracking_id": command.tracking_id, "reminder_slot": command.slot}


@bp.queue_trigger(arg_name="msg", queue_name="%REMINDER_QUEUE%", connection="AzureWebJobsStorage")
async def reminder_worker(msg: func.QueueMessage) -> None:
    command = parse_message(msg, SendReminder.from_json, "reminders")
    if command is None:
        return
    app = services()
    outcome = await run_command(msg, command, app.send_reminder, app.reminder_queue, _keys(command))
    if outcome is not None:
        log.info("reminder handled", extra={"outcome": outcome.outcome})


@bp.queue_trigger(
    arg_name="msg", queue_name="%REMINDER_QUEUE%-poison", connection="AzureWebJobsStorage"
)
async def reminder_poison(msg: func.QueueMessage) -> None:
    command = parse_message(msg, SendReminder.from_json, "reminders-poison")
    if command is None:
        return
    app = services()

    async def give_up(c: SendReminder) -> None:
        await app.send_reminder.mark_failed(c, Reason.POISON_MESSAGE)

    await run_command(msg, command, give_up, None, _keys(command))
