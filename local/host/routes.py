"""Route templates as function_app.py writes them: literal segments and whole-segment `{name}`.

Literals match case-insensitively; a parameter matches one non-empty segment. The rest of ASP.NET
routing (constraints `{id:int}`, optional `{id?}`, defaults `{id=1}`, catch-alls `{*rest}`,
parameters inside a segment such as `{a}.{b}`) is not emulated: `compile_route` refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from local.host.settings import HostConfigError

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class RouteTemplate:
    template: str
    segments: tuple[tuple[str, bool], ...]  # (literal or parameter name, is_parameter)

    def match(self, path: str) -> dict[str, str] | None:
        """Route values for a path relative to the route prefix, or None."""
        trimmed = path.strip("/")
        parts = trimmed.split("/") if trimmed else []
        if len(parts) != len(self.segments):
            return None
        values = {}
        for part, (text, is_parameter) in zip(parts, self.segments, strict=True):
            if is_parameter and part:
                values[text] = part
            elif is_parameter or part.lower() != text.lower():
                return None
        return values

    @property
    def precedence(self) -> int:
        """Sort key: routes with more literal segments are tried first."""
        return -sum(1 for _, is_parameter in self.segments if not is_parameter)


def compile_route(template: str) -> RouteTemplate:
    segments = []
    for segment in (s for s in template.strip("/").split("/") if s):
        parameter = _PARAMETER.fullmatch(segment)
        if parameter is None and ("{" in segment or "}" in segment):
            raise HostConfigError(
                f"route {template!r}: segment {segment!r} is not emulated by the local host "
                "(literals and whole-segment {name} only: no constraint, optional, default, "
                "catch-all or partial-segment parameters)"
            )
        segments.append((parameter.group(1), True) if parameter else (segment, False))
    return RouteTemplate(template=template, segments=tuple(segments))
