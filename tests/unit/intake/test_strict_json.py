import pytest

from functions.http_problem import status_of
from shared.domain.errors import InvalidEventError
from shared.intake.strict_json import MAX_DEPTH, load_json


def refusal(raw: bytes | str) -> str:
    with pytest.raises(InvalidEventError) as caught:
        load_json(raw)
    assert status_of(caught.value) == 400
    return caught.value.detail


def test_plain_json_loads() -> None:
    assert load_json(b'{"a": [1, "\\u00e9", null]}') == {"a": [1, "é", None]}


def test_duplicate_keys_are_refused_and_named() -> None:
    assert "duplicate key 'eventId'" in refusal(b'{"eventId": "a", "eventId": "b"}')


def test_duplicate_keys_in_nested_objects_are_refused() -> None:
    assert "duplicate key 'x'" in refusal(b'{"data": {"x": 1, "x": 1}}')


def test_invalid_utf8_is_refused_with_the_byte_offset() -> None:
    assert "not valid UTF-8 (at byte 7)" in refusal(b'{"a": "\xff"}')


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    assert f"{constant} is not a JSON number" in refusal('{"a": ' + constant + "}")


def test_syntax_errors_give_a_position() -> None:
    assert "(line 1, column 7)" in refusal(b'{"a": }')


def test_nesting_just_under_the_limit_is_fine() -> None:
    raw = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_json(raw) is not None


def test_nesting_over_the_limit_is_refused() -> None:
    raw = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert "nested more than" in refusal(raw)


def test_nesting_beyond_the_interpreter_recursion_limit_is_refused() -> None:
    assert "nested more than" in refusal("[" * 100_000 + "]" * 100_000)


def test_a_huge_integer_is_refused() -> None:
    assert "too many digits" in refusal("1" * 5000)


def test_an_unpaired_surrogate_is_refused() -> None:
    assert "unpaired surrogate" in refusal(b'{"givenName": "\\ud800"}')


def test_an_unpaired_surrogate_in_a_key_is_refused() -> None:
    assert "unpaired surrogate" in refusal(b'{"\\udfff": 1}')


def test_a_bom_is_refused() -> None:
    assert "malformed JSON" in refusal("\ufeff{}".encode())
