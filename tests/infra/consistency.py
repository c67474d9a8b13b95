"""Pure checks that the code, the Bicep in infra/ and local.settings.example.json agree.

There is no Bicep compiler offline, so this reads Bicep text with a small tokenizer and a
structural reader that understands just enough of the language: object and array literals,
`var`/`param` declarations, `union(...)`, `items(...)` and `[for ... in ...]`. It answers two
questions: which app settings a template sets, and which queues, tables and blob containers it
creates. Anything it cannot resolve (a value only known at deployment) is left out, so a check
built on it fails closed: an unresolvable name counts as missing, never as present.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# --------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class Token:
    kind: str  # "ident" | "string" | "number" | "punct" | "newline"
    value: str  # identifier, punctuation, number, or a string's content
    start: int  # offsets into the source, for slicing a value's text
    end: int
    interpolated: bool = False  # a string with ${...}: its value is not a literal


class BicepSyntaxError(ValueError):
    """The text is not Bicep this reader can follow (unterminated string or comment)."""


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"\d+")
_OPERATORS = ("...", "==", "!=", ">=", "<=", "&&", "||", "??", "=>", ".?", "=~", "!~")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", "$": "$"}


def _scan_string(text: str, i: int) -> tuple[int, str, bool]:
    """Scan a '...' string starting at text[i] == "'"; return (end, content, interpolated)."""
    out: list[str] = []
    interpolated = False
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text):
                break
            nxt = text[i + 1]
            if nxt == "u" and text.startswith("{", i + 2):
                close = text.find("}", i + 3)
                out.append(chr(int(text[i + 3 : close], 16)))
                i = close + 1
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if ch == "'":
            return i + 1, "".join(out), interpolated
        if ch == "$" and text.startswith("{", i + 1):
            interpolated = True
            i = _scan_interpolation(text, i + 2)
            out.append("${…}")
            continue
        out.append(ch)
        i += 1
    raise BicepSyntaxError("unterminated string")


def _scan_interpolation(text: str, i: int) -> int:
    """Skip the expression of a ${...} (which may hold braces and strings); return after '}'."""
    depth = 1
    while i < len(text):
        ch = text[i]
        if ch == "'":
            i, _, _ = _scan_string(text, i)
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise BicepSyntaxError("unterminated string interpolation")


def tokenize(text: str) -> list[Token]:
    """Bicep tokens without comments; runs of line breaks become one "newline" token."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            if not tokens or tokens[-1].kind != "newline":
                tokens.append(Token("newline", "\n", i, i + 1))
            i += 1
        elif ch.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise BicepSyntaxError("unterminated block comment")
            i = end + 2
        elif text.startswith("'''", i):
            end = text.find("'''", i + 3)
            if end == -1:
                raise BicepSyntaxError("unterminated multi-line string")
            tokens.append(Token("string", text[i + 3 : end], i, end + 3))
            i = end + 3
        elif ch == "'":
            end, value, interpolated = _scan_string(text, i)
            tokens.append(Token("string", value, i, end, interpolated))
            i = end
        elif match := _IDENT.match(text, i):
            tokens.append(Token("ident", match.group(), i, match.end()))
            i = match.end()
        elif match := _NUMBER.match(text, i):
            tokens.append(Token("number", match.group(), i, match.end()))
            i = match.end()
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), ch)
            tokens.append(Token("punct", op, i, i + len(op)))
            i += len(op)
    return tokens


# --------------------------------------------------------------------------- structure

_OPENERS = {"{": "}", "[": "]", "(": ")"}
_CLOSERS = {"}", "]", ")"}


def _is(token: Token, value: str) -> bool:
    return token.kind in {"punct", "ident"} and token.value == value


def _matching(tokens: Sequence[Token], i: int) -> int:
    """Index of the bracket that closes tokens[i]."""
    depth = 0
    for j in range(i, len(tokens)):
        tok = tokens[j]
        if tok.kind == "punct" and tok.value in _OPENERS:
            depth += 1
        elif tok.kind == "punct" and tok.value in _CLOSERS:
            depth -= 1
            if depth == 0:
                return j
    raise BicepSyntaxError(f"unbalanced {tokens[i].value!r}")


def _expression_end(tokens: Sequence[Token], i: int) -> int:
    """End (exclusive) of the expression starting at i: a line break, ',' or closing bracket
    at its own nesting level."""
    depth = 0
    j = i
    while j < len(tokens):
        tok = tokens[j]
        if tok.kind == "punct" and tok.value in _OPENERS:
            depth += 1
        elif tok.kind == "punct" and tok.value in _CLOSERS:
            if depth == 0:
                return j
            depth -= 1
        elif depth == 0 and (tok.kind == "newline" or _is(tok, ",")):
            return j
        j += 1
    return j


def _strip(tokens: Sequence[Token]) -> Sequence[Token]:
    lo, hi = 0, len(tokens)
    while lo < hi and tokens[lo].kind == "newline":
        lo += 1
    while hi > lo and tokens[hi - 1].kind == "newline":
        hi -= 1
    return tokens[lo:hi]


def _object_entries(tokens: Sequence[Token]) -> list[tuple[str | None, Sequence[Token]]]:
    """(key, value tokens) of an object literal `{ ... }` (key None for a `...spread`)."""
    entries: list[tuple[str | None, Sequence[Token]]] = []
    i, end = 1, len(tokens) - 1
    while i < end:
        tok = tokens[i]
        if tok.kind == "newline" or _is(tok, ","):
            i += 1
            continue
        if _is(tok, "..."):
            stop = _expression_end(tokens, i + 1)
            entries.append((None, tokens[i + 1 : stop]))
            i = stop
            continue
        if tok.kind in {"ident", "string"} and i + 1 < end and _is(tokens[i + 1], ":"):
            stop = _expression_end(tokens, i + 2)
            key = None if tok.interpolated else tok.value
            entries.append((key, _strip(tokens[i + 2 : stop])))
            i = stop
            continue
        # Decorators on object members, or syntax this reader does not know: skip the line.
        i = _expression_end(tokens, i + 1)
    return entries


def _array_items(tokens: Sequence[Token]) -> list[Sequence[Token]]:
    """Item expressions of an array literal `[ ... ]` (not a for-expression)."""
    items: list[Sequence[Token]] = []
    i, end = 1, len(tokens) - 1
    while i < end:
        if tokens[i].kind == "newline" or _is(tokens[i], ","):
            i += 1
            continue
        stop = min(_expression_end(tokens, i), end)
        items.append(_strip(tokens[i:stop]))
        i = stop
    return items


def _is_wrapped(tokens: Sequence[Token], opener: str) -> bool:
    return bool(tokens) and _is(tokens[0], opener) and _matching(tokens, 0) == len(tokens) - 1


@dataclass(frozen=True)
class _ForExpression:
    variable: str
    source: Sequence[Token]
    body: Sequence[Token]


def _for_expression(tokens: Sequence[Token]) -> _ForExpression | None:
    """`[for x in source: body]` or `[for (x, i) in source: body]`."""
    inner = _strip(tokens[1:-1]) if _is_wrapped(tokens, "[") else ()
    if len(inner) < 4 or not _is(inner[0], "for"):
        return None
    names = [t.value for t in inner[1:] if t.kind == "ident"]
    in_at = next((k for k, t in enumerate(inner) if _is(t, "in")), None)
    if in_at is None or not names:
        return None
    colon = next(
        (
            k
            for k in range(in_at + 1, len(inner))
            if _is(inner[k], ":") and _depth_at(inner, k) == 0
        ),
        None,
    )
    if colon is None:
        return None
    return _ForExpression(names[0], _strip(inner[in_at + 1 : colon]), _strip(inner[colon + 1 :]))


def _depth_at(tokens: Sequence[Token], k: int) -> int:
    depth = 0
    for tok in tokens[:k]:
        if tok.kind == "punct" and tok.value in _OPENERS:
            depth += 1
        elif tok.kind == "punct" and tok.value in _CLOSERS:
            depth -= 1
    return depth


def _call_arguments(tokens: Sequence[Token], name: str) -> list[Sequence[Token]] | None:
    """Arguments of `name(a, b, ...)` when the tokens are exactly that call."""
    if len(tokens) < 3 or not _is(tokens[0], name) or not _is(tokens[1], "("):
        return None
    if _matching(tokens, 1) != len(tokens) - 1:
        return None
    args: list[Sequence[Token]] = []
    i = 2
    while i < len(tokens) - 1:
        if tokens[i].kind == "newline" or _is(tokens[i], ","):
            i += 1
            continue
        stop = min(_expression_end(tokens, i), len(tokens) - 1)
        args.append(_strip(tokens[i:stop]))
        i = stop
    return args


@dataclass(frozen=True)
class BicepFile:
    """One template: its tokens and the literal values of its `var`s and `param` defaults."""

    text: str
    tokens: Sequence[Token]
    symbols: Mapping[str, Sequence[Token]]

    @classmethod
    def parse(cls, text: str) -> BicepFile:
        tokens = tokenize(text)
        symbols: dict[str, Sequence[Token]] = {}
        for i, tok in enumerate(tokens):
            at_line_start = i == 0 or tokens[i - 1].kind == "newline"
            if not at_line_start or tok.kind != "ident" or i + 1 >= len(tokens):
                continue
            if tok.value == "var" and tokens[i + 1].kind == "ident":
                eq = i + 2
            elif tok.value == "param" and tokens[i + 1].kind == "ident":
                # `param name type = default`: only a default is a known value.
                eq = next(
                    (
                        k
                        for k in range(i + 2, len(tokens))
                        if tokens[k].kind == "newline" or _is(tokens[k], "=")
                    ),
                    len(tokens),
                )
            else:
                continue
            if eq < len(tokens) and _is(tokens[eq], "="):
                symbols[tokens[i + 1].value] = _strip(
                    tokens[eq + 1 : _expression_end(tokens, eq + 1)]
                )
        return cls(text, tokens, symbols)

    def source(self, tokens: Sequence[Token]) -> str:
        return self.text[tokens[0].start : tokens[-1].end] if tokens else ""

    def resolve(
        self, tokens: Sequence[Token], seen: frozenset[str] = frozenset()
    ) -> Sequence[Token]:
        """Follow a bare identifier to its var/param value (once per name, to stop cycles)."""
        tokens = _strip(tokens)
        while len(tokens) == 1 and tokens[0].kind == "ident" and tokens[0].value in self.symbols:
            if tokens[0].value in seen:
                break
            seen = seen | {tokens[0].value}
            tokens = self.symbols[tokens[0].value]
        return tokens

    def literal_strings(self, tokens: Sequence[Token]) -> list[str] | None:
        """The strings of a literal string array (possibly through vars), else None."""
        tokens = self.resolve(tokens)
        if not _is_wrapped(tokens, "["):
            return None
        values = []
        for item in _array_items(tokens):
            item = self.resolve(item)
            if len(item) != 1 or item[0].kind != "string" or item[0].interpolated:
                return None
            values.append(item[0].value)
        return values


# --------------------------------------------------------------------------- app settings

_APP_SETTINGS_KEYS = {"appsettings", "app_settings"}
_SITE_CONFIG_TYPE = "Microsoft.Web/sites/config"


def _settings_of(bicep: BicepFile, tokens: Sequence[Token], depth: int = 0) -> dict[str, str]:
    """Settings (name → value source) that an appSettings expression is known to contain."""
    if depth > 20:
        return {}
    tokens = bicep.resolve(tokens)
    if _is_wrapped(tokens, "{"):
        found: dict[str, str] = {}
        for key, value in _object_entries(tokens):
            if key is None:
                found.update(_settings_of(bicep, value, depth + 1))
            else:
                found[key] = bicep.source(value)
        return found
    if (args := _call_arguments(tokens, "union")) is not None:
        merged: dict[str, str] = {}
        for arg in args:
            merged.update(_settings_of(bicep, arg, depth + 1))
        return merged
    loop = _for_expression(tokens)
    if loop is not None:
        # `[for s in items(obj): { name: s.key, value: s.value }]` lists the object's settings.
        items_of = _call_arguments(loop.source, "items")
        if items_of is not None and len(items_of) == 1:
            return _settings_of(bicep, items_of[0], depth + 1)
        return {}
    if _is_wrapped(tokens, "["):
        # The siteConfig.appSettings form: [ { name: 'X', value: ... }, ... ]
        listed: dict[str, str] = {}
        for item in _array_items(tokens):
            item = bicep.resolve(item)
            if not _is_wrapped(item, "{"):
                continue
            entry = dict(_object_entries(item))
            name = bicep.resolve(entry.get("name", ()))
            if len(name) == 1 and name[0].kind == "string" and not name[0].interpolated:
                listed[name[0].value] = bicep.source(entry.get("value", ()))
        return listed
    return {}


def app_settings_in_bicep(text: str) -> dict[str, str]:
    """App settings a template sets: every `appSettings`/`app_settings` property or var, and
    the properties of a `Microsoft.Web/sites/config` resource named 'appsettings'.
    Values are the Bicep source of each value expression."""
    bicep = BicepFile.parse(text)
    found: dict[str, str] = {}
    toks = bicep.tokens
    for i, tok in enumerate(toks[:-1]):
        if (
            tok.kind == "ident"
            and tok.value.lower() in _APP_SETTINGS_KEYS
            and (_is(toks[i + 1], ":") or _is(toks[i + 1], "="))
        ):
            start = i + 2
            found.update(_settings_of(bicep, toks[start : _expression_end(toks, start)]))
    for resource in _resources(bicep):
        if resource.type.lower() == _SITE_CONFIG_TYPE.lower():
            body = dict(_object_entries(resource.body))
            name = bicep.resolve(body.get("name", ()))
            if (
                len(name) == 1
                and name[0].kind == "string"
                and name[0].value.lower() == "appsettings"
            ):
                found.update(_settings_of(bicep, body.get("properties", ())))
    return found


# --------------------------------------------------------------------------- storage resources

STORAGE_KINDS = {"queues": "queue", "tables": "table", "containers": "container"}


@dataclass(frozen=True)
class _Resource:
    symbol: str
    type: str  # without the @api-version
    body: Sequence[Token]  # the `{ ... }` object
    loop: _ForExpression | None
    api_version: str = ""


def _resources(bicep: BicepFile) -> list[_Resource]:
    """Resource declarations that create something (not `existing` references)."""
    toks = bicep.tokens
    found = []
    for i, tok in enumerate(toks):
        if not (_is(tok, "resource") and i + 3 < len(toks) and toks[i + 1].kind == "ident"):
            continue
        if toks[i + 2].kind != "string" or (i > 0 and toks[i - 1].kind not in {"newline"}):
            continue
        j = i + 3
        if _is(toks[j], "existing"):
            continue
        if not _is(toks[j], "="):
            continue
        j += 1
        if _is(toks[j], "if"):  # `if (condition) { ... }`
            j = _matching(toks, j + 1) + 1
        if j >= len(toks) or toks[j].kind != "punct" or toks[j].value not in {"{", "["}:
            continue
        expr = toks[j : _matching(toks, j) + 1]
        loop = _for_expression(expr) if toks[j].value == "[" else None
        body = expr
        if loop is not None:
            body = loop.body
            if body and _is(body[0], "if"):
                body = _strip(body[_matching(body, 1) + 1 :])
        if not _is_wrapped(body, "{"):
            continue
        kind, _, api_version = toks[i + 2].value.partition("@")
        found.append(_Resource(toks[i + 1].value, kind, body, loop, api_version))
    return found


def storage_names_in_bicep(text: str) -> dict[str, set[str]]:
    """Queues, tables and blob containers a template creates: {"queue": {...}, ...}.
    A name is counted only when it is a literal (directly, through vars/param defaults, or as
    the variable of a loop over a literal list)."""
    bicep = BicepFile.parse(text)
    names: dict[str, set[str]] = {kind: set() for kind in STORAGE_KINDS.values()}
    for resource in _resources(bicep):
        kind = STORAGE_KINDS.get(resource.type.rsplit("/", 1)[-1])
        if kind is None:
            continue
        name = bicep.resolve(dict(_object_entries(resource.body)).get("name", ()))
        if len(name) == 1 and name[0].kind == "string" and not name[0].interpolated:
            names[kind].add(name[0].value)
        elif (
            resource.loop is not None
            and len(name) == 1
            and name[0].kind == "ident"
            and name[0].value == resource.loop.variable
        ):
            names[kind].update(bicep.literal_strings(resource.loop.source) or [])
    return names


def merge_names(parts: Iterable[Mapping[str, set[str]]]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {kind: set() for kind in STORAGE_KINDS.values()}
    for part in parts:
        for kind, values in part.items():
            merged.setdefault(kind, set()).update(values)
    return merged


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Declared:
    """A resource a template creates: its type, API version and every field of its body, keyed
    by dotted path ("properties.disableLocalAuth") with the Bicep source of the value. Objects
    are followed into; arrays and other expressions are kept whole."""

    symbol: str
    type: str
    api_version: str
    fields: Mapping[str, str]
    looped: bool


def _flatten(
    bicep: BicepFile, tokens: Sequence[Token], prefix: str, out: dict[str, str]
) -> dict[str, str]:
    for key, value in _object_entries(tokens):
        if key is None:
            continue
        path = f"{prefix}{key}"
        if _is_wrapped(value, "{"):
            _flatten(bicep, value, f"{path}.", out)
        else:
            out[path] = bicep.source(value)
    return out


def resources_in_bicep(text: str) -> list[Declared]:
    """Every resource a template creates (not `existing` references), loops and conditions
    included."""
    bicep = BicepFile.parse(text)
    return [
        Declared(
            r.symbol, r.type, r.api_version, _flatten(bicep, r.body, "", {}), r.loop is not None
        )
        for r in _resources(bicep)
    ]


def api_versions_in_bicep(text: str) -> dict[str, set[str]]:
    """Resource type → the API versions a template names for it, `existing` references too."""
    versions: dict[str, set[str]] = {}
    toks = tokenize(text)
    for i, tok in enumerate(toks[:-2]):
        if _is(tok, "resource") and toks[i + 1].kind == "ident" and toks[i + 2].kind == "string":
            kind, _, version = toks[i + 2].value.partition("@")
            versions.setdefault(kind, set()).add(version)
    return versions


def declared_params(text: str) -> dict[str, bool]:
    """`param` declarations of a template: name → whether it has a default value."""
    toks = tokenize(text)
    params: dict[str, bool] = {}
    for i, tok in enumerate(toks[:-1]):
        at_line_start = i == 0 or toks[i - 1].kind == "newline"
        if at_line_start and _is(tok, "param") and toks[i + 1].kind == "ident":
            end = next((k for k in range(i + 2, len(toks)) if toks[k].kind == "newline"), len(toks))
            params[toks[i + 1].value] = any(_is(toks[k], "=") for k in range(i + 2, end))
    return params


@dataclass(frozen=True)
class ModuleCall:
    symbol: str
    path: str  # as written, relative to the calling template
    params: frozenset[str]


def module_calls(text: str) -> list[ModuleCall]:
    """`module x 'path' = [if (...)] { params: { ... } }`: which parameters each call passes."""
    bicep = BicepFile.parse(text)
    toks = bicep.tokens
    calls = []
    for i, tok in enumerate(toks[:-4]):
        if not (
            _is(tok, "module") and toks[i + 1].kind == "ident" and toks[i + 2].kind == "string"
        ):
            continue
        if not _is(toks[i + 3], "="):
            continue
        j = i + 4
        if _is(toks[j], "if"):
            j = _matching(toks, j + 1) + 1
        if not _is(toks[j], "{"):
            continue
        body = dict(_object_entries(toks[j : _matching(toks, j) + 1]))
        params = bicep.resolve(body.get("params", ()))
        names = {k for k, _ in _object_entries(params) if k} if _is_wrapped(params, "{") else set()
        calls.append(ModuleCall(toks[i + 1].value, toks[i + 2].value, frozenset(names)))
    return calls


# --------------------------------------------------------------------------- the code's side

_REFERENCE = re.compile(r"%([^%]+)%")
# The host reads every storage binding and its timers' locks through this connection by default.
DEFAULT_CONNECTION = "AzureWebJobsStorage"
_IDENTITY_SUFFIXES = (
    "accountName",
    "queueServiceUri",
    "blobServiceUri",
    "tableServiceUri",
    "serviceUri",
)
_STORAGE_SUFFIXES = {"_QUEUE": "queue", "_TABLE": "table", "_CONTAINER": "container"}


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def binding_setting_references(bindings: Iterable[Mapping[str, Any]]) -> set[str]:
    """Names referenced as %NAME% anywhere in the bindings JSON."""
    return {name for b in bindings for s in _strings(b) for name in _REFERENCE.findall(s)}


def binding_connections(bindings: Iterable[Mapping[str, Any]]) -> set[str]:
    """Connection names of storage bindings (and the host's own storage connection)."""
    connections = {DEFAULT_CONNECTION}
    for binding in bindings:
        if binding.get("connection"):
            connections.add(str(binding["connection"]))
    return connections


def connection_is_set(connection: str, settings: Iterable[str]) -> bool:
    """Set as a connection string (`<conn>`) or identity-based (`<conn>__accountName` / a
    service URI), the forms the host's StorageClientProvider accepts."""
    names = set(settings)
    return connection in names or any(f"{connection}__{s}" in names for s in _IDENTITY_SUFFIXES)


def identity_connection_is_complete(connection: str, settings: Iterable[str]) -> bool:
    """An identity-based connection with a user-assigned identity also needs the credential
    kind and the identity's client id."""
    names = set(settings)
    return {f"{connection}__credential", f"{connection}__clientId"} <= names


def missing_settings(
    required: Iterable[str], connections: Iterable[str], defined: Iterable[str]
) -> list[str]:
    """Required names (and connections, in any accepted form) that `defined` lacks."""
    names = set(defined)
    missing = {name for name in required if name not in names}
    missing |= {
        f"{c} (or {c}__accountName)" for c in connections if not connection_is_set(c, names)
    }
    return sorted(missing)


def resolve_references(value: str, settings: Mapping[str, str | None]) -> str | None:
    """`value` with %NAME% replaced by the setting's default; None if one has no default."""
    unresolved = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unresolved
        default = settings.get(match.group(1))
        if default is None:
            unresolved = True
            return ""
        return default

    resolved = _REFERENCE.sub(replace, value)
    return None if unresolved else resolved


def _with_poison(queue: str) -> set[str]:
    # The host makes no poison queue for a queue that already is one.
    return {queue} if queue.endswith("-poison") else {queue, f"{queue}-poison"}


def storage_names_used(
    setting_defaults: Mapping[str, str | None], bindings: Iterable[Mapping[str, Any]]
) -> dict[str, set[str]]:
    """Queues (with their poison queues), tables and containers the code uses by default:
    settings named *_QUEUE / *_TABLE / *_CONTAINER, and the bindings' queue/table/blob names."""
    used: dict[str, set[str]] = {kind: set() for kind in STORAGE_KINDS.values()}
    for env, default in setting_defaults.items():
        for suffix, kind in _STORAGE_SUFFIXES.items():
            if env.endswith(suffix) and default:
                used[kind] |= _with_poison(default) if kind == "queue" else {default}
    for binding in bindings:
        for key, kind in (("queueName", "queue"), ("tableName", "table"), ("path", "container")):
            raw = binding.get(key)
            if not isinstance(raw, str):
                continue
            name = resolve_references(raw, setting_defaults)
            if name is None:
                continue
            if kind == "container":
                name = name.split("/", 1)[0]
            if kind == "queue" and str(binding.get("type")) == "queueTrigger":
                used[kind] |= _with_poison(name)
            else:
                used[kind].add(name)
    return used


def missing_storage(used: Mapping[str, set[str]], created: Mapping[str, set[str]]) -> list[str]:
    """`kind name` for every used queue/table/container that is not created."""
    return sorted(
        f"{kind} {name}"
        for kind, names in used.items()
        for name in names - created.get(kind, set())
    )


def bicep_literal(value_source: str) -> str | None:
    """The value of a plain string literal `'...'` (no interpolation), else None."""
    tokens = tokenize(value_source)
    if len(tokens) == 1 and tokens[0].kind == "string" and not tokens[0].interpolated:
        return tokens[0].value
    return None
