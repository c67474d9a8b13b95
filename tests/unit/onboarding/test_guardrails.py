from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.directory import DirectoryUser
from shared.domain.guardrails import refusal_reason

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
USER = DirectoryUser(
    id="u1",
    user_principal_name="ada@contoso.example",
    employee_id="E1",
    display_name="Ada",
    given_name="Ada",
    account_enabled=True,
    user_type="Member",
    created=NOW - timedelta(days=2),
    mail="ada@contoso.example",
    other_mails=(),
    preferred_language="en",
)
PASSWORD = ["#microsoft.graph.passwordAuthenticationMethod"]


def reason(
    user: DirectoryUser = USER, *, admin: bool = False, methods: list[str] | None = None
) -> str | None:
    return refusal_reason(
        user, is_admin=admin, method_types=methods or PASSWORD, now=NOW, max_account_age_days=60
    )


def test_a_fresh_member_with_only_a_password_may_get_a_tap() -> None:
    assert reason() is None


@pytest.mark.parametrize(
    ("user", "admin", "methods", "expected"),
    [
        (USER, True, PASSWORD, "admin_role"),
        (replace(USER, user_type="Guest"), False, PASSWORD, "guest_account"),
        (replace(USER, external=True), False, PASSWORD, "guest_account"),
        (replace(USER, account_enabled=False), False, PASSWORD, "account_disabled"),
        (
            USER,
            False,
            [*PASSWORD, "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"],
            "already_enrolled",
        ),
        (USER, False, ["#microsoft.graph.fido2AuthenticationMethod"], "already_enrolled"),
        (
            USER,
            False,
            ["#microsoft.graph.windowsHelloForBusinessAuthenticationMethod"],
            "already_enrolled",
        ),
        (replace(USER, created=NOW - timedelta(days=61)), False, PASSWORD, "account_too_old"),
    ],
)
def test_each_guardrail_refuses_with_its_reason(
    user: DirectoryUser, admin: bool, methods: list[str], expected: str
) -> None:
    assert reason(user, admin=admin, methods=methods) == expected


def test_a_phone_or_email_method_is_not_strong_enough_to_refuse() -> None:
    assert (
        reason(
            methods=[
                *PASSWORD,
                "#microsoft.graph.phoneAuthenticationMethod",
                "#microsoft.graph.emailAuthenticationMethod",
            ]
        )
        is None
    )
