"""Standard Webhooks authentication of HR requests, on the raw body, before any parsing.

A sender signs `<webhook-id>.<webhook-timestamp>.<body>` with HMAC-SHA256 under a `whsec_`
secret and sends `webhook-signature: v1,<base64>` (several space-separated signatures during a
rotation). Tapstart tries every configured secret (HR_WEBHOOK_SECRETS), and refuses timestamps
more than five minutes from its clock either way.

A valid signature vouches for the webhook id and the body, not for the other headers. The HR
intake claims the webhook id (`replay_key`) before it acts, together with `request_digest`: a
hash of the body and of the headers that decide what the body means (the content type and the
CloudEvents `ce-*` attributes). The same id with the same request is a retry and gets the first
answer again; the same id with anything else is refused (409).

The HMAC comes from the `standardwebhooks` package (`Webhook.sign`). Header parsing and the
time window are done here: the package's `verify()` lets `ValueError`/`binascii.Error` escape
on malformed signature lists and reads the system clock, which tests cannot move.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets as secrets_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from shared.domain.errors import ConfigurationError, SignatureError
from shared.intake.strict_json import decode_utf8

TOLERANCE = timedelta(minutes=5)
MAX_SIGNATURE_HEADER_CHARS = 4096
_WEBHOOK_ID = re.compile(r"^[!-~]{1,256}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True)
class SignedDelivery:
    """What a valid signature vouches for: this webhook id was sent at this time."""

    webhook_id: str
    timestamp: datetime


@cache
def _webhook(secret: str) -> Webhook:
    try:
        return Webhook(secret)
    except (binascii.Error, ValueError, EmptyWebhookSecretError):
        raise ConfigurationError(
            "HR_WEBHOOK_SECRETS holds a secret that is not whsec_ followed by base64"
        ) from None


def verify_signature(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: datetime
) -> SignedDelivery:
    """Check the Standard Webhooks signature of *body*; *headers* must be lower-cased.

    Raises:
        SignatureError: a header is missing or malformed, the timestamp is outside the window,
            or no signature matches any of *secrets*.
        InvalidEventError: the body is not UTF-8 (Standard Webhooks signs text).
        ConfigurationError: a configured secret is not a whsec_ secret.
    """
    webhook_id = _required(headers, "webhook-id")
    if not _WEBHOOK_ID.match(webhook_id):
        raise SignatureError(
            "webhook-id must be 1 to 256 printable ASCII characters", field="webhook-id"
        )
    sent_at = _timestamp(_required(headers, "webhook-timestamp"), now)
    candidates = _signatures(_required(headers, "webhook-signature"))
    text = decode_utf8(body)
    for secret in secrets:
        expected = _webhook(secret).sign(webhook_id, sent_at, text).split(",", 1)[1]
        expected_bytes = base64.b64decode(expected)
        if any(hmac.compare_digest(expected_bytes, c) for c in candidates):
            return SignedDelivery(webhook_id, sent_at)
    raise SignatureError(
        "no webhook-signature matches a configured secret", field="webhook-signature"
    )


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise SignatureError(f"the {name} header is required", field=name)
    return value


def _timestamp(raw: str, now: datetime) -> datetime:
    if not _TIMESTAMP.match(raw):
        raise SignatureError(
            "webhook-timestamp must be whole seconds since the Unix epoch",
            field="webhook-timestamp",
        )
    skew = int(raw) - now.timestamp()
    if skew < -TOLERANCE.total_seconds():
        raise SignatureError(
            "webhook-timestamp is more than 5 minutes old", field="webhook-timestamp"
        )
    if skew > TOLERANCE.total_seconds():
        raise SignatureError(
            "webhook-timestamp is more than 5 minutes in the future (check the sender's clock)",
            field="webhook-timestamp",
        )
    return datetime.fromtimestamp(int(raw), tz=UTC)


def _signatures(header: str) -> list[bytes]:
    if len(header) > MAX_SIGNATURE_HEADER_CHARS:
        raise SignatureError(
            f"webhook-signature is longer than {MAX_SIGNATURE_HEADER_CHARS} characters",
            field="webhook-signature",
        )
    found: list[bytes] = []
    for item in header.split():
        version, _, value = item.partition(",")
        if version != "v1":
            continue  # other schemes (v1a, asymmetric) are not configured here
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not found:
        raise SignatureError(
            "webhook-signature holds no v1,<base64> signature", field="webhook-signature"
        )
    return found


def replay_key(webhook_id: str) -> str:
    # Hashed: the ledger key stays short and free of characters a table key may not hold.
    return "webhook-" + hashlib.sha256(webhook_id.encode("ascii")).hexdigest()


def request_digest(body: bytes, headers: Mapping[str, str]) -> str:
    """SHA-256 (hex) of what one webhook id was used for: the raw body, the `content-type` and
    every `ce-*` header (*headers* lower-cased; names sorted, values as sent, trimmed).

    Unambiguous: the body's own digest (fixed length) comes first, then the headers as JSON.
    """
    meaningful = sorted(
        (name, value.strip())
        for name, value in headers.items()
        if name == "content-type" or name.startswith("ce-")
    )
    digest = hashlib.sha256(hashlib.sha256(body).digest())
    digest.update(json.dumps(meaningful, ensure_ascii=True, separators=(",", ":")).encode())
    return digest.hexdigest()


def sign_request(
    body: bytes, secret: str, *, webhook_id: str | None = None, timestamp: datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for *body* (for senders, the demo and tests)."""
    msg_id = webhook_id or f"msg_{secrets_module.token_hex(12)}"
    # The package reads the datetime as UTC wall time, so hand it UTC.
    sent_at = (timestamp or datetime.now(UTC)).astimezone(UTC)
    signature = _webhook(secret).sign(msg_id, sent_at, body.decode("utf-8"))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
