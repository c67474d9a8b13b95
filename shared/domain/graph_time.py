"""Graph timestamps: ISO 8601 in UTC with up to 7 fractional digits (Python reads 6)."""

from __future__ import annotations

from datetime import datetime


def parse_graph_time(value: str | None) -> datetime | None:
    if not value:
        return None
    head, _, rest = value.strip().rstrip("Z").partition(".")
    head = head.split("+")[0]
    frac = "".join(ch for ch in rest.split("+")[0] if ch.isdigit())[:6]
    try:
        return datetime.fromisoformat(f"{head}.{frac or '0'}+00:00")
    except ValueError:
        return None
