from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.directory import DirectoryUser
from shared.domain.guardrails import refusal_reason
from shared.domain.privilege import Privilege

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
    privilege = Privilege(active_roles=("62e90394",)) if admin else Privilege()
    return refusal_reason(
        user,
        privilege=privilege,
        method_types=methods or PASSWORD,
        now=NOW,
        max_account_age_days=60,
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


@pytest.mark.parametrize(
    "method",
    [
        "#microsoft.graph.phoneAuthenticationMethod",
        "#microsoft.graph.softwareOathAuthenticationMethod",
        "#microsoft.graph.hardwareOathAuthenticationMethod",
    ],
)
def test_any_registered_mfa_method_means_the_account_is_established(method: str) -> None:
    assert reason(methods=[*PASSWORD, method]) == "already_enrolled"


def test_an_email_method_alone_is_no_sign_in_method() -> None:
    assert reason(methods=[*PASSWORD, "#microsoft.graph.emailAuthenticationMethod"]) is None


@pytest.mark.parametrize(
    ("privilege", "expected"),
    [
        (Privilege(eligible_roles=("r",)), "eligible_admin_role"),
        (Privilege(privileged_groups=("g",)), "privileged_group"),
        (Privilege(owned_apps=("app",)), "app_owner"),
        (Privilege(protected_groups=("bg",)), "protected_account"),
    ],
)
def test_every_kind_of_privilege_refuses(privilege: Privilege, expected: str) -> None:
    assert (
        refusal_reason(
            USER, privilege=privilege, method_types=PASSWORD, now=NOW, max_account_age_days=60
        )
        == expected
    )


def test_an_account_carrying_another_employee_id_is_someone_elses() -> None:
    def refused(employee_id: str) -> str | None:
        return refusal_reason(
            USER,
            privilege=Privilege(),
            method_types=PASSWORD,
            now=NOW,
            max_account_age_days=60,
            employee_id=employee_id,
        )

    assert USER.employee_id is not None
    assert refused(USER.employee_id.lower()) is None  # the same id, in another case
    assert refused("X999") == "employee_id_mismatch"


def test_an_account_that_signed_in_before_tapstarts_own_pass_is_in_use() -> None:
    used = replace(USER, last_sign_in=NOW - timedelta(days=3))

    def refused(own_pass_since: datetime | None) -> str | None:
        return refusal_reason(
            used,
            privilege=Privilege(),
            method_types=PASSWORD,
            now=NOW,
            max_account_age_days=60,
            own_pass_since=own_pass_since,
        )

    assert refused(None) == "account_used"
    assert refused(NOW - timedelta(days=1)) == "account_used"  # before our own pass
    assert refused(NOW - timedelta(days=4)) is None  # the joiner signing in with our pass
