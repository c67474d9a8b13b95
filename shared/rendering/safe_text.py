"""Text filters that keep outside values from changing the shape of what Tapstart writes.

Display names, group names and doctor findings come from the directory, where anyone who can
edit a profile controls them. Written into an email or the report they must stay one value:
a CR/LF or U+2028 could forge a line in a plain-text part ("Your pass: ..."), or a header,
and a bidi override (U+202E) can make "gpj.exe" read as "exe.jpg".
"""

from __future__ import annotations

import re

SUBJECT_MAX_CHARS = 200

# Control characters (CR/LF among them, and C1 such as NEL), the Unicode line and paragraph
# separators, and the bidi embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
# The same without TAB/LF/CR: in template-made HTML those are layout, not a forged line.
_UNSAFE_IN_MARKUP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+"
)
_RUNS_OF_SPACES = re.compile(r" {2,}")


def neutralize(value: str) -> str:
    """`value` with each run of unsafe characters turned into one space; other text untouched.

    Ordinary spaces are kept, so padded columns (`"%-40s" | format(...)`) stay aligned.
    """
    return _UNSAFE.sub(" ", value)


def neutralize_markup(value: str) -> str:
    """For trusted HTML: drops separators, bidi controls and stray control characters only."""
    return _UNSAFE_IN_MARKUP.sub(" ", value)


def one_line(value: str) -> str:
    """`value` as one tidy line: unsafe characters become spaces, runs of spaces one space."""
    return _RUNS_OF_SPACES.sub(" ", neutralize(value)).strip()


def header_safe(value: str) -> str:
    """A value fit for a header such as the subject: one line, no angle brackets, bounded."""
    return one_line(value.replace("<", " ").replace(">", " "))[:SUBJECT_MAX_CHARS].strip()
