"""The running host: one HTTP front, one listener per queue function, one runner per timer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func
from aiohttp import web

from local.host.connections import StorageClients
from local.host.converters import queue_message
from local.host.http_server import HttpFront
from local.host.indexing import DEFAULT_CONNECTION, FunctionSpec
from local.host.invoke import Invocation, Invoker
from local.host.keys import Keys
from local.host.queue_listener import QueueListener
from local.host.settings import HostOptions, request_body_limit
from local.host.singleton import ListenerLock
from local.host.timers import ScheduleMonitor, TimerRunner

log = logging.getLogger("local.host")

DEFAULT_HOST_ID = "tapstart-local"


class LocalHost:
    def __init__(
        self,
        functions: Sequence[FunctionSpec],
        options: HostOptions,
        settings: Mapping[str, str],
        keys: Keys,
        shutdown_grace: float = 10.0,
    ) -> None:
        self.functions = {f.name: f for f in functions}
        self._options = options
        self._grace = shutdown_grace
        self._clients = StorageClients(settings)
        threads = settings.get("PYTHON_THREADPOOL_THREAD_COUNT")
        self._invoker = Invoker(int(threads) if threads else None, options.function_timeout)
        self._listeners = [
            QueueListener(f, self._clients, options.queues, self._invoker)
            for f in functions
            if f.trigger_type == "queueTrigger"
        ]
        self._timers: dict[str, TimerRunner] = {}
        timers = [f for f in functions if f.trigger_type == "timerTrigger"]
        if timers:  # the schedule status lives in the host storage, as in Azure
            host_id = settings.get("AzureFunctionsWebHost__hostid", DEFAULT_HOST_ID)
            blobs = self._clients.blob_service(DEFAULT_CONNECTION)
            monitor = ScheduleMonitor(blobs, host_id)
            self._timers = {
                f.name: TimerRunner(
                    f,
                    self._invoker,
                    monitor,
                    ListenerLock(blobs, host_id, f.name, options.singleton),
                )
                for f in timers
            }
        self._front = HttpFront(
            functions,
            options.route_prefix,
            keys,
            self._invoke_http,
            self.invoke_admin,
            body_limit=request_body_limit(settings),
            response_limit=options.http_response_limit.total_seconds(),
        )
        self._stopping = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None

    async def start(self, bind: str, port: int) -> None:
        self._runner = web.AppRunner(
            self._front.application(), access_log=None, shutdown_timeout=self._grace
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, bind, port).start()
        for listener in self._listeners:
            self._loops.append(asyncio.create_task(listener.run(self._stopping)))
        for timer in self._timers.values():
            self._loops.append(asyncio.create_task(timer.run(self._stopping)))

    async def stop(self) -> None:
        """Stop taking work, let in-flight invocations finish within the grace period."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()  # waits for in-flight requests (shutdown_timeout)
        # Polling loops first: a receive still in flight must hand its messages back (or to the
        # drain) before the drain looks at what is in flight, or they stay leased for the lease.
        await _finish_within(self._loops, self._grace)
        await asyncio.gather(
            _finish_within([*self._background, *self._front.unanswered], self._grace),
            *(listener.drain(self._grace) for listener in self._listeners),
        )
        self._invoker.shutdown()
        await self._clients.close()

    async def _invoke_http(self, spec: FunctionSpec, request: func.HttpRequest) -> Invocation:
        label = f"http:{request.method} {urlsplit(request.url).path}"
        return await self._invoker.invoke(spec, request, label)

    async def invoke_admin(self, name: str, text: str) -> bool:
        """`POST /admin/functions/{name}`: start a queue or timer function with `text` as input.

        False (a 404) for an unknown name or an HTTP function, which is called on its route.
        """
        spec = self.functions.get(name) or next(
            (f for n, f in self.functions.items() if n.lower() == name.lower()), None
        )
        if spec is None or spec.trigger_type == "httpTrigger":
            return False
        if spec.trigger_type == "timerTrigger":
            self._spawn(self._timers[spec.name].fire(past_due=False, label="admin"))
        else:
            message = queue_message(
                message_id=str(uuid.uuid4()),
                body=text.encode("utf-8"),
                dequeue_count=1,
                pop_receipt=None,
                inserted_on=datetime.now(UTC),
                expires_on=None,
                next_visible_on=None,
            )
            self._spawn(self._invoker.invoke(spec, message, "admin"))
        return True

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def wait_stopped(self) -> None:
        await self._stopping.wait()

    def request_stop(self) -> None:
        self._stopping.set()

    def describe(self) -> list[str]:
        lines = []
        for spec in self.functions.values():
            trigger = spec.trigger
            if spec.trigger_type == "httpTrigger":
                methods = ",".join(trigger.get("methods") or ["*"])
                route = "/".join(p for p in (self._options.route_prefix, trigger.get("route")) if p)
                detail = f"http {methods} /{route} auth={trigger.get('authLevel', 'FUNCTION')}"
            elif spec.trigger_type == "queueTrigger":
                detail = f"queue {trigger['queueName']}"
            else:
                detail = f"timer '{trigger['schedule']}' UTC"
            lines.append(f"  {spec.name}: {detail}")
        return lines


async def _finish_within(tasks: list[asyncio.Task[Any]], seconds: float) -> None:
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def run_until_stopped(host: LocalHost, bind: str, port: int) -> None:
    await host.start(bind, port)
    try:
        await host.wait_stopped()
    finally:
        with contextlib.suppress(Exception):
            await host.stop()
