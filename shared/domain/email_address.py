"""Whether an address can be handed to the mail service: checked before anything depends on it.

A recipient the mail service refuses must be found before a TAP is minted for it, not by the
send that follows (which would leave a pass behind and, on a retry, mint another). The rule is
deliberately narrower than RFC 5322 and matches what ACS Email is known to refuse
(docs/acs-email-emulator.md, "Addresses"): an ASCII dot-atom local part (no leading, trailing or
doubled dot, no quoted strings, no comments), an `@`, and a domain of two or more LDH labels;
at most 64 characters before the `@` and 254 in all (RFC 5321 §4.5.3.1). Internationalised
addresses (RFC 6531, `jörg@example.org`) are refused: ACS does not document accepting them.
"""

from __future__ import annotations

import re

# RFC 5322 §3.2.3 atext, ASCII only.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
# RFC 1035 labels: letters, digits, inner hyphens, 1-63 characters.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")

MAX_LOCAL = 64
MAX_ADDRESS = 254


def address_problem(value: str) -> str | None:
    """Why `value` is not a deliverable address (no part of the address in the text); None: it is."""
    if not value.isascii():
        return "non-ASCII characters"
    if any(c.isspace() for c in value):
        return "white space"
    if value.count("@") != 1:
        return "not exactly one @"
    local, domain = value.split("@")
    if not local or not domain:
        return "an empty part before or after the @"
    if len(local) > MAX_LOCAL or len(value) > MAX_ADDRESS:
        return "too long"
    if not _LOCAL.fullmatch(local):
        return "a local part with a leading, trailing or doubled dot or a special character"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return "not a domain name"
    if labels[-1].isdigit():
        return "not a domain name"
    return None


def is_deliverable(value: str | None) -> bool:
    return value is not None and address_problem(value) is None
