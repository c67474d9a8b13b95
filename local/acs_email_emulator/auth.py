"""HMAC-SHA256 request authentication as ACS checks it for access-key clients.

The client signs `VERB\\npath_and_query\\n<values of the signed headers joined by ';'>` with the
base64-decoded access key and sends
`Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<b64>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from local.acs_email_emulator.config import DATE_WINDOW_SECONDS
from local.acs_email_emulator.errors import denied

SCHEME = "HMAC-SHA256"
REQUIRED_SIGNED_HEADERS = ("x-ms-date", "host", "x-ms-content-sha256")


def content_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign(key_b64: str, string_to_sign: str) -> str:
    digest = hmac.new(base64.b64decode(key_b64), string_to_sign.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _parse_authorization(value: str) -> tuple[list[str], str]:
    scheme, _, params = value.partition(" ")
    if scheme != SCHEME or not params:
        raise denied(f"The Authorization header must use the {SCHEME} scheme.")
    fields: dict[str, str] = {}
    for part in params.split("&"):
        name, sep, field_value = part.partition("=")
        if sep:
            # A base64 signature may itself end in '=': only the first '=' separates.
            fields[name.strip()] = field_value
    signed = fields.get("SignedHeaders")
    signature = fields.get("Signature")
    if not signed or not signature:
        raise denied("The Authorization header needs SignedHeaders and Signature.")
    names = [name.strip().lower() for name in signed.split(";")]
    missing = [name for name in REQUIRED_SIGNED_HEADERS if name not in names]
    if missing:
        raise denied(f"SignedHeaders must include {', '.join(missing)}.")
    return names, signature


def _check_date(value: str, now: datetime) -> None:
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise denied("The x-ms-date header is not an RFC 1123 date.") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs((now - sent).total_seconds()) > DATE_WINDOW_SECONDS:
        raise denied(
            f"The x-ms-date header is more than {DATE_WINDOW_SECONDS // 60} minutes "
            "away from the server time."
        )


def verify(
    *,
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    now: datetime | None = None,
) -> None:
    """Raise a 401 `AcsError` unless the request carries a valid, fresh HMAC signature.

    `headers` must be case-insensitive (aiohttp's CIMultiDict is).
    """
    authorization = headers.get("Authorization")
    if not authorization:
        raise denied("The Authorization header is missing.")
    names, signature = _parse_authorization(authorization)
    values: list[str] = []
    for name in names:
        value = headers.get(name)
        if value is None:
            raise denied(f"The signed header {name} is missing.")
        values.append(value)
    _check_date(headers["x-ms-date"], now or datetime.now(UTC))
    if not hmac.compare_digest(headers["x-ms-content-sha256"], content_hash(body)):
        raise denied("x-ms-content-sha256 does not match the request body.")
    string_to_sign = f"{method.upper()}\n{path_and_query}\n{';'.join(values)}"
    if not hmac.compare_digest(signature, sign(access_key, string_to_sign)):
        raise denied("The request signature does not match.")
