"""OData query options as Graph applies them: ``$filter`` (a small compiler), ``$select``, ``$top``.

A filter compiles once into a predicate over a row's JSON dict, so evaluating it across a
100,000-user report costs one Python call per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import parse_datetime
from .errors import GraphError, bad_request

Row = dict[str, Any]
Getter = Callable[[Row, Any], Any]
Predicate = Callable[[Row, Any], bool]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<dt>\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<punct>[(),:])
    | (?P<name>[A-Za-z_@$][\w@./$]*)
    )""",
    re.VERBOSE,
)
_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
# Operators that make a directory query "advanced" (ConsistencyLevel: eventual + $count=true).
ADVANCED_OPERATORS = frozenset({"ne", "not", "endswith", "eq null"})


class _Literal:
    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass
class CompiledFilter:
    predicate: Predicate
    operators: set[str] = field(default_factory=set)
    advanced_property: str | None = None

    def __call__(self, row: Row) -> bool:
        return self.predicate(row, None)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise bad_request(f"Invalid filter clause: syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(right, datetime) and isinstance(left, str):
        left = parse_datetime(left)
    left, right = _fold(left), _fold(right)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool(
            {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
        )
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str, properties: Collection[str], type_name: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.properties = properties
        self.type_name = type_name
        self.lambda_vars: list[str] = []
        self.operators: set[str] = set()
        self.advanced_property: str | None = None

    def note(self, operator: str, prop: str | None) -> None:
        self.operators.add(operator)
        if operator in ADVANCED_OPERATORS and self.advanced_property is None:
            self.advanced_property = prop or ""

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise bad_request("Invalid filter clause: unexpected end of expression.")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        _kind, text = self.take()
        if text.lower() != value:
            raise bad_request(f"Invalid filter clause: expected '{value}' but found '{text}'.")

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "name" and token[1].lower() == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.peek() is not None:
            raise bad_request(f"Invalid filter clause: unexpected '{self.peek()[1]}'.")  # type: ignore[index]
        return pred

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.keyword("or"):
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda row, el: any(p(row, el) for p in parts)

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while self.keyword("and"):
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda row, el: all(p(row, el) for p in parts)

    def unary(self) -> Predicate:
        if self.keyword("not"):
            self.note("not", None)
            inner = self.unary()
            return lambda row, el: not inner(row, el)
        token = self.peek()
        if token and token[1] == "(":
            self.pos += 1
            inner = self.or_expr()
            self.expect(")")
            return inner
        return self.comparison()

    def getter(self, path: str) -> Getter:
        head, _, rest = path.partition("/")
        if head in self.lambda_vars:
            keys = rest.split("/") if rest else []
            return lambda _row, el: _dig(el, keys)
        if head not in self.properties:
            raise bad_request(
                f"Could not find a property named '{head}' on type 'microsoft.graph.{self.type_name}'."
            )
        keys = path.split("/")
        if len(keys) == 1:
            return lambda row, _el: row.get(head)
        return lambda row, _el: _dig(row, keys)

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "dt":
            return parse_datetime(text) if "T" in text else parse_datetime(text + "T00:00:00Z")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "name" and text.lower() in {"true", "false", "null"}:
            return {"true": True, "false": False, "null": None}[text.lower()]
        raise bad_request(f"Invalid filter clause: '{text}' is not a literal.")

    def comparison(self) -> Predicate:
        kind, name = self.take()
        if kind != "name":
            raise bad_request(f"Invalid filter clause: unexpected '{name}'.")
        lowered = name.lower()
        if lowered in {"startswith", "endswith", "contains"} and self.peek() == ("punct", "("):
            return self.function(lowered)
        if lowered.endswith(("/any", "/all")):
            return self.lambda_expr(name)
        get = self.getter(name)
        if self.keyword("in"):
            self.expect("(")
            options = [self.literal()]
            while self.peek() == ("punct", ","):
                self.pos += 1
                options.append(self.literal())
            self.expect(")")
            folded = {_fold(o) for o in options}
            return lambda row, el: _fold(get(row, el)) in folded
        op_token = self.take()
        op = op_token[1].lower()
        if op not in _COMPARISONS:
            raise bad_request(f"Invalid filter clause: unsupported operator '{op_token[1]}'.")
        value = self.literal()
        self.note("eq null" if op == "eq" and value is None else op, name)
        return lambda row, el: _compare(op, get(row, el), value)

    def function(self, name: str) -> Predicate:
        self.expect("(")
        _, path = self.take()
        get = self.getter(path)
        self.expect(",")
        needle = self.literal()
        self.expect(")")
        self.note(name, path)
        if not isinstance(needle, str):
            raise bad_request(f"Invalid filter clause: {name} needs a string.")
        needle = needle.casefold()

        def check(row: Row, el: Any) -> bool:
            value = get(row, el)
            if not isinstance(value, str):
                return False
            value = value.casefold()
            if name == "startswith":
                return value.startswith(needle)
            if name == "endswith":
                return value.endswith(needle)
            return needle in value

        return check

    def lambda_expr(self, name: str) -> Predicate:
        path, _, quantifier = name.rpartition("/")
        get = self.getter(path)
        self.expect("(")
        _, var = self.take()
        self.expect(":")
        self.lambda_vars.append(var)
        body = self.or_expr()
        self.lambda_vars.pop()
        self.expect(")")
        self.operators.add(quantifier.lower())
        every = quantifier.lower() == "all"

        def check(row: Row, el: Any) -> bool:
            items = get(row, el) or []
            results = (body(row, item) for item in items)
            return all(results) if every else any(results)

        return check


def _dig(value: Any, keys: list[str]) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def compile_filter(text: str, properties: Collection[str], type_name: str) -> CompiledFilter:
    parser = _Parser(text, properties, type_name)
    predicate = parser.parse()
    return CompiledFilter(predicate, parser.operators, parser.advanced_property)


def parse_select(text: str | None, properties: Collection[str], type_name: str) -> list[str] | None:
    if not text:
        return None
    selected = [p.strip() for p in text.split(",") if p.strip()]
    for prop in selected:
        if prop not in properties:
            raise bad_request(
                "Parsing OData Select and Expand failed: Could not find a property named "
                f"'{prop}' on type 'microsoft.graph.{type_name}'."
            )
    return selected


def project(row: Row, selected: list[str] | None, default: Collection[str] | None = None) -> Row:
    keys = selected if selected is not None else default
    if keys is None:
        return dict(row)
    return {k: row.get(k) for k in keys}


def eventual(headers: Mapping[str, str]) -> bool:
    """The request asked for eventual consistency (``ConsistencyLevel: eventual``)."""
    return headers.get("ConsistencyLevel", "").strip().lower() == "eventual"


def advanced_query(headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    """Graph's *advanced query* on directory objects: ``ConsistencyLevel: eventual`` **and**
    ``$count=true``. Without the header, ``$count=true`` is silently ignored (no
    ``@odata.count``, no error); ``$search`` needs only the header (Graph v1.0 "Advanced query
    capabilities on directory objects", error handling section)."""
    return eventual(headers) and query.get("$count", "").strip().lower() == "true"


def parse_top(text: str | None, default: int, maximum: int) -> int:
    if text is None:
        return default
    try:
        top = int(text)
    except ValueError:
        raise bad_request(f"Invalid page size specified: '{text}'.") from None
    if top < 1 or top > maximum:
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            f"Invalid page size specified: '{top}'. Must be between 1 and {maximum} inclusive.",
        )
    return top


def parse_orderby(text: str | None, allowed: Collection[str]) -> list[tuple[str, bool]]:
    """``[(property, descending)]``; only properties Graph can sort on for the resource."""
    if not text:
        return []
    order: list[tuple[str, bool]] = []
    for part in text.split(","):
        bits = part.split()
        if not bits:
            continue
        if bits[0] not in allowed:
            raise GraphError(
                400,
                "Request_UnsupportedQuery",
                f"Sorting on property '{bits[0]}' is not supported.",
            )
        order.append((bits[0], len(bits) > 1 and bits[1].lower() == "desc"))
    return order
