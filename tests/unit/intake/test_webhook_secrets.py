"""HR_WEBHOOK_SECRETS must hold real Standard Webhooks keys, or the app does not start."""

import base64

import pytest

from shared.config import MIN_WEBHOOK_SECRET_BYTES
from shared.domain.errors import ConfigurationError

from .helpers import OLD_SECRET, SECRET, settings


def key(size: int) -> str:
    return "whsec_" + base64.b64encode(bytes(range(size))).decode()


def refusal(value: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        settings(HR_WEBHOOK_SECRETS=value)
    return str(caught.value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (key(16), "secret #1 is 16 bytes"),
        (key(MIN_WEBHOOK_SECRET_BYTES - 1), "secret #1 is 23 bytes"),
        ("whsec_", "secret #1 is 0 bytes"),
        ("whsec_not*base64!", "secret #1 is not base64"),
        ("whsec_" + "QUJD" * 8 + "QQ", "secret #1 is not base64"),  # no padding
        ("c2VjcmV0LXdpdGhvdXQtYS1wcmVmaXgtMDAwMDA=", "must start with 'whsec_'"),
        (f"{SECRET},{key(20)}", "secret #2 is 20 bytes"),
        (",", "needs at least one whsec_ secret"),
    ],
)
def test_a_short_empty_or_malformed_secret_fails_at_start_naming_the_setting(
    value: str, problem: str
) -> None:
    message = refusal(value)
    assert "HR_WEBHOOK_SECRETS is malformed" in message
    assert problem in message


def test_the_refusal_never_shows_the_secret() -> None:
    short = key(20)
    message = refusal(f"{SECRET},{short}")
    assert short not in message and short.removeprefix("whsec_") not in message
    assert SECRET.removeprefix("whsec_") not in message


def test_a_missing_setting_fails_at_start_too() -> None:
    assert "HR_WEBHOOK_SECRETS is missing" in refusal("   ")


@pytest.mark.parametrize("size", [MIN_WEBHOOK_SECRET_BYTES, 32, 64])
def test_keys_of_24_bytes_and_more_are_accepted(size: int) -> None:
    assert settings(HR_WEBHOOK_SECRETS=key(size)).hr_webhook_secrets == (key(size),)


def test_rotation_lists_of_valid_keys_are_accepted() -> None:
    value = f"{SECRET}, {OLD_SECRET}"
    assert settings(HR_WEBHOOK_SECRETS=value).hr_webhook_secrets == (SECRET, OLD_SECRET)
