import pytest

from functions.http_problem import problem_body, problem_for, status_of
from shared.domain.errors import (
    InvalidEventError,
    PayloadTooLargeError,
    SignatureError,
    UnsupportedMediaError,
)
from shared.intake.names import clean_name, pointer


def test_a_field_problem_names_the_field_once() -> None:
    body = problem_for(InvalidEventError("/hireDate must be a date", field="/hireDate"))
    assert body == {
        "type": "urn:tapstart:problem:invalid-event",
        "title": "The HR event is not valid",
        "status": 400,
        "detail": "/hireDate must be a date",
        "errors": [{"field": "/hireDate", "problem": "must be a date"}],
    }


def test_status_and_type_follow_the_error_class() -> None:
    assert problem_for(SignatureError("x", field="webhook-id"))["type"].endswith(":unauthenticated")
    assert problem_for(PayloadTooLargeError("x"))["status"] == 413


def test_a_problem_without_errors_has_no_errors_member() -> None:
    assert "errors" not in problem_body(503, "please retry later")


def test_pointer_escapes_per_rfc_6901() -> None:
    assert pointer("a/b", "c~d", 0) == "/a~1b/c~0d/0"


def test_clean_name_keeps_names_short_and_printable() -> None:
    assert clean_name("<img src=x>\r\n") == "?img?src?x???"
    assert clean_name("k" * 50) == "k" * 40 + "…"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (SignatureError("x"), 401),
        (PayloadTooLargeError("x"), 413),
        (UnsupportedMediaError("x"), 415),
        (InvalidEventError("x"), 400),
    ],
)
def test_http_statuses_are_mapped_at_the_edge_not_carried_by_the_errors(
    error: InvalidEventError, status: int
) -> None:
    assert status_of(error) == status
    assert not hasattr(error, "status")
