"""A bearer token goes over plain http only to the local emulator on loopback."""

from __future__ import annotations

import pytest

from shared.adapters.acs_mailer import request_options
from shared.config import Settings

BASE = {
    "MAIL_SENDER": "DoNotReply@contoso.example",
    "ADMIN_EMAILS": "admins@contoso.example",
    "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
    "PASSWORDLESS_GROUP_IDS": "20000000-0000-4000-8000-000000000001",
}


@pytest.mark.parametrize(
    ("endpoint", "key", "options"),
    [
        ("http://127.0.0.1:7103", "", {"enforce_https": False}),
        ("http://localhost:7103", "", {"enforce_https": False}),
        ("http://127.0.0.1:7103", "a2V5", {}),  # HMAC: the option must not reach the transport
        ("https://tapstart.communication.azure.com", "", {}),
        ("http://acs.example", "", {}),  # not loopback: azure-core keeps refusing
    ],
)
def test_plain_http_for_tokens_only_on_loopback(
    endpoint: str, key: str, options: dict[str, bool]
) -> None:
    settings = Settings.from_env({**BASE, "ACS_ENDPOINT": endpoint, "ACS_ACCESS_KEY": key})
    assert request_options(settings) == options
