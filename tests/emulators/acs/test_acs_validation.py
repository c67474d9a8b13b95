"""Each validation rule answered as ACS does, seen through the real SDK."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, cast

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from tests.fixtures.acs import AcsEmulator


def valid(acs: AcsEmulator) -> dict[str, Any]:
    return {
        "senderAddress": acs.sender,
        "recipients": {"to": [{"address": "someone@contoso.example"}]},
        "content": {"subject": "Hello", "plainText": "Hi"},
    }


def many(n: int) -> list[dict[str, str]]:
    return [{"address": f"person{i}@contoso.example"} for i in range(n)]


Change = Callable[[dict[str, Any]], None]

CASES: list[tuple[str, Change, int, str, str | None]] = [
    (
        "unlinked domain",
        lambda m: m.update(senderAddress="x@fabrikam.example"),
        404,
        "DomainNotLinked",
        "senderAddress",
    ),
    ("no sender", lambda m: m.pop("senderAddress"), 400, "BadRequest", "senderAddress"),
    (
        "bad sender",
        lambda m: m.update(senderAddress="not-an-address"),
        400,
        "InvalidEmailAddress",
        "senderAddress",
    ),
    ("no recipients object", lambda m: m.pop("recipients"), 400, "BadRequest", "recipients"),
    ("no to", lambda m: m["recipients"].pop("to"), 400, "BadRequest", "recipients.to"),
    ("zero recipients", lambda m: m["recipients"].update(to=[]), 400, "BadRequest", "recipients"),
    (
        "51 recipients",
        lambda m: m["recipients"].update(to=many(20), cc=many(20), bcc=many(11)),
        400,
        "BadRequest",
        "recipients",
    ),
    (
        "bad recipient",
        lambda m: m["recipients"].update(to=[{"address": "a@@b"}]),
        400,
        "InvalidEmailAddress",
        "recipients.to[0].address",
    ),
    ("no content", lambda m: m.pop("content"), 400, "BadRequest", "content"),
    ("no subject", lambda m: m["content"].pop("subject"), 400, "BadRequest", "content.subject"),
    (
        "blank subject",
        lambda m: m["content"].update(subject="  "),
        400,
        "BadRequest",
        "content.subject",
    ),
    ("no body", lambda m: m["content"].pop("plainText"), 400, "BadRequest", "content"),
    (
        "attachment without name",
        lambda m: m.update(attachments=[{"contentType": "text/plain", "contentInBase64": "YQ=="}]),
        400,
        "BadRequest",
        "attachments[0].name",
    ),
    (
        "attachment without type",
        lambda m: m.update(attachments=[{"name": "a.txt", "contentInBase64": "YQ=="}]),
        400,
        "BadRequest",
        "attachments[0].contentType",
    ),
    (
        "attachment bad type",
        lambda m: m.update(
            attachments=[{"name": "a", "contentType": "text", "contentInBase64": "YQ=="}]
        ),
        400,
        "BadRequest",
        "attachments[0].contentType",
    ),
    (
        "attachment without content",
        lambda m: m.update(attachments=[{"name": "a.txt", "contentType": "text/plain"}]),
        400,
        "BadRequest",
        "attachments[0].contentInBase64",
    ),
    (
        "attachment not base64",
        lambda m: m.update(
            attachments=[{"name": "a.txt", "contentType": "text/plain", "contentInBase64": "%%%"}]
        ),
        400,
        "BadRequest",
        "attachments[0].contentInBase64",
    ),
    (
        "header injection",
        lambda m: m.update(headers={"X-A": "1\r\nBcc: evil@x.example"}),
        400,
        "BadRequest",
        "headers.X-A",
    ),
]


@pytest.mark.parametrize(
    ("change", "status", "code", "target"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_invalid_message_is_refused(
    acs: AcsEmulator, change: Change, status: int, code: str, target: str | None
) -> None:
    body = valid(acs)
    change(body)

    with pytest.raises(HttpResponseError) as caught:
        acs.email_client().begin_send(body, polling=False)

    assert caught.value.status_code == status
    assert caught.value.error is not None
    assert caught.value.error.code == code
    assert caught.value.error.target == target
    assert caught.value.response is not None
    assert cast(Any, caught.value.response).headers["x-ms-error-code"] == code
    assert acs.control.messages() == []


# Addresses the app once accepted and the emulator then answered with a plain-text 500 (its MIME
# writer refused them): ACS refuses malformed addresses with a JSON 400 before it accepts a send.
REFUSED_ADDRESSES = ["jörg@example.org", "a..b@example.org", ".a@example.org", "a.@example.org"]


@pytest.mark.parametrize("field", ["to", "cc", "bcc"])
@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_addresses_acs_refuses_are_a_json_400_in_every_recipient_field(
    acs: AcsEmulator, field: str, address: str
) -> None:
    body = valid(acs)
    body["recipients"][field] = [{"address": address}]

    with pytest.raises(HttpResponseError) as caught:
        acs.email_client(retry_total=0).begin_send(body, polling=False)

    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "InvalidEmailAddress"
    assert caught.value.error.target == f"recipients.{field}[0].address"
    assert "Invalid format for email address" in str(caught.value.error.message)
    assert acs.control.messages() == []
    assert acs.control.requests()["send"] == {"400": 1}


def test_a_sender_username_the_domain_has_not_provisioned_is_refused(acs: AcsEmulator) -> None:
    body = valid(acs)
    body["senderAddress"] = "noreply@contoso.example"

    with pytest.raises(HttpResponseError) as caught:
        acs.email_client().begin_send(body, polling=False)

    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "InvalidSenderUserName"
    assert caught.value.error.target == "senderAddress"
    assert caught.value.error.message == (
        "Invalid email sender username: 'noreply'. Please use a username from the list of "
        "valid usernames configured by your admin."
    )
    assert acs.control.messages() == []


def test_sender_usernames_are_case_insensitive(acs: AcsEmulator) -> None:
    body = valid(acs)
    body["senderAddress"] = "donotreply@contoso.example"
    acs.email_client().begin_send(body, polling=False)
    assert len(acs.control.messages()) == 1


def test_fifty_recipients_are_allowed(acs: AcsEmulator) -> None:
    body = valid(acs)
    body["recipients"] = {"to": many(30), "cc": many(10), "bcc": many(10)}
    acs.email_client().begin_send(body, polling=False)
    assert len(acs.control.messages()) == 1


def test_html_only_and_managed_domain_sender_are_allowed(acs: AcsEmulator) -> None:
    body = valid(acs)
    body["senderAddress"] = "DoNotReply@1b2c3d4e.azurecomm.net"
    body["content"] = {"subject": "Hello", "html": "<p>Hi</p>"}
    acs.email_client().begin_send(body, polling=False)
    assert acs.control.messages()[0]["html"] == "<p>Hi</p>"


def test_request_over_10_mb_is_refused(acs: AcsEmulator) -> None:
    body = valid(acs)
    blob = base64.b64encode(b"\0" * (7_900_000)).decode()  # ~10.5 MB once base64 encoded
    body["attachments"] = [
        {"name": "big.bin", "contentType": "application/octet-stream", "contentInBase64": blob}
    ]

    with pytest.raises(HttpResponseError) as caught:
        acs.email_client().begin_send(body, polling=False)

    assert caught.value.status_code == 413
    assert caught.value.error is not None
    assert caught.value.error.code == "RequestBodyTooLarge"
    assert acs.control.messages() == []


def test_malformed_json_is_refused_with_error_shape(acs: AcsEmulator) -> None:
    # begin_send cannot send raw bytes with an access key (the SDK's HMAC policy calls
    # .encode() on the body), so the malformed body goes through the client's send_request.
    response = acs.email_client().send_request(
        HttpRequest(
            "POST",
            "/emails:send?api-version=2025-09-01",
            content='{"senderAddress": ',
            headers={"Content-Type": "application/json"},
        )
    )
    assert response.status_code == 400
    assert response.headers["x-ms-error-code"] == "BadRequest"
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["message"].startswith("The request body is not valid JSON")
