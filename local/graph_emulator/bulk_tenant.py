"""A tenant for the registration campaign: thousands of users with the mix a real rollout meets,
and users who convert over simulated days.

The users are seed-format specs (`seed.user_from_spec`) sent to the running emulator's
`/_emulator/bulk-users`; conversions go through the control API's own routes (register a
method, enable phone sign-in), so the report, the live methods and the audit log all see them as
they see any registration. Nothing here changes how the emulator answers Graph.

    python -m local.graph_emulator.bulk_tenant --graph http://127.0.0.1:7101 --users 5000
    python -m local.graph_emulator.bulk_tenant --graph http://127.0.0.1:7101 --convert 0.1 \\
        --advance-days 1          # a simulated day: 10 % of who is left convert, clock +1 day
"""

from __future__ import annotations

import argparse
import json
import random
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .passkeys import AUTHENTICATOR_IOS

# What users have registered, as `methods` of a seed-format user, and how common each is (the
# guide's starting point: most sign in with a password and SMS).
PROFILES: Mapping[str, list[Any]] = {
    "sms": ["mobilePhone"],
    "voice": ["officePhone"],
    "oath": ["softwareOneTimePasscode"],
    "push": ["microsoftAuthenticatorPush"],
    "push_sms": ["microsoftAuthenticatorPush", "mobilePhone"],
    "none": [],
    "sspr_only": ["email"],
    "passkey": [{"type": "passKeyDeviceBound", "aaGuid": AUTHENTICATOR_IOS}],
    "phone_sign_in": [{"type": "microsoftAuthenticatorPush", "phoneSignInDateTime": "now-20d"}],
}
DEFAULT_MIX: Mapping[str, float] = {
    "sms": 0.36,
    "voice": 0.03,
    "oath": 0.03,
    "push": 0.20,
    "push_sms": 0.06,
    "none": 0.12,
    "sspr_only": 0.03,
    "passkey": 0.10,
    "phone_sign_in": 0.07,
}
LANGUAGES = (("en-US", 0.6), ("de-DE", 0.25), ("fr-FR", 0.15))
LOCATIONS = {"en-US": "US", "de-DE": "DE", "fr-FR": "FR"}
# Profiles that have not reached a passwordless target (with the default targets).
NOT_DONE = frozenset({"sms", "voice", "oath", "push", "push_sms", "none", "sspr_only"})


@dataclass(frozen=True)
class TenantSpec:
    users: int = 5000
    seed: int = 7
    domain: str = "contoso.example"
    prefix: str = "cmp"
    guest_fraction: float = 0.02
    admin_fraction: float = 0.01
    manager: str | None = None  # a UPN every user reports to (the TAP path copies a manager)


def profile_of(spec: Mapping[str, Any]) -> str:
    """The profile a generated user was made with (kept in `jobTitle`)."""
    return str(spec.get("jobTitle") or "")


def campaign_users(
    spec: TenantSpec = TenantSpec(), mix: Mapping[str, float] = DEFAULT_MIX
) -> list[dict[str, Any]]:
    """Seed-format users, deterministic for a seed. Each user's profile is its `jobTitle`."""
    rng = random.Random(spec.seed)
    profiles, weights = list(mix), list(mix.values())
    languages = [language for language, _ in LANGUAGES]
    language_weights = [weight for _, weight in LANGUAGES]
    users = []
    for n in range(spec.users):
        profile = rng.choices(profiles, weights)[0]
        language = rng.choices(languages, language_weights)[0]
        guest = rng.random() < spec.guest_fraction
        upn = (
            f"{spec.prefix}{n:05d}_partner.example#EXT#@{spec.domain}"
            if guest
            else f"{spec.prefix}{n:05d}@{spec.domain}"
        )
        user: dict[str, Any] = {
            "userPrincipalName": upn,
            "displayName": f"Campaign User {n:05d}",
            "givenName": "Campaign",
            "surname": f"User {n:05d}",
            "mail": f"{spec.prefix}{n:05d}@partner.example" if guest else upn,
            "userType": "Guest" if guest else "Member",
            "preferredLanguage": language,
            "usageLocation": LOCATIONS[language],
            "jobTitle": profile,
            "createdDateTime": f"now-{rng.randint(60, 2000)}d",
            "methods": list(PROFILES[profile]),
        }
        if guest:
            user["creationType"] = "Invitation"
        if rng.random() < spec.admin_fraction:
            user["directoryRoles"] = ["User Administrator"]
        if spec.manager:
            user["manager"] = spec.manager
        users.append(user)
    return users


@dataclass(frozen=True)
class Conversion:
    upn: str
    profile: str
    calls: tuple[tuple[str, dict[str, Any]], ...]  # control API calls: (path, body)


def conversion_for(upn: str, profile: str) -> Conversion:
    """What the user does to reach a target: turn on phone sign-in where Authenticator is
    there; add Authenticator and turn it on where another second factor is; a passkey (after a
    TAP from the service desk) where nothing strong is."""
    calls: list[tuple[str, dict[str, Any]]] = []
    if profile in ("sms", "voice", "oath"):
        calls.append((f"users/{upn}/register", {"method": "microsoftAuthenticatorPush"}))
    if profile in ("sms", "voice", "oath", "push", "push_sms"):
        calls.append((f"users/{upn}/enable-phone-sign-in", {}))
    else:
        body = {"method": "passKeyDeviceBound", "aaGuid": AUTHENTICATOR_IOS}
        calls.append((f"users/{upn}/register", body))
    return Conversion(upn, profile, tuple(calls))


def pick_converting(
    users: Sequence[Mapping[str, Any]],
    fraction: float,
    *,
    seed: int = 11,
    already: Iterable[str] = (),
) -> list[Conversion]:
    """`fraction` of the members not yet done (and not in `already`) convert, deterministic."""
    done = set(already)
    left = [
        u
        for u in users
        if u.get("userType") == "Member"
        and profile_of(u) in NOT_DONE
        and u["userPrincipalName"] not in done
    ]
    rng = random.Random(seed)
    chosen = rng.sample(left, round(len(left) * fraction)) if left else []
    return [conversion_for(u["userPrincipalName"], profile_of(u)) for u in chosen]


class Control:
    """The running emulator's control API (`/_emulator/...`)."""

    def __init__(self, graph_root: str) -> None:
        self.root = graph_root.rstrip("/")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.root}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def seed(self, users: Sequence[Mapping[str, Any]], chunk: int = 1000) -> int:
        added = 0
        for start in range(0, len(users), chunk):
            answer = self.call("POST", "bulk-users", {"users": list(users[start : start + chunk])})
            added += int(answer["added"])
        return added

    def convert(self, conversions: Iterable[Conversion]) -> int:
        count = 0
        for conversion in conversions:
            for path, body in conversion.calls:
                self.call("POST", path, body)
            count += 1
        return count

    def advance_days(self, days: float) -> None:
        self.call("POST", "clock", {"advanceSeconds": days * 86400})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", required=True, help="the emulator's root URL")
    parser.add_argument("--users", type=int, default=0, help="add this many campaign users")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--manager", help="a UPN every generated user reports to")
    parser.add_argument("--convert", type=float, default=0.0, help="fraction who convert now")
    parser.add_argument("--advance-days", type=float, default=0.0, help="then move the clock")
    args = parser.parse_args(argv)
    control = Control(args.graph)
    spec = TenantSpec(users=args.users or 5000, seed=args.seed, manager=args.manager)
    users = campaign_users(spec)
    if args.users:
        print(f"added {control.seed(users)} campaign users")
    if args.convert:
        done = control.convert(pick_converting(users, args.convert, seed=args.seed + 1))
        print(f"{done} users converted")
    if args.advance_days:
        control.advance_days(args.advance_days)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
