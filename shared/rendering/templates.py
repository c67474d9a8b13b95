"""Jinja2 environments for a template folder, with the guards every email and report shares.

One `TemplateFolder` per folder (`shared/emails/templates`, `shared/report/templates`) holds two
environments over the same files, `<name>.html.j2` and `<name>.txt.j2`:

- HTML is autoescaped: a display name such as `<b>Eve</b>` arrives as text, never as markup.
  The text environment is not escaped (entities would show literally).
- Both pass every interpolated value through `neutralize` (the `finalize` hook), so a value
  carrying CR/LF, U+2028 or a bidi override cannot forge a line or flip the text around it.
  Markup (template-made: macros, `join` in HTML) keeps its line breaks but loses the rest.
- `StrictUndefined` turns a missing variable into an error instead of a blank.
- `render` puts the subject through `header_safe`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined
from markupsafe import Markup

from shared.rendering.safe_text import header_safe, neutralize, neutralize_markup


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def _finalize(value: Any) -> Any:
    if isinstance(value, Undefined):
        return value  # StrictUndefined raises when it is printed
    if isinstance(value, Markup):
        return Markup(neutralize_markup(value))
    if hasattr(value, "__html__"):
        return value  # another trusted-HTML type; nothing from outside arrives as one
    # Not only str: an object's str() (an enum, a dataclass) may carry outside text too.
    return neutralize(value if isinstance(value, str) else str(value))


def _environment(
    folder: Path, *, autoescape: bool, filters: Mapping[str, Callable[..., Any]]
) -> Environment:
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=autoescape,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(filters)
    return env


class TemplateFolder:
    """The HTML and plain-text environments over one folder; `filters` are added to both."""

    def __init__(
        self, folder: Path, *, filters: Mapping[str, Callable[..., Any]] | None = None
    ) -> None:
        self.html_env = _environment(folder, autoescape=True, filters=filters or {})
        self.text_env = _environment(folder, autoescape=False, filters=filters or {})

    def render_html(self, name: str, context: Mapping[str, Any]) -> str:
        """`<name>.html.j2`, autoescaped."""
        return self.html_env.get_template(f"{name}.html.j2").render(context)

    def render_text(self, name: str, context: Mapping[str, Any]) -> str:
        """`<name>.txt.j2`, not escaped."""
        return self.text_env.get_template(f"{name}.txt.j2").render(context)

    def render(self, name: str, *, subject: str, context: Mapping[str, Any]) -> RenderedEmail:
        """Both parts of `name` from one context, and the subject made header-safe."""
        return RenderedEmail(
            subject=header_safe(subject),
            html=self.render_html(name, context),
            text=self.render_text(name, context),
        )
