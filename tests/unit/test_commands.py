"""Queue commands: their wire format, its version, and refusals that name the problem."""

from __future__ import annotations

import json

import pytest

from shared.domain.commands import MalformedCommandError, OnboardJoiner, SendReminder


def test_commands_round_trip_through_their_wire_format_with_a_version() -> None:
    onboard, remind = OnboardJoiner("t-1"), SendReminder("t-2", 3)

    assert json.loads(onboard.to_json()) == {"v": 1, "trackingId": "t-1"}
    assert json.loads(remind.to_json()) == {"v": 1, "trackingId": "t-2", "slot": 3}
    assert OnboardJoiner.from_json(onboard.to_json()) == onboard
    assert SendReminder.from_json(remind.to_json().encode()) == remind


def test_messages_of_earlier_releases_read_as_version_1() -> None:
    assert OnboardJoiner.from_json('{"trackingId": "t-1"}') == OnboardJoiner("t-1")
    legacy = '{"trackingId": "t-2", "slot": "2", "idempotencyKey": "t-2:2"}'
    assert SendReminder.from_json(legacy) == SendReminder("t-2", 2)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xff\xfe", "not JSON"),
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"v": 2, "trackingId": "t"}', "unknown message version"),
        ('{"v": true, "trackingId": "t"}', "unknown message version"),
        ("{}", "trackingId"),
        ('{"trackingId": 7}', "trackingId"),
        ('{"trackingId": "  "}', "trackingId"),
        ('{"trackingId": "' + "x" * 201 + '"}', "trackingId"),
    ],
)
def test_malformed_onboarding_messages_are_refused_with_a_reason(
    body: bytes | str, problem: str
) -> None:
    with pytest.raises(MalformedCommandError) as caught:
        OnboardJoiner.from_json(body)
    assert problem in caught.value.reason


@pytest.mark.parametrize("slot", [None, 0, 101, "x", True, 2.5])
def test_a_reminder_needs_a_whole_slot_from_1_to_100(slot: object) -> None:
    body = json.dumps({"trackingId": "t", **({} if slot is None else {"slot": slot})})
    with pytest.raises(MalformedCommandError) as caught:
        SendReminder.from_json(body)
    assert "slot" in caught.value.reason
