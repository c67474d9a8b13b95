from typing import Any

import pytest

from functions.http_problem import status_of
from shared.domain.errors import InvalidEventError
from shared.intake.cloudevents import (
    JOINER_EVENT_TYPE,
    abuse_protection_headers,
    event_from_binary,
    event_from_structured,
)
from shared.intake.parse import lower_headers

from .helpers import binary_headers, canonical, structured


def structured_refusal(document: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        event_from_structured(document)
    assert status_of(caught.value) == 400
    return caught.value


def binary_refusal(headers: dict[str, str], data: Any = None) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        event_from_binary(lower_headers(headers), canonical() if data is None else data)
    assert status_of(caught.value) == 400
    return caught.value


def test_the_documented_type() -> None:
    assert JOINER_EVENT_TYPE == "com.tapstart.joiner.v1"


def test_structured_event_carries_the_canonical_event() -> None:
    event = event_from_structured(structured())
    assert event.event_id == "hr-2026-000123"
    assert event.employee_id == "E123"
    assert event.source == "cloudevents"


def test_structured_event_id_and_time_fill_in_for_missing_data_fields() -> None:
    event = event_from_structured(structured(data=canonical(eventId=None, occurredAt=None)))
    assert event.event_id == "ce-0001"
    assert event.occurred_at.isoformat() == "2026-11-28T08:55:00+00:00"


@pytest.mark.parametrize("attribute", ["specversion", "id", "source", "type"])
def test_structured_required_attributes_are_named(attribute: str) -> None:
    error = structured_refusal(structured(**{attribute: None}))
    assert error.field == f"/{attribute}"
    assert "required" in error.detail


def test_structured_wrong_type_is_refused() -> None:
    error = structured_refusal(structured(type="com.example.other"))
    assert error.field == "/type" and JOINER_EVENT_TYPE in error.detail


def test_structured_wrong_specversion_is_refused() -> None:
    error = structured_refusal(structured(specversion="0.3"))
    assert error.field == "/specversion"
    assert error.detail == "/specversion must be 1.0"


def test_structured_empty_id_is_refused() -> None:
    error = structured_refusal(structured(id=""))
    assert (error.field, error.detail) == ("/id", "/id must not be empty")


def test_structured_bad_time_is_refused() -> None:
    assert structured_refusal(structured(time="noon")).field == "/time"


def test_structured_invalid_extension_name_is_refused() -> None:
    assert structured_refusal(structured(**{"Bad-Name": "x"})).field.startswith("/")


def test_structured_data_errors_point_into_data() -> None:
    error = structured_refusal(structured(data=canonical(hireDate="soon")))
    assert error.field == "/data/hireDate"
    assert error.detail.startswith("/data/hireDate ")


def test_structured_without_data_is_refused() -> None:
    document = structured()
    del document["data"]
    assert structured_refusal(document).field == "/data"


def test_structured_base64_data_is_refused() -> None:
    assert structured_refusal(structured(data_base64="e30=")).field == "/data_base64"


def test_structured_non_json_datacontenttype_is_refused() -> None:
    assert structured_refusal(structured(datacontenttype="text/xml")).field == "/datacontenttype"


def test_structured_non_object_data_is_refused() -> None:
    assert structured_refusal(structured(data=["x"])).field == "/data"


def test_binary_event_reads_ce_headers_but_its_id_from_the_body() -> None:
    event = event_from_binary(lower_headers(binary_headers()), canonical(occurredAt=None))
    assert event.event_id == "hr-2026-000123"  # the signed body's, never the ce-id header's
    assert event.occurred_at.isoformat() == "2026-11-28T08:55:00+00:00"  # from ce-time
    assert event.source == "cloudevents"


def test_binary_without_an_event_id_in_the_body_is_refused() -> None:
    # The ce-id header is not signed: a replay with a new ce-id must not be a new event.
    error = binary_refusal(binary_headers(), canonical(eventId=None))
    assert error.field == "/eventId" and "ce-id" in error.detail


def test_binary_headers_are_percent_decoded() -> None:
    headers = binary_headers(**{"ce-time": "2026-11-28T08%3A55%3A00Z"})
    event = event_from_binary(lower_headers(headers), canonical(occurredAt=None))
    assert event.occurred_at.isoformat() == "2026-11-28T08:55:00+00:00"


def test_binary_header_with_broken_percent_encoding_is_refused() -> None:
    assert binary_refusal(binary_headers(**{"ce-subject": "%ff"})).field == "ce-subject"


def test_binary_missing_attribute_names_the_header() -> None:
    headers = binary_headers()
    del headers["ce-source"]
    assert binary_refusal(headers).field == "ce-source"


def test_binary_wrong_type_names_the_header() -> None:
    assert binary_refusal(binary_headers(**{"ce-type": "x"})).field == "ce-type"


def test_binary_data_errors_point_at_the_body() -> None:
    assert binary_refusal(binary_headers(), canonical(givenName=None)).field == "/givenName"


def test_handshake_echoes_the_origin() -> None:
    headers = abuse_protection_headers({"webhook-request-origin": "eventgrid.azure.net"})
    assert headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"
    assert headers["WebHook-Allowed-Rate"] == "*"


def test_handshake_rate_can_be_limited() -> None:
    headers = abuse_protection_headers({"webhook-request-origin": "eventgrid.azure.net"}, "120")
    assert headers["WebHook-Allowed-Rate"] == "120"


@pytest.mark.parametrize("origin", ["", "evil.example\r\nSet-Cookie: x=1", "a b", "x" * 300])
def test_handshake_refuses_missing_or_hostile_origins(origin: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        abuse_protection_headers({"webhook-request-origin": origin})
    assert status_of(caught.value) == 400
    assert caught.value.field == "WebHook-Request-Origin"


# --- a withdrawn offer ---------------------------------------------------------------------

CANCEL_TYPE = "com.tapstart.joiner.cancelled.v1"


def test_the_cancel_type_makes_its_data_a_cancel() -> None:
    data = {"employeeId": "E123", "reason": "Offer withdrawn"}
    event = event_from_structured(structured(data=data, type=CANCEL_TYPE))
    assert (event.kind, event.employee_id, event.reason) == ("cancel", "E123", "Offer withdrawn")
    assert event.event_id == "ce-0001"  # the CloudEvent id stands in, as for a hire


def test_the_cancel_type_in_binary_mode() -> None:
    headers = lower_headers(binary_headers(**{"ce-type": CANCEL_TYPE}))
    data = {"eventId": "hr-rescind-2", "employeeId": "E123", "occurredAt": "2026-11-30T10:00:00Z"}
    event = event_from_binary(headers, data)
    assert event.cancelled


@pytest.mark.parametrize(
    ("ce_type", "data_type"),
    [(JOINER_EVENT_TYPE, "joiner.cancelled"), (CANCEL_TYPE, "joiner.hired")],
)
def test_data_whose_type_contradicts_the_cloudevent_type_is_refused(
    ce_type: str, data_type: str
) -> None:
    error = structured_refusal(structured(data=canonical(type=data_type), type=ce_type))
    assert error.field == "/data/type" and ce_type in error.detail


def test_a_wrong_type_names_both_accepted_types() -> None:
    error = structured_refusal(structured(type="com.example.other"))
    assert CANCEL_TYPE in error.detail
