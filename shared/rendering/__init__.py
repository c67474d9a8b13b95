"""Rendering for everything Tapstart writes to people: the emails and the admin report.

One place owns the safety of that output: the Jinja2 environments and their guards
(`templates`), the text filters (`safe_text`) and the branding both take from settings
(`brand`). See docs/emails.md, "Safety of the rendering".
"""

from shared.rendering.brand import DEFAULT_SUPPORT_CONTACT, Brand
from shared.rendering.safe_text import SUBJECT_MAX_CHARS, header_safe, neutralize, one_line
from shared.rendering.templates import RenderedEmail, TemplateFolder

__all__ = [
    "DEFAULT_SUPPORT_CONTACT",
    "SUBJECT_MAX_CHARS",
    "Brand",
    "RenderedEmail",
    "TemplateFolder",
    "header_safe",
    "neutralize",
    "one_line",
]
