"""Sending through the real azure-communication-email SDK: outbox, status, suppression, ids."""

from __future__ import annotations

import base64
import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from tests.fixtures.acs import AcsEmulator

PDF = b"%PDF-1.4 tiny but binary \x00\x01\x02\xff"


def message(acs: AcsEmulator, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "senderAddress": acs.sender,
        "recipients": {
            "to": [{"address": "manager@contoso.example", "displayName": "Ada Manager"}],
            "cc": [{"address": "hr@contoso.example"}],
            "bcc": [{"address": "audit@contoso.example"}],
        },
        "content": {
            "subject": "Welcome, Zoë",
            "plainText": "Your access pass is in the HTML part.",
            "html": "<p>Hello <b>Zoë</b></p>",
        },
        "attachments": [
            {
                "name": "guide.pdf",
                "contentType": "application/pdf",
                "contentInBase64": base64.b64encode(PDF).decode(),
            }
        ],
        "headers": {"X-Tapstart-Joiner": "E1001"},
    }
    body.update(overrides)
    return body


def test_send_completes_and_lands_in_outbox_as_valid_mime(acs: AcsEmulator) -> None:
    client = acs.email_client()

    result = client.begin_send(message(acs), operation_id="op-welcome-1").result()

    assert result == {"id": "op-welcome-1", "status": "Succeeded"}
    [record] = acs.control.messages()
    assert record["operationId"] == "op-welcome-1"
    assert record["status"] == "Succeeded"
    assert record["to"] == [{"address": "manager@contoso.example", "displayName": "Ada Manager"}]
    assert record["bcc"] == [{"address": "audit@contoso.example", "displayName": None}]
    assert record["attachments"][0]["size"] == len(PDF)

    [eml_path] = acs.outbox_dir.glob("*.eml")
    assert eml_path.name.endswith(f"-{record['id']}.eml")
    assert (acs.outbox_dir / eml_path.name.replace(".eml", ".json")).is_file()
    parsed = message_from_bytes(eml_path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/mixed"
    assert str(parsed["Subject"]) == "Welcome, Zoë"
    assert str(parsed["To"]) == "Ada Manager <manager@contoso.example>"
    assert str(parsed["Cc"]) == "hr@contoso.example"
    assert parsed["X-Tapstart-Joiner"] == "E1001"
    body, attachment = parsed.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    text, html = body.iter_parts()
    assert text.get_content().strip() == "Your access pass is in the HTML part."
    assert html.get_content_type() == "text/html"
    assert "<b>Zoë</b>" in html.get_content()
    assert attachment.get_filename() == "guide.pdf"
    assert attachment.get_payload(decode=True) == PDF
    assert acs.control.attachment(record["id"], 0) == PDF


def test_status_moves_from_running_to_succeeded(acs: AcsEmulator) -> None:
    client = acs.email_client()
    poller = client.begin_send(message(acs), operation_id="op-status", polling=False)
    assert poller.done()  # fire-and-forget returns at once: no status quota used

    def status() -> dict[str, Any]:
        response = client.send_request(
            HttpRequest("GET", "/emails/operations/op-status?api-version=2025-09-01")
        )
        response.raise_for_status()
        return {"body": response.json(), "retry-after": response.headers.get("retry-after")}

    first = status()
    assert first == {"body": {"id": "op-status", "status": "Running"}, "retry-after": "1"}
    assert acs.control.messages()[0]["status"] == "Running"
    acs.control.advance_clock(1)
    assert status() == {"body": {"id": "op-status", "status": "Succeeded"}, "retry-after": None}
    assert acs.control.requests() == {"send": {"202": 1}, "status": {"200": 2}}


def test_send_answers_202_with_lro_headers(acs: AcsEmulator) -> None:
    client = acs.email_client()
    raw = json.dumps(message(acs)).encode()
    response = client.send_request(
        HttpRequest(
            "POST",
            "/emails:send?api-version=2023-03-31",
            content=raw.decode(),
            headers={"Content-Type": "application/json", "Operation-Id": "op-raw"},
        )
    )
    assert response.status_code == 202
    assert response.headers["operation-id"] == "op-raw"
    assert response.headers["retry-after"] == "1"
    assert response.headers["Operation-Location"] == (
        f"{acs.endpoint}/emails/operations/op-raw?api-version=2023-03-31"
    )
    assert response.json() == {"id": "op-raw", "status": "Running"}


@pytest.mark.parametrize("api_version", ["2023-03-31", "2024-07-01-preview", "2025-09-01"])
def test_supported_api_versions(acs: AcsEmulator, api_version: str) -> None:
    client = acs.email_client(api_version=api_version)
    client.begin_send(message(acs), polling=False)
    assert acs.control.messages()[0]["apiVersion"] == api_version


def test_unsupported_api_version_is_refused(acs: AcsEmulator) -> None:
    client = acs.email_client(api_version="2021-10-01-preview")
    with pytest.raises(HttpResponseError) as caught:
        client.begin_send(message(acs), polling=False)
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "UnsupportedApiVersion"
    assert acs.control.messages() == []


def test_a_suppressed_cc_is_dropped_and_the_operation_still_succeeds(acs: AcsEmulator) -> None:
    # ACS fails an operation only when all its recipients are suppressed; the old emulator
    # failed it for any one bounced recipient.
    acs.control.set_bounces(["HR@Contoso.example"])
    acs.control.set_limits(processing_seconds=0)

    result = acs.email_client().begin_send(message(acs), operation_id="op-cc").result()

    assert result == {"id": "op-cc", "status": "Succeeded"}
    [record] = acs.control.messages()
    assert (record["status"], record["error"]) == ("Succeeded", None)
    assert record["suppressed"] == ["hr@contoso.example"]


def test_a_message_whose_every_recipient_is_suppressed_fails(acs: AcsEmulator) -> None:
    acs.control.set_bounces(
        ["Manager@Contoso.example", "hr@contoso.example", "audit@contoso.example"]
    )
    client = acs.email_client()

    with pytest.raises(HttpResponseError) as caught:
        client.begin_send(message(acs), operation_id="op-bounce").result()

    assert caught.value.error is not None
    assert caught.value.error.code == "EmailDroppedAllRecipientsSuppressed"
    [record] = acs.control.messages()
    assert record["status"] == "Failed"
    assert record["error"] == {
        "code": "EmailDroppedAllRecipientsSuppressed",
        "message": "Message dropped because all recipients were suppressed",
    }


def test_repeated_operation_id_is_a_new_message_by_default(acs: AcsEmulator) -> None:
    assert acs.control.settings() == {"repeatedOperationId": "new"}
    client = acs.email_client()
    client.begin_send(message(acs), operation_id="op-same", polling=False)
    client.begin_send(message(acs), operation_id="op-same", polling=False)

    records = acs.control.messages()
    assert [r["operationId"] for r in records] == ["op-same", "op-same"]
    assert records[0]["id"] != records[1]["id"]


def test_repeated_operation_id_in_replay_mode_answers_the_first_send_again(
    acs: AcsEmulator,
) -> None:
    acs.control.set_repeated_operation_id("replay")
    client = acs.email_client()
    first = client.begin_send(message(acs), operation_id="op-once", polling=False).result()
    again = client.begin_send(message(acs), operation_id="op-once", polling=False).result()

    assert first == again == {"id": "op-once", "status": "Running"}
    assert len(acs.control.messages()) == 1
    assert acs.control.requests()["send"] == {"202": 2}


def test_repeated_operation_id_in_conflict_mode_is_a_409(acs: AcsEmulator) -> None:
    acs.control.set_repeated_operation_id("conflict")
    client = acs.email_client()
    client.begin_send(message(acs), operation_id="op-once", polling=False)

    with pytest.raises(HttpResponseError) as caught:
        client.begin_send(message(acs), operation_id="op-once", polling=False)

    assert caught.value.status_code == 409
    assert caught.value.error is not None and caught.value.error.code == "Conflict"
    assert len(acs.control.messages()) == 1
    # A send without an Operation-Id is never a repeat.
    client.begin_send(message(acs), polling=False)
    assert len(acs.control.messages()) == 2


def test_reset_restores_the_repeated_operation_id_mode(acs: AcsEmulator) -> None:
    acs.control.set_repeated_operation_id("conflict")
    acs.control.reset()
    assert acs.control.settings() == {"repeatedOperationId": "new"}


def test_operation_id_is_generated_when_not_given(acs: AcsEmulator) -> None:
    acs.control.set_limits(processing_seconds=0)
    result = acs.email_client().begin_send(message(acs)).result()
    assert result["status"] == "Succeeded"
    assert acs.control.messages()[0]["operationId"] == result["id"]
