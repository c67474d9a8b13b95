"""The emails' template folder and what their templates get on top of the shared guards.

The environments, `finalize`, autoescaping and `StrictUndefined` are `shared.rendering`'s;
this module adds the emails' own helpers: `t(key, **values)` (the catalogue text, escaped in
HTML), `support_link` (a mailto: link when support is an address), and tidy plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from shared.emails.i18n import Catalogue
from shared.rendering import TemplateFolder, one_line

TEMPLATES = TemplateFolder(Path(__file__).parent / "templates")
_BLANK_LINES = re.compile(r"\n{3,}")


def _plain(value: object) -> object:
    return one_line(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def _html_translator(cat: Catalogue) -> Callable[..., Markup]:
    """`t(key, **values)` for HTML: the catalogue text escaped, values escaped unless Markup.

    Returning Markup lets a message carry a template-made link (the support mailto) while
    every value from the outside is still escaped, and made one line here because `finalize`
    sees only the finished Markup.
    """

    def t(key: str, /, **values: object) -> Markup:
        return escape(cat.messages[key]).format(**{k: _plain(v) for k, v in values.items()})

    return t


def _text_translator(cat: Catalogue) -> Callable[..., str]:
    """`t(key, **values)` for plain text: values made one line, as in HTML."""

    def t(key: str, /, **values: object) -> str:
        return cat.text(key, **{k: _plain(v) for k, v in values.items()})

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
    return TEMPLATES.render_html(name, full)


def render_text(name: str, context: Mapping[str, Any]) -> str:
    """Render `templates/<name>.txt.j2`, tidied: no trailing spaces, at most one blank line."""
    full = {**context, "t": _text_translator(context["cat"]), "support_link": context["support"]}
    text = TEMPLATES.render_text(name, full)
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"
