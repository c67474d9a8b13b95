"""Strict JSON for HR bodies: UTF-8 only, no duplicate keys, no NaN, bounded nesting.

`json.loads` on its own keeps the last of two duplicate keys (so two parties can read one
document differently), accepts NaN/Infinity, lone surrogates that later fail to encode, and
nests until the interpreter's recursion limit. Each of those becomes a 400 naming the problem.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shared.domain.errors import InvalidEventError
from shared.intake.names import quote_name

MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class _RefusedJsonError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _RefusedJsonError(f"duplicate key {quote_name(key)} in a JSON object")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise _RefusedJsonError(f"{name} is not a JSON number")


def decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEventError(
            f"the body is not valid UTF-8 (at byte {exc.start}); JSON must be UTF-8 (RFC 8259)"
        ) from None


def load_json(body: bytes | str) -> Any:
    """Parse one JSON document strictly; raise InvalidEventError (400) naming the problem."""
    text = decode_utf8(body) if isinstance(body, bytes) else body
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except _RefusedJsonError as exc:
        raise InvalidEventError(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise InvalidEventError(
            f"malformed JSON: nested more than {MAX_DEPTH} levels deep"
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidEventError(
            f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError:
        # Python refuses integers longer than sys.get_int_max_str_digits() digits.
        raise InvalidEventError("malformed JSON: a number has too many digits") from None
    _check_shape(value)
    return value


def _check_shape(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth >= MAX_DEPTH:
            raise InvalidEventError(f"malformed JSON: nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    if _SURROGATE.search(text):
        raise InvalidEventError(
            "malformed JSON: a string holds an unpaired surrogate escape (\\ud800-\\udfff),"
            " which is not Unicode text"
        )
