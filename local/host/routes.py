"""ASP.NET-style route templates, as the Functions host matches them.

Supported: literal segments (case-insensitive), `{name}`, optional `{name?}`, constraints
`{name:int}` (int, long, bool, guid, alpha; others accept any segment), defaults `{name=x}`
(treated as optional) and catch-all `{*rest}` / `{**rest}` as the last segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\{([^{}]+)\}")
_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?:true|false)",
    "guid": r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}",
    "alpha": r"[A-Za-z]+",
}


@dataclass(frozen=True)
class RouteTemplate:
    template: str
    pattern: re.Pattern[str]
    parameters: tuple[str, ...]
    literal_segments: int
    catch_all: bool
    _groups: dict[str, str] = field(default_factory=dict, compare=False)

    def match(self, path: str) -> dict[str, str] | None:
        """Route values for a path relative to the route prefix, or None."""
        found = self.pattern.match("/" + path.strip("/"))
        if found is None:
            return None
        return {
            name: value
            for group, name in self._groups.items()
            if (value := found.group(group)) is not None
        }

    @property
    def precedence(self) -> tuple[int, int, int]:
        """Sort key: more literal segments first, catch-alls last."""
        return (-self.literal_segments, int(self.catch_all), -len(self.parameters))


def compile_route(template: str) -> RouteTemplate:
    groups: dict[str, str] = {}
    pieces: list[str] = []
    literals = 0
    catch_all = False
    segments = [s for s in template.strip("/").split("/") if s]
    for position, segment in enumerate(segments):
        tokens = list(_TOKEN.finditer(segment))
        if not tokens:
            literals += 1
            pieces.append("/" + re.escape(segment))
            continue
        regex, optional, is_catch_all = _segment_regex(segment, tokens, groups)
        if is_catch_all and position != len(segments) - 1:
            raise ValueError(f"route {template!r}: a catch-all must be the last segment")
        catch_all = catch_all or is_catch_all
        pieces.append(f"(?:/{regex})?" if optional else "/" + regex)
    pattern = re.compile("^" + "".join(pieces) + "/?$", re.IGNORECASE)
    return RouteTemplate(
        template=template,
        pattern=pattern,
        parameters=tuple(groups.values()),
        literal_segments=literals,
        catch_all=catch_all,
        _groups=groups,
    )


def _segment_regex(
    segment: str, tokens: list[re.Match[str]], groups: dict[str, str]
) -> tuple[str, bool, bool]:
    regex = ""
    cursor = 0
    optional = False
    catch_all = False
    for token in tokens:
        regex += re.escape(segment[cursor : token.start()])
        cursor = token.end()
        body = token.group(1)
        group = f"p{len(groups)}"
        if body.startswith("*"):
            groups[group] = body.lstrip("*")
            catch_all = optional = True
            regex += f"(?P<{group}>.*)"
            continue
        name, _, constraint = body.partition(":")
        name, has_default, _ = name.partition("=")
        is_optional = body.endswith("?") or bool(has_default)
        name = name.rstrip("?")
        constraint = constraint.rstrip("?").split("(")[0].split(":")[0]
        groups[group] = name
        regex += f"(?P<{group}>{_CONSTRAINTS.get(constraint.lower(), '[^/]+')})"
        optional = is_optional and len(tokens) == 1 and segment == token.group(0)
    regex += re.escape(segment[cursor:])
    return regex, optional, catch_all
