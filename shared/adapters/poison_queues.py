"""The `<queue>-poison` queues, read and emptied by hand (`tapstart poison ...`).

Messages are read raw: the host copies the original text into the poison queue, which is Base64
for our queues but may be anything a broken producer sent. Acting on chosen ids means receiving
(hiding) messages briefly; the ones not chosen are made visible again at once.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueServiceClient

from shared.adapters.clients import queue_service
from shared.config import StorageConnection

PEEK_MAX = 32  # Queue storage's largest peek / receive batch
_HIDE_SECONDS = 60


@dataclass(frozen=True)
class PoisonMessage:
    id: str
    inserted_on: datetime | None
    dequeue_count: int
    text: str  # as stored

    @property
    def body(self) -> str:
        """The message as the function saw it: Base64-decoded when it is Base64 text."""
        try:
            return base64.b64decode(self.text, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return self.text

    @property
    def tracking_id(self) -> str:
        with contextlib.suppress(ValueError, AttributeError):
            value = json.loads(self.body).get("trackingId")
            return str(value) if value else ""
        return ""


def _message(raw: Any) -> PoisonMessage:
    return PoisonMessage(raw.id, raw.inserted_on, int(raw.dequeue_count or 0), str(raw.content))


class PoisonQueues:
    def __init__(self, connection: StorageConnection) -> None:
        self._service: QueueServiceClient = queue_service(connection)

    def close(self) -> None:
        self._service.close()

    def _client(self, queue: str) -> QueueClient:
        return self._service.get_queue_client(queue)

    def count(self, queue: str) -> int:
        try:
            return int(self._client(queue).get_queue_properties().approximate_message_count or 0)
        except ResourceNotFoundError:
            return 0

    def peek(self, queue: str) -> list[PoisonMessage]:
        try:
            return [_message(m) for m in self._client(queue).peek_messages(max_messages=PEEK_MAX)]
        except ResourceNotFoundError:
            return []

    def take(self, queue: str, ids: set[str] | None, act: Any) -> list[PoisonMessage]:
        """Receive every message once; call `act(message)` and delete those chosen (all when
        `ids` is None); release the others. Returns the messages acted on."""
        client = self._client(queue)
        done: list[PoisonMessage] = []
        released: list[Any] = []
        try:
            # Receiving hides each message, so the iteration ends once every one was seen.
            for raw in client.receive_messages(
                messages_per_page=PEEK_MAX, visibility_timeout=_HIDE_SECONDS
            ):
                message = _message(raw)
                if ids is None or message.id in ids:
                    act(message)
                    client.delete_message(raw)
                    done.append(message)
                else:
                    released.append(raw)
        except ResourceNotFoundError:
            return done
        finally:
            for raw in released:
                with contextlib.suppress(ResourceNotFoundError):
                    client.update_message(raw, visibility_timeout=0)
        return done

    def send_base64(self, queue: str, body: str) -> None:
        client = self._client(queue)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        client.send_message(base64.b64encode(body.encode("utf-8")).decode("ascii"))
