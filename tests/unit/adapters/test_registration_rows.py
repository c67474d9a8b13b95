"""row_from_json: one raw userRegistrationDetails object into a RegistrationRow."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.registration import REGISTRATION_SELECT, RegistrationRow, row_from_json

FULL = {
    "id": "id-alice",
    "userPrincipalName": "alice@contoso.example",
    "userDisplayName": "Alice",
    "userType": "member",
    "isAdmin": True,
    "isMfaRegistered": True,
    "isMfaCapable": False,
    "isPasswordlessCapable": True,
    "isSsprRegistered": False,
    "methodsRegistered": ["passKeyDeviceBoundAuthenticator", "microsoftAuthenticatorPush"],
    "lastUpdatedDateTime": "2026-11-27T23:10:05.1234567Z",
    "@odata.type": "#microsoft.graph.userRegistrationDetails",  # unknown keys are ignored
}


def test_a_full_row_keeps_every_value() -> None:
    assert row_from_json(FULL) == RegistrationRow(
        id="id-alice",
        user_principal_name="alice@contoso.example",
        display_name="Alice",
        user_type="member",
        is_admin=True,
        is_mfa_registered=True,
        is_mfa_capable=False,
        is_passwordless_capable=True,
        is_sspr_registered=False,
        methods=("microsoftAuthenticatorPush", "passKeyDeviceBoundAuthenticator"),
        last_updated="2026-11-27T23:10:05.1234567Z",
    )


def test_missing_and_null_properties_are_empty_text_and_unknown_flags() -> None:
    nulls = dict.fromkeys(REGISTRATION_SELECT)

    for raw in ({}, nulls):
        row = row_from_json(raw)
        assert (row.id, row.user_principal_name, row.display_name, row.user_type) == ("",) * 4
        assert row[4:9] == (None,) * 5
        assert row.methods == ()
        assert row.last_updated is None


@pytest.mark.parametrize("value", ["true", 1, 0, "false", [], {}])
def test_a_flag_that_is_not_a_json_boolean_is_unknown(value: Any) -> None:
    row = row_from_json({"isAdmin": value, "isMfaRegistered": value, "isSsprRegistered": value})

    assert (row.is_admin, row.is_mfa_registered, row.is_sspr_registered) == (None, None, None)


@pytest.mark.parametrize(
    ("raw", "methods"),
    [
        (["mobilePhone", "fido2", "mobilePhone"], ("fido2", "mobilePhone")),
        (["qrCode", "", None, 7, {"x": 1}], ("qrCode",)),
        ([], ()),
        (None, ()),
        ("fido2", ()),
        ({"fido2": True}, ()),
        (3, ()),
    ],
)
def test_methods_are_sorted_unique_non_empty_names(raw: Any, methods: tuple[str, ...]) -> None:
    assert row_from_json({"methodsRegistered": raw}).methods == methods


def test_text_values_are_written_as_the_csv_always_wrote_them() -> None:
    row = row_from_json({"id": 42, "userType": False, "lastUpdatedDateTime": ""})

    assert (row.id, row.user_type, row.last_updated) == ("42", "false", "")


def test_the_row_reads_exactly_the_selected_properties() -> None:
    selected = {k: v for k, v in FULL.items() if k in REGISTRATION_SELECT}

    assert row_from_json(selected) == row_from_json(FULL)  # nothing read outside the $select
    for name in REGISTRATION_SELECT:  # and every selected property is read
        without = {k: v for k, v in selected.items() if k != name}
        assert row_from_json(without) != row_from_json(selected), name
