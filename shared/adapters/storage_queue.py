"""Job queue on Azure Queue storage, encoded as the queue trigger expects (Base64 by default)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ServiceRequestError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from shared.adapters.clients import queue_service
from shared.config import StorageConnection
from shared.domain.errors import TransientError

# Azure Queue storage caps the initial invisibility at 7 days; longer waits are chained hops.
MAX_DELAY_SECONDS = 7 * 24 * 3600 - 60


class StorageJobQueue:
    def __init__(self, connection: StorageConnection) -> None:
        policy = TextBase64EncodePolicy()  # host.json messageEncoding = base64 (the host default)
        self._service = queue_service(connection, message_encode_policy=policy)
        self._clients: dict[str, QueueClient] = {}

    async def aclose(self) -> None:
        for client in self._clients.values():
            client.close()
        self._service.close()

    def _client(self, queue: str) -> QueueClient:
        client = self._clients.get(queue)
        if client is None:
            # host.json messageEncoding = base64 (the host default). The policy must be given to
            # each QueueClient: get_queue_client() does not inherit the service client's.
            client = self._service.get_queue_client(
                queue, message_encode_policy=TextBase64EncodePolicy()
            )
            with contextlib.suppress(ResourceExistsError):
                client.create_queue()
            self._clients[queue] = client
        return client

    def _send(self, queue: str, body: str, delay: int) -> None:
        self._client(queue).send_message(body, visibility_timeout=delay or None)

    async def enqueue(self, queue: str, payload: Mapping[str, Any], delay_seconds: int = 0) -> None:
        delay = max(0, min(int(delay_seconds), MAX_DELAY_SECONDS))
        body = json.dumps(dict(payload), separators=(",", ":"))
        try:
            await asyncio.to_thread(self._send, queue, body, delay)
        except (HttpResponseError, ServiceRequestError) as exc:
            raise TransientError(f"queue storage error: {type(exc).__name__}") from exc
