"""The one rule every queue trigger follows, so no trigger decides it differently.

1. Parse the message into its command; a message that is not one (`MalformedCommandError`) is
   logged with the reason and dropped — retrying cannot fix it, and the poison queue is for
   joiners whose onboarding failed, not for garbage.
2. Run the use case with the command's keys bound to every log line.
3. Worker queues: `TransientError` with `retry_after` (quiet hours, the email rate limit, a throttled service,
   a joiner not provisioned yet): put the command back with that delay and complete this
   message, so a wait does not spend one of the host's dequeues. Without `retry_after` it
   propagates: the host makes the message visible again after its visibility timeout and moves
   it to the poison queue after maxDequeueCount.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

import azure.functions as func

from shared.domain.commands import MalformedCommandError
from shared.domain.errors import TransientError
from shared.logging_setup import bound

log = logging.getLogger(__name__)

C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)


class Requeue(Protocol[C_contra]):
    async def send(self, command: C_contra, delay_seconds: int = 0) -> None: ...


def parse_message(msg: func.QueueMessage, parse: Callable[[bytes], C], queue: str) -> C | None:
    try:
        return parse(msg.get_body())
    except MalformedCommandError as exc:
        log.error(
            "malformed queue message dropped",
            extra={"queue": queue, "message_id": msg.id, "reason": exc.reason},
        )
        return None


async def run_command(
    msg: func.QueueMessage,
    command: C,
    handle: Callable[[C], Awaitable[Any]],
    requeue: Requeue[C] | None,
    keys: Mapping[str, Any],
) -> Any:
    """Run `handle(command)` under the rule above; returns its result (None when re-enqueued).

    `requeue=None` (the poison triggers): nothing to put back, every error goes to the host.
    """
    with bound(**keys, message_id=msg.id, dequeue_count=msg.dequeue_count):
        try:
            return await handle(command)
        except TransientError as exc:
            if exc.retry_after is None or requeue is None:
                raise
            delay = max(1, math.ceil(exc.retry_after))
            await requeue.send(command, delay)
            log.warning(
                "queue message re-enqueued: %s",
                exc.reason,
                extra={"delay_seconds": delay},
            )
            return None
