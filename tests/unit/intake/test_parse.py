import json

import pytest

from functions.http_problem import status_of
from shared.domain.errors import InvalidEventError
from shared.intake.parse import parse_hr_request

from .helpers import NOW, binary_headers, body, bulk, canonical, scim_user, structured

LIMIT = 1024 * 1024


def parse(payload: bytes, content_type: str | None, **headers: str):  # type: ignore[no-untyped-def]
    all_headers = dict(headers)
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return parse_hr_request(payload, all_headers, max_bytes=LIMIT, received_at=NOW)


def refusal(payload: bytes, content_type: str | None, **headers: str) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        parse(payload, content_type, **headers)
    return caught.value


def test_canonical() -> None:
    parsed = parse(body(canonical()), "application/json; charset=utf-8")
    assert parsed.format == "canonical"
    assert [e.event_id for e in parsed.events] == ["hr-2026-000123"]


def test_structured_cloudevent() -> None:
    parsed = parse(body(structured()), "application/cloudevents+json")
    assert parsed.format == "cloudevents-structured"
    assert parsed.events[0].source == "cloudevents"


def test_binary_cloudevent() -> None:
    headers = binary_headers()
    content_type = headers.pop("Content-Type")
    parsed = parse(body(canonical()), content_type, **headers)
    assert parsed.format == "cloudevents-binary"


def test_scim() -> None:
    parsed = parse(
        body(bulk(scim_user("1"), scim_user("2", active=False))), "application/scim+json"
    )
    assert parsed.format == "scim"
    assert len(parsed.events) == 1 and len(parsed.cancels) == 1


def test_header_names_are_case_insensitive() -> None:
    parsed = parse_hr_request(
        body(canonical()), {"CONTENT-TYPE": "Application/JSON"}, max_bytes=LIMIT, received_at=NOW
    )
    assert parsed.format == "canonical"


@pytest.mark.parametrize(
    "content_type", [None, "", "text/plain", "application/xml", "multipart/form-data"]
)
def test_unsupported_content_types_are_415(content_type: str | None) -> None:
    error = refusal(body(canonical()), content_type)
    assert status_of(error) == 415
    assert error.field == "content-type"


def test_a_charset_other_than_utf8_is_415() -> None:
    error = refusal(body(canonical()), "application/json; charset=iso-8859-1")
    assert status_of(error) == 415
    assert "UTF-8" in error.detail


def test_an_oversized_body_is_413_before_any_parsing() -> None:
    payload = b"{" * (LIMIT + 1)
    error = refusal(payload, "text/plain")
    assert status_of(error) == 413
    assert str(LIMIT) in error.detail


def test_a_body_at_the_limit_is_parsed() -> None:
    document = canonical()
    raw = json.dumps(document)
    padded = (raw + " " * (LIMIT - len(raw))).encode()
    assert parse(padded, "application/json").events[0].event_id == "hr-2026-000123"


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b'{"eventId": "a", "eventId": "b"}', "duplicate key 'eventId'"),
        (b'{"eventId": "\xc3\x28"}', "not valid UTF-8"),
        (b"[" * 5000, "nested more than"),
        (b'{"eventId": ', "malformed JSON"),
        (b"", "malformed JSON"),
    ],
)
def test_malformed_bodies_are_400_naming_the_problem(payload: bytes, problem: str) -> None:
    for content_type in (
        "application/json",
        "application/cloudevents+json",
        "application/scim+json",
    ):
        error = refusal(payload, content_type)
        assert status_of(error) == 400
        assert problem in error.detail


def test_schema_violations_are_400_with_the_field() -> None:
    error = refusal(body(canonical(hireDate="tomorrow")), "application/json")
    assert (status_of(error), error.field) == (400, "/hireDate")
