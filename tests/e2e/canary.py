"""The TAP canary: issued passcodes may appear in the delivered emails and nowhere else.

The app never reveals a passcode, so the canary takes them from the outbox (the one place they
may be) and then searches every other place Tapstart writes: host logs, every queue (poison
queues included), every table entity, every blob, and the HTTP answers the test received.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any

from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

# The plain-text TAP email shows the passcode alone on an indented line inside a ruled box.
_PASSCODE = re.compile(r"={50}\n[^\n]*\n\n {4}(\S+)\n")


def passcodes_in(messages: Iterable[dict[str, Any]]) -> list[str]:
    found = []
    for message in messages:
        found += _PASSCODE.findall(message.get("plainText") or "")
    return found


def storage_texts(connection_string: str) -> dict[str, str]:
    """Everything Tapstart stored in Azurite, as text, by location."""
    texts: dict[str, str] = {}
    queues = QueueServiceClient.from_connection_string(connection_string)
    for queue in queues.list_queues():
        client = queues.get_queue_client(queue.name)
        for msg in client.peek_messages(max_messages=32):
            raw = str(msg.content)
            try:
                decoded = base64.b64decode(raw, validate=True).decode("utf-8", "replace")
            except ValueError:
                decoded = ""
            texts[f"queue:{queue.name}:{msg.id}"] = raw + "\n" + decoded
    tables = TableServiceClient.from_connection_string(connection_string)
    for table in tables.list_tables():
        for entity in tables.get_table_client(table.name).list_entities():
            texts[f"table:{table.name}:{entity.get('PartitionKey')}/{entity.get('RowKey')}"] = repr(
                dict(entity)
            )
    blobs = BlobServiceClient.from_connection_string(connection_string)
    for container in blobs.list_containers():
        container_client = blobs.get_container_client(container.name)
        for blob in container_client.list_blobs():
            data = container_client.download_blob(blob.name).readall()
            texts[f"blob:{container.name}/{blob.name}"] = data.decode("utf-8", "replace")
    return texts


def leaks(secrets: Iterable[str], places: dict[str, str]) -> list[str]:
    return [
        f"{secret[:2]}… in {where}"
        for secret in secrets
        for where, text in places.items()
        if secret in text
    ]
