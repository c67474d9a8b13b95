"""The examples in examples/hr-events are what the docs show: each must be accepted as is."""

from pathlib import Path

from shared.intake.parse import parse_hr_request

from .helpers import NOW

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "hr-events"


def parse(name: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    payload = (EXAMPLES / name).read_bytes()
    return parse_hr_request(payload, headers, max_bytes=1 << 20, received_at=NOW)


def test_canonical_example() -> None:
    parsed = parse("canonical.json", {"Content-Type": "application/json"})
    assert parsed.events[0].event_id == "workday-hire-2026-000123"


def test_structured_cloudevent_example() -> None:
    parsed = parse("cloudevent-structured.json", {"Content-Type": "application/cloudevents+json"})
    assert parsed.events[0].event_id == "8f1c2a74-31c9-4c52-9d0e-0d6f6c1f0a01"


def test_binary_cloudevent_example() -> None:
    head, _, payload = (EXAMPLES / "cloudevent-binary.http").read_text().partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    parsed = parse_hr_request(payload.encode(), headers, max_bytes=1 << 20, received_at=NOW)
    assert parsed.format == "cloudevents-binary"
    assert parsed.events[0].event_id == "5d0c8a52-4a0e-4f3f-8c53-1c3f1b2f9e02"


def test_scim_example() -> None:
    parsed = parse("scim-bulk.json", {"Content-Type": "application/scim+json"})
    assert [e.event_id for e in parsed.events] == [
        "scim:701984:2026-12-01",
        "scim:701985:2026-12-14",
    ]
    # The inactive user is a withdrawal, skipped unless Tapstart is onboarding that person.
    assert [(c.event.employee_id, c.skipped.bulk_id) for c in parsed.cancels] == [
        ("701986", "701986")
    ]


def test_canonical_cancel_example() -> None:
    parsed = parse("canonical-cancelled.json", {"Content-Type": "application/json"})
    [event] = parsed.events
    assert (event.kind, event.employee_id, event.reason) == (
        "cancel",
        "E000123",
        "Candidate declined the offer",
    )


def test_cloudevent_cancel_example() -> None:
    parsed = parse("cloudevent-cancelled.json", {"Content-Type": "application/cloudevents+json"})
    [event] = parsed.events
    assert (event.kind, event.event_id) == ("cancel", "0b6e1d8c-2f4a-4d7e-9a51-6c2e3f4a5b03")


def test_scim_cancel_example() -> None:
    parsed = parse("scim-cancelled.json", {"Content-Type": "application/scim+json"})
    assert parsed.events == ()
    assert [(c.event.kind, c.event.employee_id, c.skipped.reason) for c in parsed.cancels] == [
        ("cancel", "701985", "inactive"),
        ("cancel", "701987", "not_onboarding"),
    ]
