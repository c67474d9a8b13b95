import json
from pathlib import Path

import pytest

from shared.config import Settings
from shared.domain.errors import ConfigurationError

REQUIRED = {
    "ACS_ENDPOINT": "https://acs.example",
    "MAIL_SENDER": "noreply@contoso.example",
    "ADMIN_EMAILS": "a@contoso.example, b@contoso.example",
    "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
    "PASSWORDLESS_GROUP_IDS": "5b2c4f8e-0000-4000-8000-000000000001",
}


def test_defaults_apply_and_lists_are_parsed() -> None:
    s = Settings.from_env(REQUIRED)
    assert s.admin_emails == ("a@contoso.example", "b@contoso.example")
    assert s.reminder_days == (1, 3, 7, 14)
    assert s.quiet_hours == (20, 7)
    assert s.tap_one_time is True
    assert s.onboarding_queue == "onboarding"


def test_every_missing_required_setting_is_named() -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env({})
    for name in REQUIRED:
        assert f"{name} is missing" in str(err.value)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        (
            "TAP_LIFETIME_MINUTES",
            "5",
            "TAP_LIFETIME_MINUTES is malformed: must be between 10 and 43200",
        ),
        ("HR_WEBHOOK_SECRETS", "plain-secret", "must start with 'whsec_'"),
        ("PASSWORDLESS_GROUP_IDS", "not-a-guid", "is not a group object id"),
        ("DEFAULT_TIME_ZONE", "Mars/Olympus", "is not an IANA time zone"),
        ("TAP_ONE_TIME", "maybe", "expected true or false"),
        ("ADMIN_EMAILS", "nobody", "is not a deliverable email address (not exactly one @)"),
        (
            "FALLBACK_DELIVERY_EMAIL",
            "it..desk@contoso.example",
            "is not a deliverable email address",
        ),
        ("MAIL_SENDER", "jörg@contoso.example", "(non-ASCII characters)"),
    ],
)
def test_malformed_settings_name_the_setting_and_the_problem(
    name: str, value: str, fragment: str
) -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env({**REQUIRED, name: value})
    assert name in str(err.value)
    assert fragment in str(err.value)


def test_secret_values_never_appear_in_the_error() -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env({**REQUIRED, "GRAPH_CLIENT_SECRET": "s3cr3t-value"})
    assert "s3cr3t-value" not in str(err.value)
    assert "GRAPH_CLIENT_SECRET needs GRAPH_TENANT_ID" in str(err.value)


def test_local_settings_example_is_a_valid_configuration() -> None:
    values = json.loads(Path("local.settings.example.json").read_text())["Values"]
    settings = Settings.from_env(values)
    assert settings.graph_base_url.startswith("http://127.0.0.1")
