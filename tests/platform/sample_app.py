"""A small FunctionApp that exercises every trigger and binding the local host emulates.

Queue names and the timer schedule are `%SETTING%` references, so each test picks fresh ones.
`SAMPLE_RECORD_FILE` (optional) receives one line per `flaky` attempt: its dequeue count.
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

STORAGE = "AzureWebJobsStorage"


@app.route(route="hello/{name}", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    document = {
        "name": req.route_params["name"],
        "greeting": req.params.get("greeting", "hello"),
        "has_code_param": "code" in req.params,
    }
    return func.HttpResponse(json.dumps(document), mimetype="application/json")


@app.route(route="items/{id:int?}", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def items(req: func.HttpRequest) -> func.HttpResponse:
    document = {
        "id": req.route_params.get("id"),
        "method": req.method,
        "body": req.get_body().decode("utf-8"),
        "content_type": req.headers.get("content-type"),
    }
    status = 201 if req.method == "POST" else 200
    return func.HttpResponse(
        json.dumps(document), status_code=status, headers={"x-sample": "items"}
    )


@app.route(route="files/{*path}", auth_level=func.AuthLevel.ANONYMOUS)
def files(req: func.HttpRequest) -> str:
    return str(req.route_params.get("path", ""))


@app.route(route="secret", auth_level=func.AuthLevel.ADMIN)
def secret(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("admin only")


@app.route(route="boom", auth_level=func.AuthLevel.ANONYMOUS)
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("the sample fails on purpose")


@app.queue_trigger(arg_name="msg", queue_name="%SAMPLE_FLAKY_QUEUE%", connection=STORAGE)
@app.queue_output(arg_name="out", queue_name="%SAMPLE_FLAKY_OUT%", connection=STORAGE)
def flaky(msg: func.QueueMessage, out: func.Out[str]) -> None:
    record = os.environ.get("SAMPLE_RECORD_FILE")
    if record:
        with Path(record).open("a", encoding="utf-8") as handle:
            handle.write(f"{msg.dequeue_count}\n")
    out.set("must never be written: the invocation fails")
    raise RuntimeError("flaky always fails")


@app.queue_trigger(arg_name="msg", queue_name="%SAMPLE_ECHO_QUEUE%", connection=STORAGE)
@app.queue_output(arg_name="out", queue_name="%SAMPLE_ECHO_OUT%", connection=STORAGE)
async def echo(msg: func.QueueMessage, out: func.Out[str]) -> None:
    out.set(
        json.dumps(
            {
                "body": msg.get_body().decode("utf-8"),
                "id": msg.id,
                "dequeue_count": msg.dequeue_count,
                "inserted": msg.insertion_time.isoformat() if msg.insertion_time else None,
            }
        )
    )


@app.queue_trigger(arg_name="msg", queue_name="%SAMPLE_SLOW_QUEUE%", connection=STORAGE)
async def slow(msg: func.QueueMessage) -> None:
    record = os.environ.get("SAMPLE_RECORD_FILE")
    if record:
        with Path(record).open("a", encoding="utf-8") as handle:
            handle.write("slow started\n")
    await asyncio.sleep(120)  # still running when a shutdown test stops the host


@app.queue_trigger(arg_name="msg", queue_name="%SAMPLE_GATE_QUEUE%", connection=STORAGE)
async def gate(msg: func.QueueMessage) -> None:
    """Holds each message a while and records when, so a test can see how many overlap."""
    record = Path(os.environ["SAMPLE_RECORD_FILE"])
    started = time.monotonic()
    with record.open("a", encoding="utf-8") as handle:
        handle.write("gate-started\n")
    await asyncio.sleep(float(os.environ.get("SAMPLE_GATE_SECONDS", "1")))
    with record.open("a", encoding="utf-8") as handle:
        handle.write(f"gate {started} {time.monotonic()}\n")


@app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
@app.queue_output(arg_name="out", queue_name="%SAMPLE_WARMUP_OUT%", connection=STORAGE)
def warmup(timer: func.TimerRequest, out: func.Out[str]) -> None:
    out.set("warm")


@app.timer_trigger(arg_name="timer", schedule="%SAMPLE_TICK_SCHEDULE%", run_on_startup=False)
@app.queue_output(arg_name="out", queue_name="%SAMPLE_TICK_OUT%", connection=STORAGE)
def tick(timer: TimerRequest, out: func.Out[str]) -> None:
    # The library's concrete TimerRequest: the abstract func.TimerRequest has no schedule_status.
    out.set(json.dumps({"past_due": timer.past_due, "next": timer.schedule_status.get("Next")}))
