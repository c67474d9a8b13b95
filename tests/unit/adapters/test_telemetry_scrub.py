"""Exported traces never carry a Graph query (the joiner's employee id is in the $filter)."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.adapters.telemetry_scrub import REDACTED, QueryScrubber, scrub_url

LOOKUP = "https://graph.microsoft.com/v1.0/users?$filter=employeeId%20eq%20%27E1101%27"


def test_the_query_string_goes_the_path_stays() -> None:
    assert scrub_url(LOOKUP) == f"https://graph.microsoft.com/v1.0/users?{REDACTED}"
    assert scrub_url("https://graph.microsoft.com/v1.0/$batch") == (
        "https://graph.microsoft.com/v1.0/$batch"
    )
    assert scrub_url("/users#E1101") == f"/users#{REDACTED}"


def test_a_span_is_scrubbed_before_any_exporter_sees_it() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(QueryScrubber())  # first, as configure_telemetry adds it
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")

    attributes = {"url.full": LOOKUP, "http.url": LOOKUP, "url.query": "$filter=E1101"}
    with tracer.start_as_current_span(f"GET {LOOKUP}", attributes=attributes):
        pass

    [span] = exporter.get_finished_spans()
    exported = str(dict(span.attributes or {})) + span.name
    assert "E1101" not in exported
    assert span.attributes is not None and span.attributes["url.query"] == REDACTED
