"""Turn an HR request (raw body + headers) into joiner events, by content type.

    application/json                  canonical joiner event
    application/json + ce-specversion binary-mode CloudEvent (attributes in ce-* headers)
    application/cloudevents+json      structured-mode CloudEvent
    application/scim+json             SCIM BulkRequest (Entra API-driven provisioning)

Anything else is 415, a charset other than UTF-8 too; a body over the limit is 413; malformed
JSON is 400. Call this only after the signature has been verified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.domain.errors import PayloadTooLargeError, UnsupportedMediaError
from shared.domain.joiner import JoinerEvent
from shared.intake.canonical import event_from_canonical
from shared.intake.cloudevents import (
    STRUCTURED_CONTENT_TYPE,
    event_from_binary,
    event_from_structured,
)
from shared.intake.scim import ConditionalCancel, SkippedOperation, events_from_bulk_request
from shared.intake.strict_json import load_json

JSON = "application/json"
SCIM = "application/scim+json"
SUPPORTED_CONTENT_TYPES = (JSON, STRUCTURED_CONTENT_TYPE, SCIM)


@dataclass(frozen=True)
class ParsedRequest:
    format: str  # canonical | cloudevents-structured | cloudevents-binary | scim
    events: tuple[JoinerEvent, ...]
    skipped: tuple[SkippedOperation, ...] = ()
    # SCIM withdrawals (inactive users, DELETEs): acted on only for a person being onboarded.
    cancels: tuple[ConditionalCancel, ...] = ()


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def check_size(body: bytes, max_bytes: int) -> None:
    if len(body) > max_bytes:
        raise PayloadTooLargeError(
            f"the body is {len(body)} bytes; the limit is {max_bytes} bytes", field="/"
        )


def media_type(headers: Mapping[str, str]) -> str:
    """The media type of a request (lower-cased headers); 415 unless the charset is UTF-8."""
    raw = headers.get("content-type", "")
    kind, *params = (part.strip() for part in raw.split(";"))
    if not kind:
        raise UnsupportedMediaError("the Content-Type header is required", field="content-type")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
            "utf-8",
            "utf8",
        }:
            raise UnsupportedMediaError("only the UTF-8 charset is accepted", field="content-type")
    return kind.lower()


def parse_hr_request(
    body: bytes, headers: Mapping[str, str], *, max_bytes: int, received_at: datetime
) -> ParsedRequest:
    """Size check, content-type dispatch, strict JSON, format mapping and schema validation.

    Raises:
        PayloadTooLargeError, UnsupportedMediaError, InvalidEventError: each naming the problem.
    """
    check_size(body, max_bytes)
    headers = lower_headers(headers)
    kind = media_type(headers)
    if kind == STRUCTURED_CONTENT_TYPE:
        return ParsedRequest("cloudevents-structured", (event_from_structured(load_json(body)),))
    if kind == JSON and "ce-specversion" in headers:
        return ParsedRequest("cloudevents-binary", (event_from_binary(headers, load_json(body)),))
    if kind == JSON:
        return ParsedRequest("canonical", (event_from_canonical(load_json(body)),))
    if kind == SCIM:
        batch = events_from_bulk_request(load_json(body), received_at)
        return ParsedRequest("scim", batch.events, batch.skipped, batch.cancels)
    raise UnsupportedMediaError(
        "the Content-Type must be one of " + ", ".join(SUPPORTED_CONTENT_TYPES),
        field="content-type",
    )
