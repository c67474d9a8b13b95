"""Trigger objects (`QueueMessage`, `TimerRequest`) through the azure-functions converters.

The Python worker turns host payloads into `QueueMessage` / `TimerRequest` with these same
converters, so a function sees exactly the objects (and metadata) it would see in Azure.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from azure.functions import meta


def _converter(binding: str) -> Any:
    registry = meta.get_binding_registry()  # type: ignore[no-untyped-call]
    return registry.get(binding)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def queue_message(
    *,
    message_id: str,
    body: bytes,
    dequeue_count: int,
    pop_receipt: str | None,
    inserted_on: datetime | None,
    expires_on: datetime | None,
    next_visible_on: datetime | None,
) -> func.QueueMessage:
    metadata = {
        "Id": meta.Datum(message_id, "string"),
        "DequeueCount": meta.Datum(str(dequeue_count), "json"),
        "PopReceipt": meta.Datum(pop_receipt, "string"),
    }
    for key, moment in (
        ("InsertionTime", inserted_on),
        ("ExpirationTime", expires_on),
        ("NextVisibleTime", next_visible_on),
    ):
        if moment is not None:
            metadata[key] = meta.Datum(json.dumps(_iso(moment)), "json")
    converter = _converter("queueTrigger")
    message: func.QueueMessage = converter.decode(
        meta.Datum(body, "bytes"), trigger_metadata=metadata
    )
    return message


def timer_request(
    *, past_due: bool, last: datetime | None, next_run: datetime | None
) -> func.TimerRequest:
    now = datetime.now(UTC)
    payload = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": _iso(last or now),
            "Next": _iso(next_run),
            "LastUpdated": _iso(now),
        },
        "IsPastDue": past_due,
    }
    converter = _converter("timerTrigger")
    request: func.TimerRequest = converter.decode(
        meta.Datum(json.dumps(payload), "json"), trigger_metadata={}
    )
    return request
