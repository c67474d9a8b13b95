"""Output bindings, written after a successful invocation only (as the host flushes them)."""

from __future__ import annotations

import base64
import contextlib
import logging
from typing import Any

from azure.core.exceptions import ResourceExistsError

from local.host.connections import StorageClients
from local.host.converters import queue_output_texts
from local.host.indexing import FunctionSpec, connection_name
from local.host.invoke import Invocation, Invoker

log = logging.getLogger("local.host")


def encode_message(body: bytes, encoding: str) -> str:
    """Queue message text for `messageEncoding` (base64 is the extension's default)."""
    if encoding == "base64":
        return base64.b64encode(body).decode("ascii")
    return body.decode("utf-8")


class QueueOutputs:
    def __init__(self, clients: StorageClients, encoding: str) -> None:
        self._clients = clients
        self._encoding = encoding
        self._created: set[tuple[str, str]] = set()

    async def send(self, conn: str, queue_name: str, bodies: list[bytes]) -> None:
        await self.send_texts(conn, queue_name, [encode_message(b, self._encoding) for b in bodies])

    async def send_texts(self, conn: str, queue_name: str, texts: list[str]) -> None:
        """Enqueue message texts as given (already encoded), creating the queue if missing."""
        queue = self._clients.queue(conn, queue_name)
        if (conn, queue_name) not in self._created:
            # The output binding creates its target queue; the trigger never does.
            with contextlib.suppress(ResourceExistsError):
                await queue.create_queue()
            self._created.add((conn, queue_name))
        for text in texts:
            await queue.send_message(text)

    async def write(self, spec: FunctionSpec, invocation: Invocation) -> None:
        if not invocation.succeeded:
            return
        for binding, value in invocation.output_values(spec):
            if binding["type"] != "queue" or value is None:
                continue
            queue_name = str(binding["queueName"])
            await self.send(connection_name(binding), queue_name, queue_output_texts(value))


async def invoke_and_write(
    invoker: Invoker, outputs: QueueOutputs, spec: FunctionSpec, argument: Any, label: str
) -> Invocation:
    """Invoke, then flush output bindings if it succeeded (a failed flush fails the call)."""
    invocation = await invoker.invoke(spec, argument, label)
    if invocation.succeeded:
        try:
            await outputs.write(spec, invocation)
        except Exception as exc:
            log.exception("function=%s: writing output bindings failed", spec.name)
            invocation.error = exc
    return invocation
