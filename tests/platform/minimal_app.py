"""The platform tests' app: only the trigger shapes function_app.py declares.

The queue name and the schedule are `%SETTING%` references, so each test picks fresh ones. `work`
and `tick` append one JSON line per event to `RECORD_FILE`, with the host process's pid (so tests
that run two hosts can tell who did the work). A `work` message's body says what to do:
`fail...` raises, `sleep <seconds>` holds the message that long, anything else succeeds. `tick`
sleeps `TICK_SLEEP` seconds when that is set, and raises after recording when `TICK_FAIL` is set.
`hello?sleep=<seconds>` takes that long to answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import azure.functions as func
from azure.functions.timer import TimerRequest

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


def record(**fields: object) -> None:
    with Path(os.environ["RECORD_FILE"]).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({**fields, "pid": os.getpid()}) + "\n")


@app.route(route="hello/{name}", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    time.sleep(float(req.params.get("sleep", "0")))
    document = {
        "name": req.route_params["name"],
        "method": req.method,
        "params": dict(req.params),
        "body_bytes": len(req.get_body()),
    }
    return func.HttpResponse(json.dumps(document), mimetype="application/json")


@app.route(route="items/{id}", methods=["GET"])
def item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps({"item": req.route_params["id"]}), mimetype="application/json"
    )


@app.route(route="secret", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
async def secret(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("admin only", headers={"x-app": "minimal"})


@app.route(route="boom", methods=["GET"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("fails on purpose")


@app.route(route="plain", methods=["GET"])
def plain(req):  # unannotated, so indexing cannot refuse what it returns: the run does
    return "a str, not an HttpResponse"


@app.queue_trigger(arg_name="msg", queue_name="%WORK_QUEUE%", connection="AzureWebJobsStorage")
async def work(msg: func.QueueMessage) -> None:
    body, started = msg.get_body().decode("utf-8"), time.monotonic()
    inserted = msg.insertion_time.isoformat() if msg.insertion_time else None
    record(event="start", body=body, id=msg.id, dequeue_count=msg.dequeue_count, inserted=inserted)
    if body.startswith("fail"):
        raise RuntimeError("told to fail")
    if body.startswith("sleep "):
        await asyncio.sleep(float(body.split()[1]))
    record(event="end", body=body, started=started, ended=time.monotonic())


@app.timer_trigger(arg_name="timer", schedule="%TICK_SCHEDULE%", run_on_startup=False)
def tick(timer: TimerRequest) -> None:
    # The library's concrete TimerRequest: the abstract func.TimerRequest has no schedule_status.
    started = time.monotonic()
    record(event="tick", past_due=timer.past_due, next=timer.schedule_status.get("Next"))
    if os.environ.get("TICK_FAIL"):
        raise RuntimeError("tick told to fail")
    if os.environ.get("TICK_SLEEP"):
        time.sleep(float(os.environ["TICK_SLEEP"]))
        record(event="tick_end", started=started, ended=time.monotonic())
