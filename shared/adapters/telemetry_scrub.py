"""Keep personal data out of exported traces: the query string of every outgoing URL goes.

Graph lookups carry the joiner in the query (`/users?$filter=employeeId eq 'E1101'`), and the
Azure Monitor distro's HTTP instrumentations export full URLs as dependency telemetry. A span
processor rewrites those attributes when the span starts, before any exporter sees it; paths
keep their shape (`/v1.0/users`), object ids in paths are opaque GUIDs.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor

# Semantic-convention names, old and new, that hold a URL or its query.
URL_ATTRIBUTES = ("url.full", "http.url", "http.target", "url.query")
REDACTED = "[redacted]"


def scrub_url(value: str) -> str:
    """The URL with its query string (and fragment) replaced."""
    for mark in ("?", "#"):
        head, found, _ = value.partition(mark)
        if found:
            return f"{head}{mark}{REDACTED}"
    return value


class QueryScrubber(SpanProcessor):
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:  # noqa: ARG002
        attributes: Any = span.attributes or {}
        for key in URL_ATTRIBUTES:
            value = attributes.get(key)
            if isinstance(value, str):
                span.set_attribute(key, REDACTED if key == "url.query" else scrub_url(value))
        if "?" in span.name:
            span.update_name(scrub_url(span.name))
