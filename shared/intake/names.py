"""Names a sender chose (JSON keys, header names), made safe to quote in an answer or a log.

Refusals name the field and the problem but never echo a submitted value: an HR payload carries
personal data, and a misdirected secret must not bounce back into a log or a proxy cache.
Fields that start with "/" are JSON pointers into the body; other fields name a header.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_.:@$#+\-]")


def quote_name(name: str, limit: int = 40) -> str:
    """A submitted *name* (a JSON key, a header name) made safe to quote in a problem body.

    Names are not values, but they still come from the sender: keep them short and printable so
    that they cannot smuggle line breaks or markup into logs and answers.
    """
    return f"'{clean_name(name, limit)}'"


def clean_name(name: str, limit: int = 40) -> str:
    """*name* cut to *limit* characters, anything but a few safe ones replaced by '?'."""
    cleaned = _UNSAFE.sub("?", name[:limit])
    return cleaned + "…" if len(name) > limit else cleaned


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
