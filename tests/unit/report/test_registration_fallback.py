"""Rows for a tenant without the report: one user's methods in the report's own names."""

from shared.domain.passwordless import (
    AUTHENTICATOR_AAGUIDS,
    MethodKind,
    SignInMethod,
    Stage,
    Target,
    report_stage,
    report_target,
)
from shared.domain.registration import RegistrationRow
from shared.domain.registration_fallback import report_names, row_from_methods

AUTHENTICATOR_AAGUID = sorted(AUTHENTICATOR_AAGUIDS)[0]


def _row(*methods: SignInMethod) -> RegistrationRow:
    return row_from_methods("u1", "u1@contoso.example", "U One", "member", methods)


def test_phone_sign_in_counts_as_the_phone_sign_in_target() -> None:
    row = _row(SignInMethod(MethodKind.AUTHENTICATOR, "a1", phone_sign_in=True))
    assert row.methods == ("microsoftAuthenticatorPasswordless", "microsoftAuthenticatorPush")
    assert report_target(row.methods, (Target.PHONE_SIGN_IN,)) is Target.PHONE_SIGN_IN
    assert row.is_passwordless_capable and row.is_mfa_registered


def test_push_only_is_the_authenticator_stage_not_the_target() -> None:
    row = _row(SignInMethod(MethodKind.AUTHENTICATOR, "a1", phone_sign_in=False))
    assert row.methods == ("microsoftAuthenticatorPush",)
    assert report_stage(row.methods, (Target.PHONE_SIGN_IN,)) is Stage.AUTHENTICATOR
    assert row.is_passwordless_capable is False


def test_passkeys_in_authenticator_and_elsewhere_keep_their_report_names() -> None:
    in_app = SignInMethod(MethodKind.FIDO2, "f1", aaguid=AUTHENTICATOR_AAGUID)
    key = SignInMethod(MethodKind.FIDO2, "f2", aaguid="00000000-0000-0000-0000-000000000001")
    assert report_names(in_app) == ("passKeyDeviceBoundAuthenticator",)
    assert report_names(key) == ("passKeyDeviceBound",)
    assert report_target(_row(in_app).methods, (Target.AUTHENTICATOR_PASSKEY,)) is not None


def test_sms_and_otp_are_mfa_the_password_and_a_pass_are_nothing() -> None:
    row = _row(
        SignInMethod(MethodKind.PASSWORD, "p"),
        SignInMethod(MethodKind.TAP, "t"),
        SignInMethod(MethodKind.PHONE, "ph"),
        SignInMethod(MethodKind.OATH, "o"),
    )
    assert row.methods == ("mobilePhone", "softwareOneTimePasscode")
    assert row.is_mfa_registered and not row.is_passwordless_capable
    assert row.is_admin is None and row.is_sspr_registered is None  # only the report knows


def test_a_password_only_user_is_not_mfa_registered() -> None:
    row = _row(SignInMethod(MethodKind.PASSWORD, "p"), SignInMethod(MethodKind.EMAIL, "e"))
    assert row.methods == ("email",)
    assert row.is_mfa_registered is False
