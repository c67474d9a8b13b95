"""The two Jinja2 environments every email is rendered with.

HTML is autoescaped: a joiner's name such as `<b>Eve</b>` arrives as text, never as markup.
The plain-text part is not escaped (entities would show literally), but both environments pass
every interpolated value through `one_line`, so a value carrying CR/LF cannot forge extra lines
(in the text part: a fake "Your pass:" line; anywhere near a header: a header injection).
Subjects go through `header_safe`, which also drops angle brackets.
`StrictUndefined` turns a missing template variable into an error instead of a blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from shared.emails.i18n import Catalogue

TEMPLATES_DIR = Path(__file__).parent / "templates"
SUBJECT_MAX_CHARS = 200

# Control characters (CR/LF among them), Unicode line/paragraph separators and the bidi
# overrides that can make "gpj.exe" read as "exe.jpg".
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_RUNS_OF_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")


def one_line(value: str) -> str:
    """`value` with line breaks and other control characters turned into single spaces."""
    return _RUNS_OF_SPACES.sub(" ", _UNSAFE.sub(" ", value)).strip()


def header_safe(value: str) -> str:
    """A value fit for a header such as the subject: one line, no angle brackets, bounded."""
    return one_line(value.replace("<", " ").replace(">", " "))[:SUBJECT_MAX_CHARS].strip()


def _finalize(value: Any) -> Any:
    # Markup is template-made (trusted); only plain strings come from the outside.
    if isinstance(value, str) and not isinstance(value, Markup):
        return one_line(value)
    return value


def _environment(*, autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=autoescape,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


HTML_ENV = _environment(autoescape=True)
TEXT_ENV = _environment(autoescape=False)


def _plain(value: object) -> object:
    return one_line(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def _html_translator(cat: Catalogue) -> Callable[..., Markup]:
    """`t(key, **values)` for HTML: the catalogue text escaped, values escaped unless Markup.

    Returning Markup lets a message carry a template-made link (the support mailto) while
    every value from the outside is still escaped.
    """

    def t(key: str, /, **values: object) -> Markup:
        return escape(cat.messages[key]).format(**{k: _plain(v) for k, v in values.items()})

    return t


def _support_link(context: Mapping[str, Any]) -> object:
    address = context.get("support_email")
    if not address:
        return context["support"]
    style = context["style"]["link"]
    return Markup('<a href="mailto:{0}" style="{1}">{0}</a>').format(address, style)


def render_html(name: str, context: Mapping[str, Any]) -> str:
    """Render `templates/<name>.html.j2`; `context` must hold `cat` (the Catalogue)."""
    full = {
        **context,
        "t": _html_translator(context["cat"]),
        "support_link": _support_link(context),
    }
    return HTML_ENV.get_template(f"{name}.html.j2").render(full)


def render_text(name: str, context: Mapping[str, Any]) -> str:
    """Render `templates/<name>.txt.j2`, tidied: no trailing spaces, at most one blank line."""
    full = {**context, "t": context["cat"].text, "support_link": context["support"]}
    text = TEXT_ENV.get_template(f"{name}.txt.j2").render(full)
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"
