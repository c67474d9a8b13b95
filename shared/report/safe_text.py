"""The report's one path for outside values into text, HTML and CSV.

Almost everything the digest names comes from outside Tapstart: display names, UPNs and methods
from the directory's registration report, joiner names from the HR feed, failure reasons from
the audit log, error details from Graph, group names in the doctor's findings. Anyone who can
edit a profile or an HR record controls them, so before they reach an output:

- `line` (the `line` and `sentence` filters of the report's templates, plain text and HTML
  alike): one line. Control characters (CR, LF, TAB, NEL and the rest of C0/C1, DEL), the
  Unicode line/paragraph separators and the bidi controls (embeddings, overrides, isolates,
  LRM/RLM/ALM) become a space, runs of spaces one space, and the value is capped. A display name
  "Eve\\nTOTAL enrolled: 100%" cannot forge a line of the plain-text digest, and "Bob\\u202egpj.exe"
  cannot read as "Bob exe.jpg". HTML escaping stays Jinja's autoescape; this comes before it.
- `csv_cell`: a cell of the per-user CSV. Bidi and control characters other than TAB/CR/LF
  become a space (TAB/CR/LF stay data: the CSV writer quotes them inside the cell), and a cell a
  spreadsheet would read as a formula gets a leading `'` (OWASP "CSV Injection").

The character class builds on `shared.rendering.safe_text`, which the template environments'
`finalize` hook applies to every value as a backstop; this module adds the bidi marks, the
length cap and the CSV rules.
"""

from __future__ import annotations

import re
import unicodedata

from shared.rendering.safe_text import neutralize

# Entra caps displayName at 256 characters; a UPN is shorter. Sentences (a doctor finding, a
# Graph error detail, an audit-log failure reason) get more room, but are still bounded.
NAME_CHARS = 256
SENTENCE_CHARS = 1000
ELLIPSIS = "\u2026"

# Bidi controls beyond those `neutralize` already catches (U+202A-U+202E, U+2066-U+2069): the
# marks LRM, RLM and ALM, which reorder neutral characters around them.
_BIDI_MARKS = re.compile("[\u061c\u200e\u200f]+")
_RUNS_OF_SPACES = re.compile(r" {2,}")
# Inside a CSV cell: what `neutralize` catches, except TAB/LF/CR (quoted, they stay in the cell).
_UNSAFE_IN_CELL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+"
)

# A cell starting with one of these (after leading blanks) is a formula or DDE call to Excel,
# LibreOffice or Google Sheets. Full-width and small forms too: some spreadsheets (and IMEs)
# fold them to ASCII.
FORMULA_TRIGGERS = frozenset(
    "=+-@|"  # ASCII
    "\uff1d\uff0b\uff0d\uff20\uff5c"  # full-width ＝ ＋ － ＠ ｜
    "\ufe66\ufe62\ufe63\ufe6b"  # small ﹦ ﹢ ﹣ ﹫
    "\u2212"  # minus sign
)
# A cell whose very first character is one of these gets the `'` whatever follows.
_LEADING_BREAKS = ("\t", "\r", "\n")


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def line(value: object, max_chars: int = NAME_CHARS) -> str:
    """`value` as one line of at most `max_chars` characters, safe for plain text and (once
    escaped) HTML. None is ""; other non-strings go through str()."""
    flat = _BIDI_MARKS.sub(" ", neutralize(_text(value)))
    flat = _RUNS_OF_SPACES.sub(" ", flat).strip()
    if len(flat) <= max_chars:
        return flat
    return flat[: max(max_chars - 1, 0)].rstrip() + ELLIPSIS


def sentence(value: object) -> str:
    """`line` with room for a sentence (findings, error details, failure reasons)."""
    return line(value, SENTENCE_CHARS)


def _blank(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def is_formula(value: str) -> bool:
    """Whether a spreadsheet could read the cell `value` as a formula."""
    if value.startswith(_LEADING_BREAKS):
        return True
    first = next((c for c in value if not _blank(c)), "")
    return first in FORMULA_TRIGGERS


def csv_cell(value: object) -> str:
    """A CSV cell: bidi/control characters (but TAB/CR/LF) spaced out, formulas quoted with `'`."""
    cell = _UNSAFE_IN_CELL.sub(" ", _text(value))
    return "'" + cell if cell and is_formula(cell) else cell
