"""Ten hand-made userRegistrationDetails rows (raw Graph JSON) and the figures they must give.

Expected values were counted by hand from the table below, not computed by the code under test.

| user | admin | type | mfaReg | mfaCap | pwless | sspr | methods |
|---|---|---|---|---|---|---|---|
| alice | yes | member | T | T | T | T | passKeyDeviceBoundAuthenticator, push |
| bob | yes | member | T | T | F | T | push, mobilePhone (finding) |
| carol | yes | member | F | F | F | F | (none) (finding) |
| dave |  | member | T | T | T | F | authenticatorPasswordless, push |
| erin |  | member | T | T | T | F | windowsHelloForBusiness |
| frank |  | member | T | F | F | T | mobilePhone |
| grace |  | guest | F | F | F | F | (none) |
| heidi |  | member | T | T | F | F | softwareOneTimePasscode, push |
| ivan | yes | member | T | T | T | F | fido2SecurityKey |
| judy |  | member | null | missing | F | F | null |
"""

from __future__ import annotations

from typing import Any

PUSH = "microsoftAuthenticatorPush"


def _row(
    name: str,
    methods: list[str] | None,
    mfa_reg: bool | None,
    mfa_cap: bool | None,
    pwless: bool,
    sspr: bool,
    *,
    admin: bool = False,
    user_type: str = "member",
    display: str | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"id-{name}",
        "userPrincipalName": f"{name}@contoso.example",
        "userDisplayName": display or name.title(),
        "userType": user_type,
        "isAdmin": admin,
        "isMfaRegistered": mfa_reg,
        "isPasswordlessCapable": pwless,
        "isSsprRegistered": sspr,
        "methodsRegistered": methods,
        "lastUpdatedDateTime": "2026-11-27T23:10:05.1234567Z",
    }
    if mfa_cap is not None:
        row["isMfaCapable"] = mfa_cap
    return row


ROWS: list[dict[str, Any]] = [
    _row("alice", ["passKeyDeviceBoundAuthenticator", PUSH], True, True, True, True, admin=True),
    _row("bob", [PUSH, "mobilePhone"], True, True, False, True, admin=True),
    _row(
        "carol", [], False, False, False, False, admin=True, display="<script>alert('x')</script>"
    ),
    _row("dave", ["microsoftAuthenticatorPasswordless", PUSH], True, True, True, False),
    _row("erin", ["windowsHelloForBusiness"], True, True, True, False),
    _row("frank", ["mobilePhone"], True, False, False, True),
    _row("grace", [], False, False, False, False, user_type="guest"),
    _row("heidi", ["softwareOneTimePasscode", PUSH], True, True, False, False),
    _row("ivan", ["fido2SecurityKey"], True, True, True, False, admin=True),
    _row("judy", None, None, None, False, False),
]

# Three pages, as Graph would page them with a small $top.
PAGES: list[list[dict[str, Any]]] = [ROWS[0:4], ROWS[4:8], ROWS[8:10]]

EXPECTED = {
    "users": 10,
    "members": 9,
    "guests": 1,
    "admins": 4,
    "mfa_registered": 7,
    "mfa_capable": 6,
    "passwordless_capable": 4,
    "sspr_registered": 3,
    "phishing_resistant": 3,
    "no_methods": 3,
    "pages": 3,
    "by_method": {
        PUSH: 4,
        "mobilePhone": 2,
        "passKeyDeviceBoundAuthenticator": 1,
        "microsoftAuthenticatorPasswordless": 1,
        "windowsHelloForBusiness": 1,
        "softwareOneTimePasscode": 1,
        "fido2SecurityKey": 1,
    },
    "finding_upns": ["bob@contoso.example", "carol@contoso.example"],
}
