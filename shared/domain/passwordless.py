"""Where a joiner stands on the way to passwordless sign-in, and what that means for the TAP.

A joiner is done only when one of the configured *target* methods is registered: passwordless
phone sign-in in Microsoft Authenticator, a passkey in Authenticator, any passkey (FIDO2), or
Windows Hello for Business. An Authenticator registration for push notifications alone is not a
target: it still asks for a password.

Two readings of the same question live here, one table each, so they cannot drift apart:
- the live one, from `GET /users/{id}/authentication/methods` (+ the Authenticator methods'
  `device`, which Graph leaves null unless the phone is registered for phone sign-in), parsed
  into `SignInMethod`s and decided by `progress`;
- the daily one, from `userRegistrationDetails.methodsRegistered` names (`report_stage`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.graph_time import parse_graph_time


class Target(StrEnum):
    PHONE_SIGN_IN = "phone_sign_in"  # Authenticator with a device registered for phone sign-in
    AUTHENTICATOR_PASSKEY = "authenticator_passkey"  # a passkey kept in Authenticator
    PASSKEY = "passkey"  # any passkey or FIDO2 security key, Authenticator's included
    WINDOWS_HELLO = "windows_hello"  # Windows Hello for Business


DEFAULT_TARGETS: tuple[Target, ...] = (Target.PHONE_SIGN_IN, Target.PASSKEY)

# Microsoft Authenticator's passkey AAGUIDs (iOS, Android), as Microsoft publishes them for the
# FIDO2 policy's key restrictions.
AUTHENTICATOR_AAGUIDS = frozenset(
    {"90a3ccdf-635c-4729-a248-9b709135078f", "de1e552d-db1d-4423-a619-566b625cdc84"}
)


def parse_targets(raw: str) -> tuple[Target, ...]:
    """`TARGET_METHODS`: comma-separated names, each once, in the order given."""
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not names:
        raise ValueError("name at least one target method")
    known = {t.value: t for t in Target}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown target method(s) {unknown}; known: {sorted(known)}")
    return tuple(dict.fromkeys(known[n] for n in names))


# --- The live reading ----------------------------------------------------------------------


class MethodKind(StrEnum):
    PASSWORD = "password"
    TAP = "tap"
    AUTHENTICATOR = "authenticator"
    FIDO2 = "fido2"
    WINDOWS_HELLO = "windows_hello"
    PHONE = "phone"
    EMAIL = "email"
    OATH = "oath"
    OTHER = "other"


_KINDS = {
    "#microsoft.graph.passwordAuthenticationMethod": MethodKind.PASSWORD,
    "#microsoft.graph.temporaryAccessPassAuthenticationMethod": MethodKind.TAP,
    "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": MethodKind.AUTHENTICATOR,
    "#microsoft.graph.fido2AuthenticationMethod": MethodKind.FIDO2,
    "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": MethodKind.WINDOWS_HELLO,
    "#microsoft.graph.phoneAuthenticationMethod": MethodKind.PHONE,
    "#microsoft.graph.emailAuthenticationMethod": MethodKind.EMAIL,
    "#microsoft.graph.softwareOathAuthenticationMethod": MethodKind.OATH,
}


@dataclass(frozen=True)
class SignInMethod:
    """One entry of a user's authentication methods, reduced to what the stages need."""

    kind: MethodKind
    id: str
    created: datetime | None = None
    aaguid: str | None = None  # FIDO2 only
    # Authenticator only: True/False once the `device` relationship was read, None before.
    phone_sign_in: bool | None = None
    # TAP only: Graph's `isUsable` and `methodUsabilityReason`.
    usable: bool | None = None
    usability_reason: str | None = None


def method_from_json(data: Mapping[str, Any]) -> SignInMethod:
    kind = _KINDS.get(str(data.get("@odata.type", "")), MethodKind.OTHER)
    aaguid = data.get("aaGuid")
    usable = data.get("isUsable")
    reason = data.get("methodUsabilityReason")
    created = data.get("createdDateTime")
    return SignInMethod(
        kind=kind,
        id=str(data.get("id", "")),
        created=parse_graph_time(created if isinstance(created, str) else None),
        aaguid=aaguid.lower() if isinstance(aaguid, str) and aaguid else None,
        usable=usable if isinstance(usable, bool) else None,
        usability_reason=reason if isinstance(reason, str) else None,
    )


def with_devices(
    methods: Sequence[SignInMethod], phone_sign_in: Mapping[str, bool]
) -> tuple[SignInMethod, ...]:
    """Fill in each Authenticator method's phone sign-in flag from the `device` read."""
    out = []
    for m in methods:
        if m.kind is MethodKind.AUTHENTICATOR and m.id in phone_sign_in:
            m = SignInMethod(m.kind, m.id, m.created, phone_sign_in=phone_sign_in[m.id])
        out.append(m)
    return tuple(out)


def _reached(method: SignInMethod, target: Target) -> bool:
    if target is Target.PHONE_SIGN_IN:
        return method.kind is MethodKind.AUTHENTICATOR and method.phone_sign_in is True
    if target is Target.AUTHENTICATOR_PASSKEY:
        return method.kind is MethodKind.FIDO2 and method.aaguid in AUTHENTICATOR_AAGUIDS
    if target is Target.PASSKEY:
        return method.kind is MethodKind.FIDO2
    return method.kind is MethodKind.WINDOWS_HELLO


def target_reached(methods: Iterable[SignInMethod], targets: Sequence[Target]) -> Target | None:
    listed = tuple(methods)
    return next((t for t in targets if any(_reached(m, t) for m in listed)), None)


def needs_device_read(methods: Sequence[SignInMethod], targets: Sequence[Target]) -> bool:
    """Whether only the Authenticator `device` read can tell: spend that call only then."""
    if Target.PHONE_SIGN_IN not in targets or target_reached(methods, targets):
        return False
    return any(m.kind is MethodKind.AUTHENTICATOR and m.phone_sign_in is None for m in methods)


class Stage(StrEnum):
    """Ordered: each stage implies the ones before it."""

    DELIVERED = "delivered"  # the pass is with the manager; nothing done with it yet
    TAP_USED = "tap_used"  # signed in with the pass (or it was used up) — no Authenticator yet
    AUTHENTICATOR = "authenticator"  # Authenticator registered, but no target yet
    TARGET = "target"  # a target method is registered: done

    @property
    def rank(self) -> int:
        return list(Stage).index(self)


class TapState(StrEnum):
    """Tapstart's own TAP, as Graph reports it now."""

    USABLE = "usable"
    NOT_YET_VALID = "not_yet_valid"
    USED = "used"  # a one-time pass that was used
    EXPIRED = "expired"
    DISABLED = "disabled"  # the TAP policy no longer allows it
    GONE = "gone"  # deleted, replaced, or never issued

    @property
    def live(self) -> bool:
        """Still a way into the account, now or from its start: worth retiring."""
        return self in {TapState.USABLE, TapState.NOT_YET_VALID}


_TAP_REASONS = {
    "NotYetValid": TapState.NOT_YET_VALID,
    "OneTimeUsed": TapState.USED,
    "Expired": TapState.EXPIRED,
    "DisabledByPolicy": TapState.DISABLED,
}
# Registered by someone signing in: proof the pass was used when it came after the pass started.
_REGISTERED_KINDS = frozenset(
    {
        MethodKind.AUTHENTICATOR,
        MethodKind.FIDO2,
        MethodKind.WINDOWS_HELLO,
        MethodKind.PHONE,
        MethodKind.EMAIL,
        MethodKind.OATH,
    }
)


def tap_state(methods: Iterable[SignInMethod], tap_id: str | None) -> TapState:
    """Only the TAP whose id Tapstart recorded counts: another one is never Tapstart's."""
    tap = next((m for m in methods if m.kind is MethodKind.TAP and tap_id and m.id == tap_id), None)
    if tap is None:
        return TapState.GONE
    if tap.usable is True:
        return TapState.USABLE
    # Unusable with an unknown reason: treat as expired (fails closed: nothing is retired).
    return _TAP_REASONS.get(tap.usability_reason or "", TapState.EXPIRED)


@dataclass(frozen=True)
class Progress:
    stage: Stage
    tap: TapState
    reached: Target | None  # the target found, when stage is TARGET
    # When a stage's method was registered, where Graph says (createdDateTime).
    times: Mapping[Stage, datetime] = field(default_factory=dict)


def progress(
    methods: Sequence[SignInMethod],
    targets: Sequence[Target],
    *,
    tap_id: str | None,
    tap_start: datetime | None,
) -> Progress:
    tap = tap_state(methods, tap_id)
    reached = target_reached(methods, targets)
    if reached is not None:
        stage = Stage.TARGET
    elif any(m.kind is MethodKind.AUTHENTICATOR for m in methods):
        stage = Stage.AUTHENTICATOR
    elif tap is TapState.USED or _registered_since(methods, tap_start):
        stage = Stage.TAP_USED
    else:
        stage = Stage.DELIVERED
    return Progress(stage, tap, reached, _stage_times(methods, reached))


def _first(methods: Iterable[SignInMethod]) -> datetime | None:
    return min((m.created for m in methods if m.created is not None), default=None)


def _stage_times(methods: Sequence[SignInMethod], reached: Target | None) -> dict[Stage, datetime]:
    times: dict[Stage, datetime] = {}
    authenticator = _first(m for m in methods if m.kind is MethodKind.AUTHENTICATOR)
    if authenticator is not None:
        times[Stage.AUTHENTICATOR] = authenticator
    if reached is not None:
        at = _first(m for m in methods if _reached(m, reached))
        if at is not None:
            times[Stage.TARGET] = at
    return times


def _registered_since(methods: Sequence[SignInMethod], start: datetime | None) -> bool:
    if start is None:
        return False
    return any(
        m.kind in _REGISTERED_KINDS and m.created is not None and m.created >= start
        for m in methods
    )


# --- The daily reading ---------------------------------------------------------------------

# `methodsRegistered` names of passkeys and FIDO2 keys (the usageAuthMethod enum quoted in
# graph-api.md §4.1; `fido2` is the older spelling public scripts still filter on). The report's
# tenant figures count these as phishing-resistant too.
PASSKEY_REPORT_NAMES = frozenset(
    {
        "passKeyDeviceBound",
        "passKeyDeviceBoundAuthenticator",
        "passKeyDeviceBoundWindowsHello",
        "passKeySynced",
        "fido2SecurityKey",
        "fido2",
    }
)
# `methodsRegistered` names per target (userRegistrationDetails; graph-api.md §4).
_REPORT_TARGETS: Mapping[Target, frozenset[str]] = {
    Target.PHONE_SIGN_IN: frozenset({"microsoftAuthenticatorPasswordless"}),
    Target.AUTHENTICATOR_PASSKEY: frozenset({"passKeyDeviceBoundAuthenticator"}),
    Target.PASSKEY: PASSKEY_REPORT_NAMES,
    Target.WINDOWS_HELLO: frozenset({"windowsHelloForBusiness"}),
}
_REPORT_AUTHENTICATOR = frozenset(
    {"microsoftAuthenticatorPush", "microsoftAuthenticatorPasswordless"}
)


def report_target(methods_registered: Iterable[str], targets: Sequence[Target]) -> Target | None:
    names = frozenset(methods_registered)
    return next((t for t in targets if names & _REPORT_TARGETS[t]), None)


def report_stage(methods_registered: Iterable[str], targets: Sequence[Target]) -> Stage | None:
    """The stage the report proves (None: it proves nothing beyond delivery)."""
    names = frozenset(methods_registered)
    if report_target(names, targets) is not None:
        return Stage.TARGET
    if names & _REPORT_AUTHENTICATOR:
        return Stage.AUTHENTICATOR
    return None


# --- What follows from the stage -----------------------------------------------------------


class Nudge(StrEnum):
    """What the next reminder asks of the joiner."""

    USE_PASS = "use_pass"  # sign in with the pass and set up the target
    PASS_LAPSED = "pass_lapsed"  # the pass no longer works: the manager gets a new one
    TURN_ON_PHONE_SIGN_IN = "turn_on_phone_sign_in"  # Authenticator is there: enable it
    ADD_PASSKEY = "add_passkey"  # Authenticator is there, but the targets are passkeys
    NONE = "none"  # target reached


def nudge_for(p: Progress, targets: Sequence[Target]) -> Nudge:
    if p.stage is Stage.TARGET:
        return Nudge.NONE
    if p.stage is Stage.AUTHENTICATOR:
        if Target.PHONE_SIGN_IN in targets:
            return Nudge.TURN_ON_PHONE_SIGN_IN
        if Target.PASSKEY in targets or Target.AUTHENTICATOR_PASSKEY in targets:
            return Nudge.ADD_PASSKEY
    # Windows Hello alone as the target: the general "set up your sign-in" text names it.
    return Nudge.USE_PASS if p.tap.live else Nudge.PASS_LAPSED


def tap_to_retire(p: Progress, tap_id: str | None, *, enabled: bool) -> str | None:
    """The TAP to delete now: Tapstart's own, still live, and the joiner reached a target."""
    if not enabled or tap_id is None or p.stage is not Stage.TARGET or not p.tap.live:
        return None
    return tap_id


@dataclass(frozen=True)
class StageHelp:
    label: str
    fix: str


# For the report and the admins (English): where a joiner is stuck, and what gets them moving.
STUCK_AT: Mapping[Stage, StageHelp] = {
    Stage.DELIVERED: StageHelp(
        "pass delivered, not used",
        "ask the manager to hand the pass over and sit with the joiner for the first sign-in",
    ),
    Stage.TAP_USED: StageHelp(
        "signed in with the pass, Authenticator not set up",
        "if the pass is used up or expired, re-issue it (tapstart onboard --reissue or "
        "REMINDER_REISSUE_TAP); check the audit log for a registration blocked by Conditional "
        "Access",
    ),
    Stage.AUTHENTICATOR: StageHelp(
        "Authenticator registered, phone sign-in not enabled",
        "the joiner turns on phone sign-in in Authenticator; if the phone already has phone "
        "sign-in for another work account, remove that registration or use a passkey instead",
    ),
    Stage.TARGET: StageHelp("passwordless", "nothing: done"),
}
