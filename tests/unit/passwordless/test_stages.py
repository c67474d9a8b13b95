"""The stage decision: every combination of registered methods, each target set, the TAP."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.passwordless import (
    AUTHENTICATOR_AAGUIDS,
    DEFAULT_TARGETS,
    MethodKind,
    Nudge,
    SignInMethod,
    Stage,
    TapState,
    Target,
    method_from_json,
    needs_device_read,
    nudge_for,
    parse_targets,
    progress,
    report_stage,
    report_target,
    tap_state,
    tap_to_retire,
    with_devices,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
IOS, ANDROID = sorted(AUTHENTICATOR_AAGUIDS)
YUBIKEY = "cb69481e-8ff7-4039-93ec-0a2729a154a8"

PUSH = SignInMethod(MethodKind.AUTHENTICATOR, "a1", T0 + timedelta(hours=1), phone_sign_in=False)
PHONE_SIGN_IN = SignInMethod(
    MethodKind.AUTHENTICATOR, "a1", T0 + timedelta(hours=1), phone_sign_in=True
)
AUTH_PASSKEY = SignInMethod(MethodKind.FIDO2, "f1", T0 + timedelta(hours=2), aaguid=IOS)
SECURITY_KEY = SignInMethod(MethodKind.FIDO2, "f2", T0 + timedelta(hours=3), aaguid=YUBIKEY)
HELLO = SignInMethod(MethodKind.WINDOWS_HELLO, "w1", T0 + timedelta(hours=4))
SMS = SignInMethod(MethodKind.PHONE, "p1", T0 + timedelta(minutes=30))
PASSWORD = SignInMethod(MethodKind.PASSWORD, "pw", T0 - timedelta(days=3))


def tap(reason: str = "EnabledByPolicy", tap_id: str = "tap-1") -> SignInMethod:
    return SignInMethod(
        MethodKind.TAP, tap_id, T0, usable=reason == "EnabledByPolicy", usability_reason=reason
    )


def stage_of(*methods: SignInMethod, targets: tuple[Target, ...] = DEFAULT_TARGETS) -> Stage:
    return progress(list(methods), targets, tap_id="tap-1", tap_start=T0).stage


# --- explicit cases ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("methods", "targets", "stage", "reached"),
    [
        ((PASSWORD, tap()), DEFAULT_TARGETS, Stage.DELIVERED, None),
        ((PASSWORD, tap("OneTimeUsed")), DEFAULT_TARGETS, Stage.TAP_USED, None),
        ((PASSWORD, tap("Expired")), DEFAULT_TARGETS, Stage.DELIVERED, None),
        ((PASSWORD, tap(), SMS), DEFAULT_TARGETS, Stage.TAP_USED, None),  # signed in with it
        ((PASSWORD, tap(), PUSH), DEFAULT_TARGETS, Stage.AUTHENTICATOR, None),
        ((tap(), PHONE_SIGN_IN), DEFAULT_TARGETS, Stage.TARGET, Target.PHONE_SIGN_IN),
        ((tap(), AUTH_PASSKEY), DEFAULT_TARGETS, Stage.TARGET, Target.PASSKEY),
        ((tap(), SECURITY_KEY), DEFAULT_TARGETS, Stage.TARGET, Target.PASSKEY),
        ((tap(), HELLO), DEFAULT_TARGETS, Stage.TAP_USED, None),  # not a target here
        ((tap(), HELLO), (Target.WINDOWS_HELLO,), Stage.TARGET, Target.WINDOWS_HELLO),
        ((tap(), SECURITY_KEY), (Target.AUTHENTICATOR_PASSKEY,), Stage.TAP_USED, None),
        (
            (tap(), PUSH, AUTH_PASSKEY),
            (Target.AUTHENTICATOR_PASSKEY,),
            Stage.TARGET,
            Target.AUTHENTICATOR_PASSKEY,
        ),
        ((tap(), PHONE_SIGN_IN), (Target.PASSKEY,), Stage.AUTHENTICATOR, None),
        # The order of TARGET_METHODS decides which target is named when several are there.
        (
            (tap(), PHONE_SIGN_IN, SECURITY_KEY),
            (Target.PASSKEY, Target.PHONE_SIGN_IN),
            Stage.TARGET,
            Target.PASSKEY,
        ),
    ],
)
def test_stage_and_target_for_each_case(
    methods: tuple[SignInMethod, ...],
    targets: tuple[Target, ...],
    stage: Stage,
    reached: Target | None,
) -> None:
    p = progress(list(methods), targets, tap_id="tap-1", tap_start=T0)

    assert (p.stage, p.reached) == (stage, reached)


def test_hello_before_the_pass_started_does_not_count_as_using_it() -> None:
    # A method registered before the TAP existed is no proof the joiner used the pass.
    old = SignInMethod(MethodKind.PHONE, "p0", T0 - timedelta(days=1))

    assert stage_of(PASSWORD, tap(), old) is Stage.DELIVERED


def test_stage_times_are_the_methods_creation_times() -> None:
    p = progress([tap(), PUSH, AUTH_PASSKEY], DEFAULT_TARGETS, tap_id="tap-1", tap_start=T0)

    assert p.times == {Stage.AUTHENTICATOR: PUSH.created, Stage.TARGET: AUTH_PASSKEY.created}


# --- every combination ---------------------------------------------------------------------

OPTIONAL = (PUSH, PHONE_SIGN_IN, AUTH_PASSKEY, SECURITY_KEY, HELLO, SMS)
TAPS = ("EnabledByPolicy", "NotYetValid", "OneTimeUsed", "Expired", "DisabledByPolicy", None)
TARGET_SETS = [
    tuple(c) for n in range(1, len(Target) + 1) for c in itertools.combinations(Target, n)
]


def _combinations() -> list[tuple[tuple[SignInMethod, ...], str | None]]:
    out = []
    for n in range(len(OPTIONAL) + 1):
        for combo in itertools.combinations(OPTIONAL, n):
            if PUSH in combo and PHONE_SIGN_IN in combo:
                continue  # the same Authenticator registration cannot be both
            out.extend((combo, reason) for reason in TAPS)
    return out


def _satisfies(method: SignInMethod, target: Target) -> bool:
    # Stated from the definitions, one literal per target.
    return {
        Target.PHONE_SIGN_IN: method is PHONE_SIGN_IN,
        Target.AUTHENTICATOR_PASSKEY: method is AUTH_PASSKEY,
        Target.PASSKEY: method in (AUTH_PASSKEY, SECURITY_KEY),
        Target.WINDOWS_HELLO: method is HELLO,
    }[target]


@pytest.mark.parametrize("targets", TARGET_SETS, ids=lambda t: "+".join(x.value for x in t))
def test_every_combination_of_methods(targets: tuple[Target, ...]) -> None:
    for combo, reason in _combinations():
        methods = [PASSWORD, *combo, *([tap(reason)] if reason else [])]
        p = progress(methods, targets, tap_id="tap-1", tap_start=T0)
        reached = [t for t in targets if any(_satisfies(m, t) for m in combo)]
        has_authenticator = PUSH in combo or PHONE_SIGN_IN in combo
        label = f"{[m.id for m in combo]} tap={reason} targets={targets}"
        if reached:
            assert (p.stage, p.reached) == (Stage.TARGET, reached[0]), label
        elif has_authenticator:
            assert p.stage is Stage.AUTHENTICATOR and p.reached is None, label
        elif combo or reason == "OneTimeUsed":
            assert p.stage is Stage.TAP_USED, label  # every optional method came after T0
        else:
            assert p.stage is Stage.DELIVERED, label
        # Push alone never counts, whatever the targets.
        if combo == (PUSH,):
            assert p.stage is not Stage.TARGET, label
        # Retire only on a target, and only a pass that still works.
        retire = tap_to_retire(p, "tap-1", enabled=True)
        live = reason in ("EnabledByPolicy", "NotYetValid")
        assert (retire == "tap-1") is (bool(reached) and live), label
        assert tap_to_retire(p, "tap-1", enabled=False) is None


# --- the TAP ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "state"),
    [
        ("EnabledByPolicy", TapState.USABLE),
        ("NotYetValid", TapState.NOT_YET_VALID),
        ("OneTimeUsed", TapState.USED),
        ("Expired", TapState.EXPIRED),
        ("DisabledByPolicy", TapState.DISABLED),
        ("SomethingNew", TapState.EXPIRED),  # unknown: not live, so never retired
    ],
)
def test_tap_state_from_graphs_usability_reason(reason: str, state: TapState) -> None:
    assert tap_state([tap(reason)], "tap-1") is state


def test_a_tap_that_is_not_tapstarts_is_never_the_one_retired() -> None:
    theirs = tap(tap_id="helpdesk-tap")
    p = progress([theirs, PHONE_SIGN_IN], DEFAULT_TARGETS, tap_id="tap-1", tap_start=T0)

    assert p.tap is TapState.GONE
    assert tap_to_retire(p, "tap-1", enabled=True) is None
    assert tap_state([theirs], None) is TapState.GONE


# --- the live read ---------------------------------------------------------------------------


def test_method_from_graph_json() -> None:
    auth = method_from_json(
        {
            "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
            "id": "a1",
            "createdDateTime": None,  # Graph: null unless registered for phone sign-in
        }
    )
    key = method_from_json(
        {
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": "f",
            "aaGuid": IOS.upper(),
        }
    )
    pass_ = method_from_json(
        {
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            "id": "t",
            "isUsable": False,
            "methodUsabilityReason": "OneTimeUsed",
            "createdDateTime": "2026-12-01T08:00:00Z",
        }
    )

    assert (auth.kind, auth.created, auth.phone_sign_in) == (MethodKind.AUTHENTICATOR, None, None)
    assert (key.kind, key.aaguid) == (MethodKind.FIDO2, IOS)
    assert (pass_.usable, pass_.usability_reason, pass_.created) == (False, "OneTimeUsed", T0)
    assert method_from_json({"@odata.type": "#microsoft.graph.newThing"}).kind is MethodKind.OTHER


def test_the_device_read_is_spent_only_when_it_decides() -> None:
    unknown = SignInMethod(MethodKind.AUTHENTICATOR, "a1")

    assert needs_device_read([unknown], DEFAULT_TARGETS)
    assert not needs_device_read([unknown, SECURITY_KEY], DEFAULT_TARGETS)  # target already met
    assert not needs_device_read([unknown], (Target.PASSKEY,))  # phone sign-in is no target
    assert not needs_device_read([SMS], DEFAULT_TARGETS)  # no Authenticator at all
    filled = with_devices([unknown, SMS], {"a1": True})
    assert filled[0].phone_sign_in is True and filled[1] is SMS
    # An Authenticator whose device could not be read is not phone sign-in: fails closed.
    assert stage_of(unknown, tap()) is Stage.AUTHENTICATOR


# --- the report's reading --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "targets", "stage", "target"),
    [
        (["microsoftAuthenticatorPush"], DEFAULT_TARGETS, Stage.AUTHENTICATOR, None),
        (
            ["microsoftAuthenticatorPush", "microsoftAuthenticatorPasswordless"],
            DEFAULT_TARGETS,
            Stage.TARGET,
            Target.PHONE_SIGN_IN,
        ),
        (["passKeyDeviceBoundAuthenticator"], DEFAULT_TARGETS, Stage.TARGET, Target.PASSKEY),
        (
            ["passKeyDeviceBoundAuthenticator"],
            (Target.AUTHENTICATOR_PASSKEY,),
            Stage.TARGET,
            Target.AUTHENTICATOR_PASSKEY,
        ),
        (["fido2SecurityKey"], (Target.AUTHENTICATOR_PASSKEY,), None, None),
        (["windowsHelloForBusiness"], DEFAULT_TARGETS, None, None),
        (["windowsHelloForBusiness"], (Target.WINDOWS_HELLO,), Stage.TARGET, Target.WINDOWS_HELLO),
        (["mobilePhone", "email"], DEFAULT_TARGETS, None, None),
        ([], DEFAULT_TARGETS, None, None),
    ],
)
def test_report_stage(
    names: list[str], targets: tuple[Target, ...], stage: Stage | None, target: Target | None
) -> None:
    assert report_stage(names, targets) is stage
    assert report_target(names, targets) is target


# --- what follows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("methods", "targets", "nudge"),
    [
        ((tap(),), DEFAULT_TARGETS, Nudge.USE_PASS),
        ((tap("NotYetValid"),), DEFAULT_TARGETS, Nudge.USE_PASS),
        ((tap("OneTimeUsed"),), DEFAULT_TARGETS, Nudge.PASS_LAPSED),
        ((tap("Expired"), SMS), DEFAULT_TARGETS, Nudge.PASS_LAPSED),
        ((), DEFAULT_TARGETS, Nudge.PASS_LAPSED),  # the pass is gone
        ((tap(), SMS), DEFAULT_TARGETS, Nudge.USE_PASS),  # multi-use pass, still good
        ((tap("Expired"), PUSH), DEFAULT_TARGETS, Nudge.TURN_ON_PHONE_SIGN_IN),
        ((tap(), PUSH), (Target.PASSKEY,), Nudge.ADD_PASSKEY),
        ((tap(), PUSH), (Target.AUTHENTICATOR_PASSKEY,), Nudge.ADD_PASSKEY),
        ((tap(), PUSH), (Target.WINDOWS_HELLO,), Nudge.USE_PASS),
        ((tap("Expired"), PUSH), (Target.WINDOWS_HELLO,), Nudge.PASS_LAPSED),
        ((tap(), PHONE_SIGN_IN), DEFAULT_TARGETS, Nudge.NONE),
    ],
)
def test_nudge_follows_the_stage(
    methods: tuple[SignInMethod, ...], targets: tuple[Target, ...], nudge: Nudge
) -> None:
    p = progress([PASSWORD, *methods], targets, tap_id="tap-1", tap_start=T0)

    assert nudge_for(p, targets) is nudge


def test_parse_targets() -> None:
    assert parse_targets(" passkey , phone_sign_in,passkey") == (
        Target.PASSKEY,
        Target.PHONE_SIGN_IN,
    )
    with pytest.raises(ValueError, match="unknown target method"):
        parse_targets("phone_sign_in,sms")
    with pytest.raises(ValueError, match="at least one"):
        parse_targets(" , ")
