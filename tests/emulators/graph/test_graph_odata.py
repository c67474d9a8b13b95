"""The $filter compiler on its own: the grammar Tapstart's queries and Graph's docs use."""

from __future__ import annotations

import pytest

from local.graph_emulator.errors import GraphError
from local.graph_emulator.odata import compile_filter, parse_select, parse_top

PROPS = {"name", "upn", "flag", "tags", "when", "n", "nested"}
ROWS = [
    {"name": "O'Brien", "upn": "ob@x.example", "flag": True, "tags": ["a", "b"],
     "when": "2025-01-02T00:00:00Z", "n": 3, "nested": {"id": "k1"}},
    {"name": "Ng", "upn": "ng@y.example", "flag": False, "tags": [],
     "when": "2024-06-01T12:00:00.1234567Z", "n": 10, "nested": None},
]  # fmt: skip


def matching(expression: str) -> list[str]:
    flt = compile_filter(expression, PROPS, "thing")
    return [row["name"] for row in ROWS if flt(row)]


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("name eq 'O''Brien'", ["O'Brien"]),
        ("name eq 'ng'", ["Ng"]),  # case-insensitive, as the directory compares
        ("flag eq false", ["Ng"]),
        ("not (flag eq true)", ["Ng"]),
        ("tags/any(t:t eq 'b')", ["O'Brien"]),
        ("tags/all(t:t eq 'a')", ["Ng"]),  # vacuously true on an empty list
        ("startswith(upn,'OB@')", ["O'Brien"]),
        ("endswith(upn,'y.example')", ["Ng"]),
        ("when ge 2025-01-01T00:00:00Z", ["O'Brien"]),
        ("when lt 2024-06-02", ["Ng"]),
        ("n gt 5 or name eq 'O''Brien'", ["O'Brien", "Ng"]),
        ("(n le 3 and flag eq true) or n eq 99", ["O'Brien"]),
        ("name in ('ng', 'nobody')", ["Ng"]),
        ("nested/id eq 'k1'", ["O'Brien"]),
        ("nested eq null", ["Ng"]),
    ],
)
def test_filter_semantics(expression: str, names: list[str]) -> None:
    assert matching(expression) == names


def test_operators_are_reported_for_advanced_query_rules() -> None:
    flt = compile_filter("upn ne 'a' and endswith(name,'x')", PROPS, "user")
    assert {"ne", "endswith"} <= flt.operators
    assert flt.advanced_property == "upn"


@pytest.mark.parametrize(
    "expression", ["shoe eq 1", "name eq", "name eq 'x' and", "name xx 'a'", "(name eq 'a'"]
)
def test_bad_filters_are_400(expression: str) -> None:
    with pytest.raises(GraphError) as caught:
        compile_filter(expression, PROPS, "thing")
    assert caught.value.status == 400


def test_select_and_top_validation() -> None:
    assert parse_select("name, upn", PROPS, "thing") == ["name", "upn"]
    with pytest.raises(GraphError):
        parse_select("name,shoe", PROPS, "thing")
    assert parse_top(None, 100, 999) == 100
    with pytest.raises(GraphError) as caught:
        parse_top("1000", 100, 999)
    assert caught.value.code == "Request_UnsupportedQuery"
