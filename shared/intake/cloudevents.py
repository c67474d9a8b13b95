"""CloudEvents 1.0 carrying a canonical joiner event, and Event Grid's webhook handshake.

Event types: `com.tapstart.joiner.v1` (someone joins, or their start moved) and
`com.tapstart.joiner.cancelled.v1` (the offer was withdrawn); `data` is the canonical joiner event
as a JSON object, whose own `type` may be left out (the CloudEvent type sets it) but must agree
with it when given. Two HTTP modes are accepted:

* structured: `Content-Type: application/cloudevents+json`, the whole event in the body;
* binary: attributes in `ce-*` headers (percent-encoded as the HTTP binding says), the body is
  the canonical event with `Content-Type: application/json`.

The event id (Tapstart's idempotency key) must come from what the Standard Webhooks signature
covers, the body: in structured mode, when `data` has no `eventId`, the CloudEvent `id` (inside
the signed body) is used; in binary mode `eventId` is required in the body, because the `ce-id`
header is not signed and a replayed request with a new `ce-id` must not read as a new event.
When `data` has no `occurredAt`, the CloudEvent `time` is used. Attribute rules (required attributes, extension names) are checked by the
`cloudevents` package's v1 event; everything else by the canonical schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from cloudevents.core.exceptions import (
    CloudEventValidationError,
    CustomExtensionAttributeError,
    InvalidAttributeTypeError,
    InvalidAttributeValueError,
)
from cloudevents.core.v1.event import CloudEvent

from shared.domain.errors import InvalidEventError
from shared.domain.joiner import JoinerEvent
from shared.intake.canonical import CANCELLED, HIRED, event_from_canonical, relocate
from shared.intake.names import clean_name

JOINER_EVENT_TYPE = "com.tapstart.joiner.v1"
CANCELLED_EVENT_TYPE = "com.tapstart.joiner.cancelled.v1"
# CloudEvent type → the canonical event's `type`.
EVENT_TYPES = {JOINER_EVENT_TYPE: HIRED, CANCELLED_EVENT_TYPE: CANCELLED}
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
MAX_ATTRIBUTE_CHARS = 1024
REQUIRED_ATTRIBUTES = ("specversion", "id", "source", "type")


def event_from_structured(document: Any) -> JoinerEvent:
    """A structured-mode CloudEvent (already parsed JSON) → JoinerEvent."""
    if not isinstance(document, dict):
        raise InvalidEventError("a structured CloudEvent must be a JSON object", field="/")
    if "data_base64" in document:
        raise InvalidEventError(
            "/data_base64 is not accepted: send the joiner event as JSON in /data",
            field="/data_base64",
        )
    attributes = {name: value for name, value in document.items() if name != "data"}
    _check_attributes(attributes, lambda name: f"/{name}")
    content_type = attributes.get("datacontenttype")
    if content_type is not None and _media_type(content_type) != "application/json":
        raise InvalidEventError(
            "/datacontenttype must be application/json", field="/datacontenttype"
        )
    if "data" not in document:
        raise InvalidEventError("/data is required: the joiner event", field="/data")
    return _joiner(document["data"], attributes, lambda field: "/data" + field.rstrip("/"))


def event_from_binary(headers: Mapping[str, str], data: Any) -> JoinerEvent:
    """A binary-mode CloudEvent: *headers* lower-cased, *data* the parsed JSON body."""
    attributes: dict[str, Any] = {}
    for name, raw in headers.items():
        if not name.startswith("ce-"):
            continue
        try:
            attributes[name[3:]] = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            raise InvalidEventError(f"{name} is not percent-encoded UTF-8", field=name) from None
    _check_attributes(attributes, lambda name: f"ce-{name}")
    if isinstance(data, dict) and "eventId" not in data:
        raise InvalidEventError(
            "/eventId is required in the body of a binary-mode CloudEvent (the ce-id header is "
            "not signed, so it cannot be the event id)",
            field="/eventId",
        )
    return _joiner(data, attributes, lambda field: field)


def _check_attributes(attributes: dict[str, Any], where: Callable[[str], str]) -> None:
    for name in REQUIRED_ATTRIBUTES:
        # Checked here: the package would quietly invent an id and a specversion.
        if name not in attributes:
            raise InvalidEventError(f"{where(name)} is required", field=where(name))
    for name, value in attributes.items():
        if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_CHARS:
            raise InvalidEventError(
                f"{where(name)} is longer than {MAX_ATTRIBUTE_CHARS} characters", field=where(name)
            )
    if "time" in attributes:
        attributes["time"] = _time(attributes["time"], where("time"))
    checked = dict(attributes)  # the package fills in defaults; keep ours as sent
    try:
        CloudEvent(checked, None)
    except CloudEventValidationError as exc:
        name, problems = next(iter(exc.errors.items()))
        field = where(name if re.fullmatch(r"[a-z0-9]{1,40}", name) else clean_name(name))
        raise InvalidEventError(f"{field} {_plain(problems[0])}", field=field) from None
    if attributes["type"] not in EVENT_TYPES:
        raise InvalidEventError(
            f"{where('type')} must be {JOINER_EVENT_TYPE} or {CANCELLED_EVENT_TYPE}",
            field=where("type"),
        )


def _plain(problem: Exception) -> str:
    # Our own words: the package's sentences quote the (sender-chosen) attribute name.
    if isinstance(problem, CustomExtensionAttributeError):
        return "is not a valid extension attribute name (lowercase letters and digits only)"
    if isinstance(problem, InvalidAttributeTypeError):
        return "must be a string"
    if isinstance(problem, InvalidAttributeValueError) and "specversion" in str(problem):
        return "must be 1.0"
    return "must not be empty"


def _time(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed
    raise InvalidEventError(
        f"{field} must be an RFC 3339 timestamp with an offset, e.g. 2026-11-28T09:00:00Z",
        field=field,
    )


def _joiner(
    data: Any, attributes: Mapping[str, Any], map_field: Callable[[str], str]
) -> JoinerEvent:
    if not isinstance(data, dict):
        raise InvalidEventError(
            "the CloudEvent data must be the joiner event as a JSON object", field=map_field("/")
        )
    event = dict(data)
    kind = EVENT_TYPES[attributes["type"]]
    if event.setdefault("type", kind) != kind:
        field = map_field("/type")
        raise InvalidEventError(
            f"{field} must agree with the CloudEvent type {attributes['type']} ({kind})",
            field=field,
        )
    event.setdefault("eventId", attributes["id"])  # binary mode has required it already
    if "occurredAt" not in event and "time" in attributes:
        event["occurredAt"] = attributes["time"].isoformat()
    try:
        return event_from_canonical(event, source="cloudevents")
    except InvalidEventError as exc:
        raise relocate(exc, map_field) from None


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


_ORIGIN = re.compile(r"^[A-Za-z0-9*][A-Za-z0-9.\-:*]{0,253}$")


def abuse_protection_headers(headers: Mapping[str, str], allowed_rate: str = "*") -> dict[str, str]:
    """Answer the CloudEvents webhook validation handshake (HTTP OPTIONS), as Event Grid sends it.

    `WebHook-Request-Origin` is echoed as `WebHook-Allowed-Origin`; the function key in the
    subscription URL is what actually authorises the sender. *headers* must be lower-cased.
    """
    origin = headers.get("webhook-request-origin", "").strip()
    if not origin:
        raise InvalidEventError(
            "WebHook-Request-Origin is required for the webhook validation handshake",
            field="WebHook-Request-Origin",
        )
    if not _ORIGIN.match(origin):
        raise InvalidEventError(
            "WebHook-Request-Origin must be a host name", field="WebHook-Request-Origin"
        )
    return {
        "WebHook-Allowed-Origin": origin,
        "WebHook-Allowed-Rate": allowed_rate,
        "Allow": "POST, OPTIONS",
    }
