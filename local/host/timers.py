"""Timer triggers on NCRONTAB schedules, in UTC (Flex Consumption ignores time zone settings).

The schedule status (Last/Next) is kept in host storage like the host's StorageScheduleMonitor
(`azure-webjobs-hosts/timers/<hostId>/<function>/status`), so a host that was down when an
occurrence was due runs it at start with `IsPastDue` true. `useMonitor` false and `runOnStartup`
are refused at indexing (function_app.py declares neither).

Several hosts with one host id (scale-out) run each timer once: a host runs a timer only while it
holds the timer's listener lock (`local.host.singleton`), as the host's singleton listener does.
An occurrence that comes while the previous invocation still runs is not started beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob.aio import BlobServiceClient
from croniter import croniter

from local.host.converters import timer_request
from local.host.indexing import FunctionSpec
from local.host.invoke import Invoker
from local.host.settings import HostConfigError
from local.host.singleton import ListenerLock

log = logging.getLogger("local.host.timers")

MONITOR_CONTAINER = "azure-webjobs-hosts"


def _cron(expression: str, base: datetime) -> croniter:
    fields = expression.split()
    if len(fields) not in (5, 6) or not croniter.is_valid(
        expression, second_at_beginning=len(fields) == 6
    ):
        raise HostConfigError(f"invalid NCRONTAB schedule {expression!r}")
    # NCRONTAB's 6-field form has seconds first; croniter's has them last unless told.
    return croniter(expression, base, second_at_beginning=len(fields) == 6)


def next_occurrence(expression: str, after: datetime) -> datetime:
    moment = _cron(expression, after.astimezone(UTC)).get_next(datetime)
    assert isinstance(moment, datetime)
    return moment.astimezone(UTC)


@dataclass
class ScheduleStatus:
    last: datetime | None
    next: datetime | None


class ScheduleMonitor:
    """Schedule status in a blob per function, kept across host restarts."""

    def __init__(self, blobs: BlobServiceClient, host_id: str) -> None:
        self._container = blobs.get_container_client(MONITOR_CONTAINER)
        self._host_id = host_id
        self._container_ready = False

    def _blob_name(self, function: str) -> str:
        return f"timers/{self._host_id}/{function}/status"

    async def get(self, function: str) -> ScheduleStatus | None:
        try:
            download = await self._container.download_blob(self._blob_name(function))
            document = json.loads(await download.readall())
        except ResourceNotFoundError:
            return None
        return ScheduleStatus(last=_parse(document.get("Last")), next=_parse(document.get("Next")))

    async def put(self, function: str, status: ScheduleStatus) -> None:
        if not self._container_ready:
            with contextlib.suppress(ResourceExistsError):
                await self._container.create_container()
            self._container_ready = True
        document = {
            "Last": _format(status.last),
            "Next": _format(status.next),
            "LastUpdated": _format(datetime.now(UTC)),
        }
        await self._container.upload_blob(
            self._blob_name(function), json.dumps(document), overwrite=True
        )


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _format(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class TimerRunner:
    def __init__(
        self,
        spec: FunctionSpec,
        invoker: Invoker,
        monitor: ScheduleMonitor,
        listener_lock: ListenerLock,
    ) -> None:
        self._spec = spec
        self._invoker = invoker
        self._monitor = monitor
        self._listener_lock = listener_lock
        self.schedule = str(spec.trigger["schedule"])
        next_occurrence(self.schedule, datetime.now(UTC))  # fail at start on a bad schedule
        self._lock = asyncio.Lock()  # a timer function never overlaps itself

    async def run(self, stopping: asyncio.Event) -> None:
        """Run the schedule while this host holds the listener lock; otherwise keep asking."""
        waiting_logged = False
        recovery = self._listener_lock.options.listener_lock_recovery.total_seconds()
        while not stopping.is_set():
            try:
                acquired = await self._listener_lock.try_acquire()
            except Exception:
                log.exception("timer %s: could not take its listener lock", self._spec.name)
                acquired = False
            if not acquired:
                if not waiting_logged:
                    log.info(
                        "timer %s: another host holds %s; trying again every %g s",
                        self._spec.name,
                        self._listener_lock.blob_name,
                        recovery,
                    )
                    waiting_logged = True
                await _until(stopping, timeout=recovery)
                continue
            waiting_logged = False
            log.info("timer %s: listener lock taken; this host runs it", self._spec.name)
            lost = asyncio.Event()
            renewal = asyncio.create_task(self._listener_lock.keep(lost))
            try:
                await self._run_schedule(stopping, lost)
            finally:
                renewal.cancel()
                await asyncio.gather(renewal, return_exceptions=True)
                await self._listener_lock.release()

    async def _run_schedule(self, stopping: asyncio.Event, lost: asyncio.Event) -> None:
        now = datetime.now(UTC)
        status = await self._monitor.get(self._spec.name)
        if status is not None and status.next is not None and status.next < now:
            await self.fire(past_due=True, label="timer:missed")
        while not stopping.is_set() and not lost.is_set():
            due = next_occurrence(self.schedule, datetime.now(UTC))
            await self._save(last=None, next_run=due)
            delay = (due - datetime.now(UTC)).total_seconds()
            await _until(stopping, lost, timeout=max(delay, 0))
            if stopping.is_set() or lost.is_set():
                return
            await self.fire(past_due=False, label="timer:schedule", occurrence=due)

    async def fire(self, *, past_due: bool, label: str, occurrence: datetime | None = None) -> None:
        async with self._lock:
            ran_at = occurrence or datetime.now(UTC)
            following = next_occurrence(self.schedule, ran_at)
            request = timer_request(past_due=past_due, last=ran_at, next_run=following)
            # The timer trigger does not retry: a failure is logged by the invoker and dropped.
            await self._invoker.invoke(self._spec, request, label)
            await self._save(last=ran_at, next_run=following)

    async def _save(self, *, last: datetime | None, next_run: datetime) -> None:
        previous = await self._monitor.get(self._spec.name)
        keep_last = last or (previous.last if previous else None)
        try:
            await self._monitor.put(self._spec.name, ScheduleStatus(last=keep_last, next=next_run))
        except Exception:
            log.exception("timer %s: could not store its schedule status", self._spec.name)


async def _until(*events: asyncio.Event, timeout: float) -> None:
    """Wait until one of the events is set or `timeout` seconds have passed."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
