from datetime import UTC, date, datetime
from typing import Any

import pytest

from functions.http_problem import status_of
from shared.domain.errors import InvalidEventError
from shared.intake.canonical import event_from_canonical

from .helpers import canonical


def refusal(data: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        event_from_canonical(data)
    assert status_of(caught.value) == 400
    return caught.value


def test_a_full_event_maps_every_field() -> None:
    event = event_from_canonical(canonical())
    assert event.event_id == "hr-2026-000123"
    assert event.occurred_at == datetime(2026, 11, 28, 8, 55, tzinfo=UTC)
    assert event.employee_id == "E123"
    assert event.hire_date == date(2026, 12, 1)
    assert event.upn == "ada.lovelace@contoso.example"
    assert (event.given_name, event.surname, event.display_name) == (
        "Ada",
        "Lovelace",
        "Ada Lovelace",
    )
    assert (event.time_zone, event.department, event.job_title) == (
        "Europe/London",
        "Engineering",
        "Analyst",
    )
    assert (event.preferred_language, event.personal_email) == ("en-GB", "ada@home.example")
    assert event.source == "canonical"


def test_only_the_required_fields_are_enough() -> None:
    event = event_from_canonical(
        canonical(
            userPrincipalName=None,
            displayName=None,
            timeZone=None,
            department=None,
            jobTitle=None,
            preferredLanguage=None,
            personalEmail=None,
        )
    )
    assert event.upn is None and event.time_zone is None and event.personal_email is None


@pytest.mark.parametrize(
    "field", ["eventId", "occurredAt", "employeeId", "givenName", "surname", "hireDate"]
)
def test_each_required_field_is_named_when_missing(field: str) -> None:
    error = refusal(canonical(**{field: None}))
    assert error.field == f"/{field}"
    assert "is required" in error.detail


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("hireDate", "2026-02-30", "calendar date"),
        ("hireDate", "01/12/2026", "calendar date"),
        ("hireDate", "1900-01-01", "between the years"),
        ("occurredAt", "2026-11-28T08:55:00", "RFC 3339"),
        ("occurredAt", "yesterday", "RFC 3339"),
        ("timeZone", "Mars/Olympus_Mons", "IANA tz database"),
        ("timeZone", "../../etc/passwd", "IANA time zone name"),
        ("preferredLanguage", "english please", "BCP 47"),
        ("personalEmail", "not-an-address", "email address"),
        ("userPrincipalName", "no-at-sign", "name@domain"),
        ("employeeId", "E" * 17, "at most 16 characters"),
        ("givenName", "", "at least 1 characters"),
        ("givenName", "Ada\r\nBcc: x@evil.example", "control characters"),
        ("displayName", "x" * 257, "at most 256"),
        ("eventId", "has spaces", "printable ASCII"),
        ("surname", 42, "must be a string"),
    ],
)
def test_field_problems_name_the_field_without_echoing_the_value(
    field: str, value: Any, problem: str
) -> None:
    error = refusal(canonical(**{field: value}))
    assert error.field == f"/{field}"
    assert problem in error.detail
    if isinstance(value, str) and len(value) > 3:
        assert value not in error.detail


def test_unknown_properties_are_refused_and_named() -> None:
    error = refusal(canonical(timezone="Europe/Paris"))
    assert error.field == "/timezone"
    assert "not a property of the joiner event" in error.detail


def test_an_unknown_property_with_a_hostile_name_is_quoted_harmlessly() -> None:
    error = refusal(canonical(**{"<script>\n": 1}))
    assert "<script>" not in error.detail and "\n" not in error.detail


@pytest.mark.parametrize("data", [[], "event", 3, None])
def test_a_non_object_is_refused(data: Any) -> None:
    assert refusal(data).field == "/"


def test_html_in_names_is_accepted_as_text() -> None:
    # Display names may hold markup-like text; the email templates escape it.
    event = event_from_canonical(canonical(displayName="<b>Ada</b> & co"))
    assert event.display_name == "<b>Ada</b> & co"


# --- a withdrawn offer ---------------------------------------------------------------------

CANCEL = {
    "type": "joiner.cancelled",
    "eventId": "hr-rescind-1",
    "occurredAt": "2026-11-30T16:20:00Z",
    "employeeId": "E123",
}


def test_a_cancel_needs_only_the_person_and_keeps_the_reason() -> None:
    event = event_from_canonical({**CANCEL, "reason": "Candidate declined"})
    assert (event.kind, event.cancelled, event.employee_id) == ("cancel", True, "E123")
    assert event.reason == "Candidate declined"
    assert event.given_name is None and event.hire_date == date(2026, 11, 30)


def test_a_hire_is_the_default_type_and_can_be_named() -> None:
    assert event_from_canonical(canonical()).kind == "hire"
    assert event_from_canonical(canonical(type="joiner.hired")).kind == "hire"


@pytest.mark.parametrize("field", ["givenName", "surname", "hireDate"])
def test_a_hire_still_needs_the_hire_fields(field: str) -> None:
    error = refusal(canonical(**{field: None}))
    assert error.field == f"/{field}"
    assert error.detail == f"/{field} is required (for a joiner.hired)"


def test_an_unknown_type_is_refused_with_the_accepted_ones() -> None:
    error = refusal({**CANCEL, "type": "joiner.fired"})
    assert error.field == "/type"
    assert "joiner.hired" in error.detail and "joiner.cancelled" in error.detail


def test_a_cancel_reason_must_be_plain_text() -> None:
    assert refusal({**CANCEL, "reason": "x\u0007"}).field == "/reason"
    assert refusal({**CANCEL, "reason": "r" * 501}).field == "/reason"


def test_a_cancel_without_its_employee_id_names_it() -> None:
    data = dict(CANCEL)
    del data["employeeId"]
    assert refusal(data).detail == "/employeeId is required"
