"""A small tenant for the campaign's use-case tests: report rows, settings, the fakes."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.config import Settings
from shared.domain.registration import RegistrationRow
from tests.fakes import Fakes

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, 09:00 UTC
PUSH = "microsoftAuthenticatorPush"
PHONE_SIGN_IN = "microsoftAuthenticatorPasswordless"
EXCLUDE = "e0000000-0000-4000-8000-00000000e001"
INCLUDE = "10000000-0000-4000-8000-00000000a001"

ENV = {
    "ACS_ENDPOINT": "https://acs.example.test",
    "MAIL_SENDER": "tapstart@contoso.example",
    "ADMIN_EMAILS": "it-admins@contoso.example",
    "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
    "PASSWORDLESS_GROUP_IDS": "11111111-2222-3333-4444-555555555555",
    "BRAND_COMPANY_NAME": "Contoso",
    "CAMPAIGN_EXCLUDE_GROUP_IDS": EXCLUDE,
    "CAMPAIGN_DAILY_LIMIT": "3",
    "EMAIL_RATE_PER_HOUR": "20",  # the campaign's half: 10 an hour
}


def settings(**overrides: str) -> Settings:
    return Settings.from_env({**ENV, **overrides})


def row(
    uid: str, methods: tuple[str, ...] = (), *, user_type: str = "member", admin: bool = False
) -> RegistrationRow:
    return RegistrationRow(
        uid,
        f"{uid}@contoso.example",
        uid.title(),
        user_type,
        admin,
        None,
        None,
        None,
        None,
        tuple(sorted(methods)),
        "2026-12-01T08:00:00Z",
    )


# 11 rows: 7 eligible (2 push, 3 SMS, 2 with nothing), 4 not.
ROWS = [
    row("guest1", ("mobilePhone",), user_type="guest"),
    row("breakglass", ()),  # in the exclude group
    row("admin1", (), admin=True),  # an admin without a strong method: not on the TAP path
    row("done1", (PUSH, PHONE_SIGN_IN)),
    row("push1", (PUSH,)),
    row("push2", (PUSH, "mobilePhone")),
    row("sms1", ("mobilePhone",)),
    row("sms2", ("mobilePhone",)),
    row("sms3", ("softwareOneTimePasscode",)),
    row("none1", ()),
    row("none2", ("email",)),
]


def world(rows: list[RegistrationRow] | None = None) -> Fakes:
    fakes = Fakes()
    fakes.clock.current = NOW
    fakes.directory.registration = [list(ROWS if rows is None else rows)]
    fakes.campaign_reads.groups[EXCLUDE] = {"breakglass"}
    return fakes
