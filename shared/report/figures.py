"""Tenant adoption figures, aggregated page by page from `userRegistrationDetails` rows.

Rows are `RegistrationRow`s parsed from Graph's raw JSON (see reference/graph-api.md §4.1 and
§8), never SDK models. Memory stays flat as the tenant grows: the aggregator keeps counters and
the few rows behind the security finding; every row is handed to `on_row` (the CSV writer) and
then dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.domain.passwordless import PASSKEY_REPORT_NAMES
from shared.domain.registration import RegistrationRow

# Method names as they appear in `methodsRegistered`. Sources: the usageAuthMethod enum quoted in
# reference/graph-api.md §4.1, and Microsoft's "phishing-resistant MFA" authentication strength
# (FIDO2 security keys and passkeys, Windows Hello for Business, platform credential on macOS).
# `fido2` is the older spelling that public scripts still filter on. Graph treats the list as
# open-ended, so unknown names are counted per method but never counted as strong.
PHISHING_RESISTANT_METHODS: frozenset[str] = PASSKEY_REPORT_NAMES | {
    "windowsHelloForBusiness",
    "macOsSecureEnclaveKey",
}
# Passwordless but not phishing-resistant: a number-matching push without a password.
PASSWORDLESS_METHODS: frozenset[str] = PHISHING_RESISTANT_METHODS | {
    "microsoftAuthenticatorPasswordless"
}

RowSink = Callable[[RegistrationRow], None]


@dataclass(frozen=True)
class AdminFinding:
    """An admin who can still only sign in with phishable methods (or none)."""

    user_principal_name: str
    display_name: str
    methods: tuple[str, ...]
    last_updated: str

    def to_json(self) -> dict[str, Any]:
        return {
            "userPrincipalName": self.user_principal_name,
            "userDisplayName": self.display_name,
            "methodsRegistered": list(self.methods),
            "lastUpdatedDateTime": self.last_updated,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AdminFinding:
        return cls(
            str(data.get("userPrincipalName", "")),
            str(data.get("userDisplayName", "")),
            tuple(data.get("methodsRegistered", ())),
            str(data.get("lastUpdatedDateTime", "")),
        )


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True)
class TenantFigures:
    users: int
    members: int
    guests: int
    admins: int
    mfa_registered: int
    mfa_capable: int
    passwordless_capable: int
    sspr_registered: int
    phishing_resistant: int
    no_methods: int
    by_method: dict[str, int]
    admin_findings: tuple[AdminFinding, ...]
    pages: int

    @property
    def mfa_registered_pct(self) -> float:
        return percent(self.mfa_registered, self.users)

    @property
    def mfa_capable_pct(self) -> float:
        return percent(self.mfa_capable, self.users)

    @property
    def passwordless_capable_pct(self) -> float:
        return percent(self.passwordless_capable, self.users)

    @property
    def sspr_registered_pct(self) -> float:
        return percent(self.sspr_registered, self.users)

    @property
    def phishing_resistant_pct(self) -> float:
        return percent(self.phishing_resistant, self.users)

    def methods_ranked(self) -> list[tuple[str, int, float]]:
        """(method, users, % of users), most used first; ties by name so output is stable."""
        ranked = sorted(self.by_method.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(name, count, percent(count, self.users)) for name, count in ranked]

    def key_figures(self) -> dict[str, float]:
        """The figures the trend compares across days (names are stable: snapshots store them)."""
        return {
            "users": float(self.users),
            "mfa_registered_pct": self.mfa_registered_pct,
            "mfa_capable_pct": self.mfa_capable_pct,
            "passwordless_capable_pct": self.passwordless_capable_pct,
            "phishing_resistant_pct": self.phishing_resistant_pct,
            "sspr_registered_pct": self.sspr_registered_pct,
            "admins_without_strong_method": float(len(self.admin_findings)),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "members": self.members,
            "guests": self.guests,
            "admins": self.admins,
            "mfaRegistered": self.mfa_registered,
            "mfaCapable": self.mfa_capable,
            "passwordlessCapable": self.passwordless_capable,
            "ssprRegistered": self.sspr_registered,
            "phishingResistant": self.phishing_resistant,
            "noMethods": self.no_methods,
            "byMethod": dict(self.by_method),
            "adminFindings": [f.to_json() for f in self.admin_findings],
            "pages": self.pages,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TenantFigures:
        return cls(
            users=int(data["users"]),
            members=int(data.get("members", 0)),
            guests=int(data.get("guests", 0)),
            admins=int(data.get("admins", 0)),
            mfa_registered=int(data.get("mfaRegistered", 0)),
            mfa_capable=int(data.get("mfaCapable", 0)),
            passwordless_capable=int(data.get("passwordlessCapable", 0)),
            sspr_registered=int(data.get("ssprRegistered", 0)),
            phishing_resistant=int(data.get("phishingResistant", 0)),
            no_methods=int(data.get("noMethods", 0)),
            by_method={str(k): int(v) for k, v in data.get("byMethod", {}).items()},
            admin_findings=tuple(AdminFinding.from_json(f) for f in data.get("adminFindings", ())),
            pages=int(data.get("pages", 0)),
        )


@dataclass
class TenantAggregator:
    """Feed it pages with `add_page`, then read `result()`. Holds counters, not rows."""

    on_row: RowSink | None = None
    _users: int = 0
    _members: int = 0
    _guests: int = 0
    _admins: int = 0
    _mfa_registered: int = 0
    _mfa_capable: int = 0
    _passwordless_capable: int = 0
    _sspr_registered: int = 0
    _phishing_resistant: int = 0
    _no_methods: int = 0
    _pages: int = 0
    _by_method: Counter[str] = field(default_factory=Counter)
    _findings: list[AdminFinding] = field(default_factory=list)

    def add_page(self, rows: Iterable[RegistrationRow]) -> None:
        self._pages += 1
        for row in rows:
            self.add(row)

    def add(self, row: RegistrationRow) -> None:
        methods = row.methods
        self._users += 1
        user_type = row.user_type.lower()
        self._members += user_type == "member"
        self._guests += user_type == "guest"
        # Only a JSON `true` counts: a missing property or a null must not inflate adoption.
        self._mfa_registered += row.is_mfa_registered is True
        self._mfa_capable += row.is_mfa_capable is True
        self._passwordless_capable += row.is_passwordless_capable is True
        self._sspr_registered += row.is_sspr_registered is True
        self._phishing_resistant += not PHISHING_RESISTANT_METHODS.isdisjoint(methods)
        self._no_methods += not methods
        self._by_method.update(methods)
        if row.is_admin is True:
            self._admins += 1
            if PASSWORDLESS_METHODS.isdisjoint(methods):
                self._findings.append(
                    AdminFinding(
                        row.user_principal_name or row.id,
                        row.display_name,
                        methods,
                        row.last_updated or "",
                    )
                )
        if self.on_row is not None:
            self.on_row(row)

    @property
    def users(self) -> int:
        return self._users

    def result(self) -> TenantFigures:
        return TenantFigures(
            users=self._users,
            members=self._members,
            guests=self._guests,
            admins=self._admins,
            mfa_registered=self._mfa_registered,
            mfa_capable=self._mfa_capable,
            passwordless_capable=self._passwordless_capable,
            sspr_registered=self._sspr_registered,
            phishing_resistant=self._phishing_resistant,
            no_methods=self._no_methods,
            by_method=dict(self._by_method),
            admin_findings=tuple(
                sorted(self._findings, key=lambda f: f.user_principal_name.lower())
            ),
            pages=self._pages,
        )
