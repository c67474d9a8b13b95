"""The registration campaign's triggers.

- `campaign` (GET/POST /api/campaign, function level with a key of its own, `campaign`, for the
  admins who run it): GET answers the funnel and conversion (`tapstart campaign status`);
  `GET ?view=plan[&limit=N]` the dry run (who would be written to and when; nothing is sent);
  POST `{"action": "start" | "pause" | "exclude", "user": ..., "reason": ..., "by": ...}` does
  what `tapstart campaign start|pause|exclude` does.
- `campaign_worker` (queue %CAMPAIGN_QUEUE%): one `SendCampaignEmail`, queued by the daily run
  after the joiner work, on its own queue so it never stands in front of joiner mail. Quiet
  hours put it back for the morning (outcome `delayed`); the campaign's hourly share, the email
  budget and ACS 429s come back as TransientError with a delay, re-enqueued for then.
- `campaign_poison` (queue %CAMPAIGN_QUEUE%-poison): keeps why on the user's contact record.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from functions.app_services import services
from functions.http_headers import json_answer
from functions.http_problem import problem
from functions.queue_commands import parse_message, run_command
from shared.domain.commands import SendCampaignEmail
from shared.domain.errors import PermanentError
from shared.domain.reasons import Reason

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped
log = logging.getLogger(__name__)
_ACTIONS = ("start", "pause", "exclude")
_MAX_BODY = 4096


@bp.route(route="campaign", methods=["GET", "POST"], auth_level=func.AuthLevel.FUNCTION)
async def campaign(req: func.HttpRequest) -> func.HttpResponse:
    if req.method == "GET":
        return await _read(req)
    return await _act(req)


async def _read(req: func.HttpRequest) -> func.HttpResponse:
    view = req.params.get("view", "status")
    if view not in ("status", "plan"):
        return problem(400, "view must be status or plan", "view")
    raw_limit = req.params.get("limit", "100")
    if not raw_limit.isascii() or not raw_limit.isdigit() or len(raw_limit) > 5:
        return problem(400, "limit must be a whole number from 0 to 10000", "limit")
    if int(raw_limit) > 10000:
        return problem(400, "limit must be a whole number from 0 to 10000", "limit")
    app = services()
    if view == "status":
        return json_answer((await app.campaign_control.status()).to_json())
    plan = await app.campaign_plan()
    return json_answer(plan.to_json(int(raw_limit)), ensure_ascii=False)


# The body's text fields and their longest value (as the OpenAPI document says).
_TEXT_FIELDS = {"user": 256, "reason": 500, "by": 100}


async def _act(req: func.HttpRequest) -> func.HttpResponse:
    body_bytes = req.get_body()
    if len(body_bytes) > _MAX_BODY:
        return problem(400, f"the body is larger than {_MAX_BODY} bytes")
    try:
        body: Any = json.loads(body_bytes)
    except ValueError:
        return problem(400, "the body is not JSON")
    if not isinstance(body, dict):
        return problem(400, "the body is not a JSON object")
    action = body.get("action")
    if action not in _ACTIONS:
        return problem(400, "action must be start, pause or exclude", "action")
    for name, longest in _TEXT_FIELDS.items():
        value = body.get(name, "")
        if not isinstance(value, str) or len(value) > longest:
            return problem(400, f"{name} must be a text of at most {longest} characters", name)
    by = " ".join(body.get("by", "").split()) or "api"
    control = services().campaign_control
    if action in ("start", "pause"):
        change = control.start if action == "start" else control.pause
        state = await change(by)
        started = state.started_on.isoformat() if state.started_on else None
        return json_answer({"status": state.status.value, "startedOn": started})
    user = body.get("user", "").strip()
    if not user:
        return problem(400, "user must be the user's object id or UPN", "user")
    try:
        done = await control.exclude(user, by, body.get("reason", ""))
    except PermanentError as exc:
        if exc.reason == "user_not_found":
            return problem(404, "no user with that UPN", "user")
        if exc.reason == "invalid_user":
            return problem(400, "user must be the user's object id (a GUID) or UPN", "user")
        raise
    return json_answer(
        {"userId": done.user_id, "upn": done.upn, "excluded": True, "alreadyExcluded": not done.new}
    )


def _keys(command: SendCampaignEmail) -> dict[str, object]:
    return {"campaign_user": command.user_id, "campaign_step": command.step}


@bp.queue_trigger(arg_name="msg", queue_name="%CAMPAIGN_QUEUE%", connection="AzureWebJobsStorage")
async def campaign_worker(msg: func.QueueMessage) -> None:
    command = parse_message(msg, SendCampaignEmail.from_json, "campaign")
    if command is None:
        return
    app = services()
    outcome = await run_command(msg, command, app.send_campaign, app.campaign_queue, _keys(command))
    if outcome is not None:
        log.info("campaign email handled", extra={"outcome": outcome.outcome})


@bp.queue_trigger(
    arg_name="msg", queue_name="%CAMPAIGN_QUEUE%-poison", connection="AzureWebJobsStorage"
)
async def campaign_poison(msg: func.QueueMessage) -> None:
    command = parse_message(msg, SendCampaignEmail.from_json, "campaign-poison")
    if command is None:
        return
    app = services()

    async def give_up(c: SendCampaignEmail) -> None:
        await app.send_campaign.mark_failed(c, Reason.POISON_MESSAGE)

    await run_command(msg, command, give_up, None, _keys(command))
