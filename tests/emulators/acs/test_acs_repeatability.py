"""Repeatable requests (Repeatability-Request-Id, Repeatability-First-Sent) on the send API.

As Learn "Repeatability of requests" documents them for the Email Send API: a repeat within
5 minutes that matches the first request gets the first answer and sends nothing; a 5xx first
answer is carried out again; a mismatch is a 400; a first-sent time outside the window a 412.
The old emulator ignored the headers: every repeat was another email.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from azure.core.rest import HttpRequest, HttpResponse

from local.acs_email_emulator import Fault
from tests.fixtures.acs import AcsEmulator


def message(acs: AcsEmulator, to: str = "someone@contoso.example") -> dict[str, Any]:
    return {
        "senderAddress": acs.sender,
        "recipients": {"to": [{"address": to}]},
        "content": {"subject": "Hello", "plainText": "Hi"},
    }


def send(
    acs: AcsEmulator,
    body: dict[str, Any],
    request_id: str,
    first_sent: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    repeatability = {
        "Repeatability-Request-Id": request_id,
        "Repeatability-First-Sent": format_datetime(first_sent or datetime.now(UTC), usegmt=True),
    }
    client = acs.email_client(retry_total=0)
    return client.send_request(
        HttpRequest(
            "POST",
            "/emails:send?api-version=2025-09-01",
            content=json.dumps(body),
            headers={"Content-Type": "application/json", **repeatability, **(headers or {})},
        )
    )


def test_a_matching_repeat_gets_the_first_answer_and_sends_nothing(acs: AcsEmulator) -> None:
    request_id, first_sent = str(uuid.uuid4()), datetime.now(UTC)

    first = send(acs, message(acs), request_id, first_sent)
    again = send(acs, message(acs), request_id, first_sent)

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert first.headers["Repeatability-Result"] == again.headers["Repeatability-Result"]
    assert again.headers["Repeatability-Result"] == "accepted"
    assert again.headers["operation-id"] == first.headers["operation-id"]
    assert len(acs.control.messages()) == 1


def test_a_repeat_that_does_not_match_is_a_400(acs: AcsEmulator) -> None:
    request_id = str(uuid.uuid4())
    send(acs, message(acs), request_id)

    other = send(acs, message(acs, to="else@contoso.example"), request_id)

    assert other.status_code == 400
    assert other.headers["Repeatability-Result"] == "rejected"
    assert len(acs.control.messages()) == 1


def test_a_first_sent_time_outside_five_minutes_is_a_412(acs: AcsEmulator) -> None:
    old = datetime.now(UTC) - timedelta(minutes=5, seconds=5)
    response = send(acs, message(acs), str(uuid.uuid4()), old)
    assert response.status_code == 412
    assert response.headers["Repeatability-Result"] == "rejected"
    assert "5 minutes" in response.json()["error"]["message"]
    assert acs.control.messages() == []


def test_a_repeat_after_the_window_is_refused_not_sent_again(acs: AcsEmulator) -> None:
    request_id, first_sent = str(uuid.uuid4()), datetime.now(UTC)
    send(acs, message(acs), request_id, first_sent)
    acs.control.advance_clock(5 * 60 + 1)
    assert send(acs, message(acs), request_id, first_sent).status_code == 412
    assert len(acs.control.messages()) == 1


def test_a_4xx_first_answer_is_the_answer_to_its_repeats(acs: AcsEmulator) -> None:
    request_id, first_sent = str(uuid.uuid4()), datetime.now(UTC)
    bad = message(acs, to="a..b@contoso.example")

    first = send(acs, bad, request_id, first_sent)
    again = send(acs, bad, request_id, first_sent)

    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again.json()["error"]["code"] == "InvalidEmailAddress"


def test_a_5xx_first_answer_is_carried_out_again(acs: AcsEmulator) -> None:
    acs.control.set_faults(Fault(status=503, count=1))
    request_id, first_sent = str(uuid.uuid4()), datetime.now(UTC)

    assert send(acs, message(acs), request_id, first_sent).status_code == 503
    again = send(acs, message(acs), request_id, first_sent)

    assert again.status_code == 202
    assert len(acs.control.messages()) == 1


@pytest.mark.parametrize(
    ("request_id", "first_sent_header"),
    [("not-a-guid", None), (str(uuid.uuid4()), "yesterday-ish")],
)
def test_malformed_repeatability_headers_are_a_400(
    acs: AcsEmulator, request_id: str, first_sent_header: str | None
) -> None:
    headers = {}
    if first_sent_header is not None:
        headers["Repeatability-First-Sent"] = first_sent_header
    response = send(acs, message(acs), request_id, headers=headers)
    assert response.status_code == 400
    assert response.headers["Repeatability-Result"] == "rejected"
    assert acs.control.messages() == []
