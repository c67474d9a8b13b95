"""Queue trigger listener with the WebJobs Storage Queues extension's (5.x) semantics.

- receive up to `batchSize` messages, held invisible 10 minutes (renewed while running; the
  `--queue-lease` flag shortens it so tests can watch a dead worker's messages come back);
- fetch the next batch when in-flight messages drop to `newBatchThreshold`;
- `messageEncoding` base64: an undecodable message goes straight to `<queue>-poison`;
- success: the message is deleted;
- failure: at `maxDequeueCount` the text is copied to `<queue>-poison` and the message deleted,
  otherwise it is released with `visibilityTimeout` (the retry delay);
- an empty queue (or a missing one: the trigger never creates it) backs off up to
  `maxPollingInterval`, randomised and exponential.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueMessage as StorageMessage

from local.host.connections import StorageClients
from local.host.converters import queue_message
from local.host.indexing import FunctionSpec, connection_name
from local.host.invoke import Invoker
from local.host.settings import QueueOptions

log = logging.getLogger("local.host.queues")

POISON_SUFFIX = "-poison"
MIN_POLLING_INTERVAL = timedelta(milliseconds=100)


class UndecodableMessage(ValueError):
    pass


def decode_body(text: str, encoding: str) -> bytes:
    if encoding == "none":
        return text.encode("utf-8")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UndecodableMessage(str(exc)) from None


def poison_queue_name(queue_name: str) -> str | None:
    """None when the host would not poison: the queue is itself a poison queue."""
    if queue_name.endswith(POISON_SUFFIX):
        return None
    return queue_name + POISON_SUFFIX


def next_polling_delay(current: timedelta, maximum: timedelta, rng: random.Random) -> timedelta:
    """Randomised exponential back-off after an empty poll, capped at maxPollingInterval."""
    grown = current * (1.5 + rng.random())
    return min(max(grown, MIN_POLLING_INTERVAL), maximum)


@dataclass
class _Lease:
    message_id: str
    pop_receipt: str


class QueueListener:
    def __init__(
        self,
        spec: FunctionSpec,
        clients: StorageClients,
        options: QueueOptions,
        invoker: Invoker,
    ) -> None:
        self._spec = spec
        self._options = options
        self._invoker = invoker
        conn = connection_name(spec.trigger)
        self.queue_name = str(spec.trigger["queueName"])
        self._queue = clients.queue(conn, self.queue_name)
        poison = poison_queue_name(self.queue_name)
        self._poison_queue = clients.queue(conn, poison) if poison else None
        self._poison_created = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()
        self._rng = random.Random()

    async def run(self, stopping: asyncio.Event) -> None:
        delay = MIN_POLLING_INTERVAL
        while not stopping.is_set():
            if len(self._in_flight) > self._options.new_batch_threshold:
                self._slot_freed.clear()
                await _first(self._slot_freed.wait(), stopping.wait())
                continue
            try:
                messages = await self._receive()
            except ResourceNotFoundError:
                messages = []
            except Exception:
                log.exception("queue %s: receive failed; retrying", self.queue_name)
                messages = []
            if messages and stopping.is_set():
                # Received while the host began to stop: give them back now rather than run them.
                for message in messages:
                    await self._release(_Lease(message.id, str(message.pop_receipt)), timedelta(0))
                return
            if messages:
                delay = MIN_POLLING_INTERVAL
                for message in messages:
                    self._start(message)
                continue
            delay = next_polling_delay(delay, self._options.max_polling_interval, self._rng)
            await _first(stopping.wait(), asyncio.sleep(delay.total_seconds()))

    async def drain(self, grace_seconds: float) -> None:
        """Let in-flight messages finish; abandon (release) the ones that do not in time."""
        if not self._in_flight:
            return
        _, pending = await asyncio.wait(set(self._in_flight), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _receive(self) -> list[StorageMessage]:
        pager = self._queue.receive_messages(
            messages_per_page=self._options.batch_size,
            max_messages=self._options.batch_size,
            visibility_timeout=self._lease_seconds(),
        )
        return [message async for message in pager]

    def _start(self, message: StorageMessage) -> None:
        task = asyncio.create_task(self._process(message), name=f"{self._spec.name}:{message.id}")
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slot_freed.set()
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.error("queue %s: message handling failed", self.queue_name, exc_info=error)

    async def _process(self, message: StorageMessage) -> None:
        lease = _Lease(message.id, str(message.pop_receipt))
        text = str(message.content)
        try:
            body = decode_body(text, self._options.message_encoding)
        except UndecodableMessage:
            log.warning(
                "queue %s: message %s is not valid base64; moved to poison without invoking",
                self.queue_name,
                message.id,
            )
            await self._poison(lease, text)
            return
        dequeue_count = int(message.dequeue_count or 0)
        argument = queue_message(
            message_id=message.id,
            body=body,
            dequeue_count=dequeue_count,
            pop_receipt=message.pop_receipt,
            inserted_on=message.inserted_on,
            expires_on=message.expires_on,
            next_visible_on=message.next_visible_on,
        )
        renewal = asyncio.create_task(self._keep_invisible(lease))
        try:
            label = f"queue:{self.queue_name}#{dequeue_count}"
            invocation = await self._invoker.invoke(self._spec, argument, label)
        except asyncio.CancelledError:
            renewal.cancel()
            await self._release(lease, timedelta(0))
            raise
        finally:
            renewal.cancel()
        if invocation.succeeded:
            await self._queue.delete_message(lease.message_id, lease.pop_receipt)
        elif dequeue_count >= self._options.max_dequeue_count:
            await self._poison(lease, text)
        else:
            await self._release(lease, self._options.visibility_timeout)

    async def _poison(self, lease: _Lease, text: str) -> None:
        poison = self._poison_queue
        if poison is None:
            # No poison queue for a poison queue: left invisible, which avoids a hot loop.
            return
        if not self._poison_created:  # the host creates the poison queue; never the trigger's
            with contextlib.suppress(ResourceExistsError):
                await poison.create_queue()
            self._poison_created = True
        # The stored text is copied as is, so the poison message keeps its encoding.
        await poison.send_message(text)
        await self._queue.delete_message(lease.message_id, lease.pop_receipt)
        log.warning(
            "queue %s: message %s moved to %s", self.queue_name, lease.message_id, poison.queue_name
        )

    async def _release(self, lease: _Lease, visibility: timedelta) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            await self._queue.update_message(
                lease.message_id,
                lease.pop_receipt,
                visibility_timeout=max(0, round(visibility.total_seconds())),
            )

    def _lease_seconds(self) -> int:
        return max(1, round(self._options.processing_lease.total_seconds()))

    async def _keep_invisible(self, lease: _Lease) -> None:
        while True:
            await asyncio.sleep(self._options.processing_lease.total_seconds() / 2)
            updated = await self._queue.update_message(
                lease.message_id,
                lease.pop_receipt,
                visibility_timeout=self._lease_seconds(),
            )
            lease.pop_receipt = str(updated.pop_receipt)


async def _first(*awaitables: object) -> None:
    """Wait until the first awaitable finishes, then cancel the rest."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]  # type: ignore[call-overload]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
