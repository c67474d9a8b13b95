import base64
import hashlib
import hmac
from datetime import timedelta

import pytest

from functions.http_problem import status_of
from shared.domain.errors import ConfigurationError, InvalidEventError, SignatureError
from shared.intake.parse import lower_headers
from shared.intake.signature import (
    SignedDelivery,
    replay_key,
    sign_request,
    verify_signature,
)

from .helpers import NOW, OLD_SECRET, SECRET

BODY = b'{"eventId":"e-1"}'


def headers(**overrides: str) -> dict[str, str]:
    signed = sign_request(BODY, SECRET, webhook_id="msg_1", timestamp=NOW)
    signed.update(overrides)
    return lower_headers(signed)


def refusal(
    body: bytes, hdrs: dict[str, str], secrets: tuple[str, ...] = (SECRET,)
) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify_signature(body, hdrs, secrets, NOW)
    assert status_of(caught.value) == 401
    return caught.value


def test_a_good_signature_is_accepted() -> None:
    delivery = verify_signature(BODY, headers(), (SECRET,), NOW)
    assert delivery == SignedDelivery("msg_1", NOW)


def test_the_signature_is_standard_webhooks_hmac_sha256() -> None:
    # Independent of the package: the scheme as the spec writes it, so senders can rely on it.
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(
        key, f"msg_1.{int(NOW.timestamp())}.".encode() + BODY, hashlib.sha256
    ).digest()
    assert headers()["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


def test_a_tampered_body_is_refused() -> None:
    assert refusal(BODY.replace(b"e-1", b"e-2"), headers()).field == "webhook-signature"


def test_a_wrong_secret_is_refused() -> None:
    assert refusal(BODY, headers(), (OLD_SECRET,)).field == "webhook-signature"


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_named(name: str) -> None:
    hdrs = headers()
    del hdrs[name]
    error = refusal(BODY, hdrs)
    assert error.field == name
    assert "required" in error.detail


def test_an_old_timestamp_is_refused() -> None:
    hdrs = lower_headers(
        sign_request(BODY, SECRET, timestamp=NOW - timedelta(minutes=5, seconds=1))
    )
    assert "old" in refusal(BODY, hdrs).detail


def test_a_future_timestamp_is_refused() -> None:
    hdrs = lower_headers(
        sign_request(BODY, SECRET, timestamp=NOW + timedelta(minutes=5, seconds=1))
    )
    assert "future" in refusal(BODY, hdrs).detail


@pytest.mark.parametrize("skew", [-300, 300])
def test_timestamps_at_the_edge_of_the_window_are_accepted(skew: int) -> None:
    hdrs = lower_headers(sign_request(BODY, SECRET, timestamp=NOW + timedelta(seconds=skew)))
    assert verify_signature(BODY, hdrs, (SECRET,), NOW).webhook_id


@pytest.mark.parametrize("value", ["1.7e9", "-5", "nan", "soon", "9" * 20])
def test_a_malformed_timestamp_is_refused(value: str) -> None:
    assert refusal(BODY, headers(**{"webhook-timestamp": value})).field == "webhook-timestamp"


@pytest.mark.parametrize("value", ["v1", "v1,!!!", "v2,abc=", "v1a,abc", ",,,", "v1,a,b"])
def test_a_malformed_signature_list_is_refused(value: str) -> None:
    assert refusal(BODY, headers(**{"webhook-signature": value})).field == "webhook-signature"


def test_a_webhook_id_with_spaces_is_refused() -> None:
    assert refusal(BODY, headers(**{"webhook-id": "a b"})).field == "webhook-id"


def test_rotation_any_configured_secret_verifies() -> None:
    hdrs = lower_headers(sign_request(BODY, OLD_SECRET, timestamp=NOW))
    assert verify_signature(BODY, hdrs, (SECRET, OLD_SECRET), NOW)


def test_rotation_a_sender_may_send_signatures_under_both_secrets() -> None:
    old = sign_request(BODY, OLD_SECRET, webhook_id="m", timestamp=NOW)["webhook-signature"]
    new = sign_request(BODY, SECRET, webhook_id="m", timestamp=NOW)["webhook-signature"]
    hdrs = headers(**{"webhook-id": "m", "webhook-signature": f"v1a,ignored {old} {new}"})
    assert verify_signature(BODY, hdrs, (SECRET,), NOW)
    assert verify_signature(BODY, hdrs, (OLD_SECRET,), NOW)


def test_an_invalid_utf8_body_is_400_not_a_crash() -> None:
    body = b"\xff\xfe"
    with pytest.raises(InvalidEventError) as caught:
        verify_signature(body, headers(), (SECRET,), NOW)
    assert status_of(caught.value) == 400


def test_a_malformed_configured_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        verify_signature(BODY, headers(), ("whsec_",), NOW)


def test_the_replay_key_is_short_and_table_safe() -> None:
    key = replay_key("msg/with#odd?chars\\" + "x" * 200)
    assert len(key) < 80 and all(c.isalnum() or c == "-" for c in key)
