"""HMAC-SHA256 authentication: the SDK's signature passes; anything else is a 401 Denied."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from azure.communication.email import EmailClient
from azure.communication.email._shared import policy as hmac_policy
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError

from tests.fixtures.acs import AcsEmulator

BODY = {
    "senderAddress": "DoNotReply@contoso.example",
    "recipients": {"to": [{"address": "someone@contoso.example"}]},
    "content": {"subject": "Hello", "plainText": "Hi"},
}
PATH = "/emails:send?api-version=2025-09-01"


def signed_headers(
    acs: AcsEmulator, body: bytes, *, date: datetime | None = None, key: str | None = None
) -> dict[str, str]:
    """Sign as the ACS documentation describes, independently of the emulator's code."""
    host = acs.endpoint.removeprefix("http://")
    x_ms_date = format_datetime(date or datetime.now(UTC), usegmt=True)
    content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
    to_sign = f"POST\n{PATH}\n{x_ms_date};{host};{content_hash}"
    secret = base64.b64decode(key or acs.access_key)
    signature = base64.b64encode(hmac.new(secret, to_sign.encode(), hashlib.sha256).digest())
    return {
        "x-ms-date": x_ms_date,
        "x-ms-content-sha256": content_hash,
        "Authorization": "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
        f"&Signature={signature.decode()}",
        "Content-Type": "application/json",
    }


def post(acs: AcsEmulator, body: bytes, headers: dict[str, str]) -> tuple[int, Any, Any]:
    request = urllib.request.Request(acs.endpoint + PATH, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, json.loads(exc.read())


def test_documented_signature_is_accepted(acs: AcsEmulator) -> None:
    body = json.dumps(BODY).encode()
    status, headers, payload = post(acs, body, signed_headers(acs, body))
    assert status == 202
    assert payload["status"] == "Running"
    assert headers["operation-id"] == payload["id"]


def test_clock_skew_inside_the_window_is_accepted(acs: AcsEmulator) -> None:
    body = json.dumps(BODY).encode()
    date = datetime.now(UTC) - timedelta(minutes=14)
    assert post(acs, body, signed_headers(acs, body, date=date))[0] == 202


def test_wrong_key_is_denied_through_the_sdk(acs: AcsEmulator) -> None:
    other_key = base64.b64encode(b"some-other-key").decode()
    with (
        EmailClient(acs.endpoint, AzureKeyCredential(other_key)) as client,
        pytest.raises(ClientAuthenticationError) as caught,
    ):
        client.begin_send(BODY, polling=False)
    assert caught.value.status_code == 401
    assert caught.value.error is not None
    assert caught.value.error.code == "Denied"
    assert "signature does not match" in str(caught.value.error.message)
    assert acs.control.messages() == []
    assert acs.control.requests() == {"send": {"401": 1}}


def test_stale_date_is_denied_through_the_sdk(
    acs: AcsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = format_datetime(datetime.now(UTC) - timedelta(minutes=16), usegmt=True)
    # The SDK stamps x-ms-date from this function; moving it back makes a stale, validly
    # signed request.
    monkeypatch.setattr(hmac_policy, "get_current_utc_time", lambda: stale)
    with pytest.raises(ClientAuthenticationError) as caught:
        acs.email_client().begin_send(BODY, polling=False)
    assert caught.value.error is not None
    assert caught.value.error.code == "Denied"
    assert "15 minutes" in str(caught.value.error.message)


def test_future_date_outside_the_window_is_denied(acs: AcsEmulator) -> None:
    body = json.dumps(BODY).encode()
    date = datetime.now(UTC) + timedelta(minutes=16)
    status, headers, payload = post(acs, body, signed_headers(acs, body, date=date))
    assert (status, headers["x-ms-error-code"]) == (401, "Denied")
    assert "15 minutes" in payload["error"]["message"]


@pytest.mark.parametrize("missing", ["Authorization", "x-ms-date", "x-ms-content-sha256"])
def test_missing_header_is_denied(acs: AcsEmulator, missing: str) -> None:
    body = json.dumps(BODY).encode()
    headers = signed_headers(acs, body)
    del headers[missing]
    status, response_headers, payload = post(acs, body, headers)
    assert status == 401
    assert response_headers["x-ms-error-code"] == "Denied"
    assert payload["error"]["code"] == "Denied"
    assert missing in payload["error"]["message"]


def test_tampered_body_is_denied(acs: AcsEmulator) -> None:
    body = json.dumps(BODY).encode()
    headers = signed_headers(acs, body)
    tampered = body.replace(b"someone@", b"attacker@")
    status, _, payload = post(acs, tampered, headers)
    assert status == 401
    assert "x-ms-content-sha256" in payload["error"]["message"]


def test_bearer_token_is_denied(acs: AcsEmulator) -> None:
    body = json.dumps(BODY).encode()
    headers = {**signed_headers(acs, body), "Authorization": "Bearer abc"}
    status, _, payload = post(acs, body, headers)
    assert status == 401
    assert "HMAC-SHA256" in payload["error"]["message"]


def test_status_endpoint_needs_a_signature(acs: AcsEmulator) -> None:
    request = urllib.request.Request(f"{acs.endpoint}/emails/operations/x?api-version=2025-09-01")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    with caught.value as error:
        assert error.code == 401
        assert error.headers["x-ms-error-code"] == "Denied"
