"""Hostile input (issue #10, item 3): every parser and the signature check, fed random input,
either succeed or raise an InvalidEventError subclass: never anything the trigger would turn
into a 500."""

import asyncio
import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.hr_events import handle_hr_events
from functions.http_problem import status_of
from shared.domain.errors import InvalidEventError, SignatureError
from shared.intake.canonical import SCHEMA, event_from_canonical
from shared.intake.cloudevents import (
    abuse_protection_headers,
    event_from_binary,
    event_from_structured,
)
from shared.intake.parse import lower_headers, parse_hr_request
from shared.intake.scim import events_from_bulk_request
from shared.intake.signature import sign_request, verify_signature
from tests.fakes import FakeClock, Fakes

from .helpers import (
    NOW,
    SECRET,
    binary_headers,
    body,
    bulk,
    canonical,
    scim_user,
    structured,
)
from .helpers import (
    settings as app_settings,
)

FUZZ = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
SETTINGS = app_settings(MAX_EVENT_BYTES="65536")

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
content_types = st.sampled_from(
    ["application/json", "application/cloudevents+json", "application/scim+json", "text/plain", ""]
) | st.text(max_size=30)
header_maps = st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=60), max_size=6)


def mutated(base: dict[str, Any], keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid document with some of its keys given random values (or removed)."""
    changes = st.dictionaries(st.sampled_from(keys), json_values | st.just(None), max_size=4)
    return changes.map(lambda c: {k: v for k, v in {**base, **c}.items() if v is not None})


def only_invalid_event(call: Any, *args: Any) -> None:
    try:
        call(*args)
    except InvalidEventError as exc:
        assert 400 <= status_of(exc) < 500
        assert isinstance(exc.detail, str) and exc.detail


@FUZZ
@given(st.binary(max_size=2048), header_maps, content_types)
def test_parse_random_bytes(payload: bytes, headers: dict[str, str], content_type: str) -> None:
    only_invalid_event(
        lambda: parse_hr_request(
            payload, {**headers, "Content-Type": content_type}, max_bytes=1024, received_at=NOW
        )
    )


@FUZZ
@given(
    json_values,
    st.sampled_from(["application/json", "application/cloudevents+json", "application/scim+json"]),
)
def test_parse_random_json(document: Any, content_type: str) -> None:
    only_invalid_event(
        lambda: parse_hr_request(
            json.dumps(document).encode(),
            {"Content-Type": content_type},
            max_bytes=65536,
            received_at=NOW,
        )
    )


@FUZZ
@given(mutated(canonical(), [*SCHEMA["properties"], "extra"]))
def test_canonical_with_random_field_values(document: dict[str, Any]) -> None:
    only_invalid_event(event_from_canonical, document)


@FUZZ
@given(
    mutated(
        structured(),
        ["specversion", "id", "source", "type", "time", "datacontenttype", "data", "x", "Bad"],
    )
)
def test_structured_cloudevent_with_random_attributes(document: dict[str, Any]) -> None:
    only_invalid_event(event_from_structured, document)


@FUZZ
@given(header_maps, json_values)
def test_binary_cloudevent_with_random_headers(extra: dict[str, str], data: Any) -> None:
    headers = lower_headers({**binary_headers(), **{f"ce-{k}": v for k, v in extra.items()}})
    only_invalid_event(event_from_binary, headers, data)
    only_invalid_event(event_from_binary, headers, canonical())


@FUZZ
@given(
    mutated(
        scim_user(),
        [
            "externalId",
            "userName",
            "name",
            "displayName",
            "title",
            "timezone",
            "preferredLanguage",
            "active",
            "emails",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:tapstart:1.0:User",
            "urn:ietf:params:scim:schemas:extension:contoso:1.0:User",
        ],
    )
)
def test_scim_user_with_random_attributes(user: dict[str, Any]) -> None:
    only_invalid_event(events_from_bulk_request, bulk(user), NOW)


@FUZZ
@given(mutated(bulk(scim_user()), ["schemas", "Operations", "failOnErrors"]))
def test_scim_bulk_with_random_envelope(document: dict[str, Any]) -> None:
    only_invalid_event(events_from_bulk_request, document, NOW)


@FUZZ
@given(st.binary(max_size=512), header_maps)
def test_signature_with_random_headers(payload: bytes, headers: dict[str, str]) -> None:
    only_invalid_event(verify_signature, payload, lower_headers(headers), (SECRET,), NOW)


@FUZZ
@given(
    st.binary(max_size=256),
    st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature"]),
    st.text(max_size=80),
)
def test_signature_with_one_random_header(payload: bytes, name: str, value: str) -> None:
    headers = lower_headers(sign_request(b"{}", SECRET, timestamp=NOW))
    headers[name] = value
    only_invalid_event(verify_signature, payload, headers, (SECRET,), NOW)


@FUZZ
@given(st.text(max_size=300).map(str.encode), st.data())
def test_a_signed_body_verifies_and_any_changed_byte_does_not(
    payload: bytes, data: st.DataObject
) -> None:
    headers = lower_headers(sign_request(payload, SECRET, timestamp=NOW))
    assert verify_signature(payload, headers, (SECRET,), NOW).timestamp == NOW
    if payload:
        index = data.draw(st.integers(0, len(payload) - 1))
        flipped = bytes([payload[index] ^ data.draw(st.integers(1, 255))])
        tampered = payload[:index] + flipped + payload[index + 1 :]
        try:
            verify_signature(tampered, headers, (SECRET,), NOW)
            raise AssertionError("a tampered body verified")
        except SignatureError:
            pass
        except InvalidEventError as exc:
            assert status_of(exc) == 400  # the flip made the body invalid UTF-8


@FUZZ
@given(header_maps)
def test_handshake_with_random_headers(headers: dict[str, str]) -> None:
    only_invalid_event(abuse_protection_headers, lower_headers(headers))


@FUZZ
@given(
    st.one_of(
        json_values.map(lambda v: json.dumps(v).encode()),
        mutated(canonical(), list(SCHEMA["properties"])).map(body),
        st.binary(max_size=512),
    ),
    content_types,
    st.booleans(),
)
def test_the_trigger_answers_4xx_or_202_never_raises(
    payload: bytes, content_type: str, sign: bool
) -> None:
    intake = Fakes(clock=FakeClock(NOW)).services(SETTINGS).accept_hr_request
    headers = {"Content-Type": content_type}
    if sign:
        # A sender cannot sign non-UTF-8 with Standard Webhooks; such a body goes unsigned.
        with contextlib.suppress(UnicodeDecodeError):
            headers.update(sign_request(payload, SECRET, timestamp=NOW))
    response = asyncio.run(handle_hr_events(payload, headers, intake))
    assert response.status_code in {202, 400, 401, 413, 415}
    if response.status_code != 202:
        assert json.loads(response.get_body())["status"] == response.status_code
