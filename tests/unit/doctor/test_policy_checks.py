"""TAP and Authenticator policy evaluation on the JSON Graph returns (graph-api.md §2); the
Authenticator rules per TARGET_METHODS."""

from __future__ import annotations

from typing import Any

import pytest

from shared.doctor.authenticator_checks import check_authenticator_policy
from shared.doctor.fetched import ReadFailure
from shared.doctor.result import CheckStatus
from shared.doctor.tap_checks import check_tap_policy
from shared.domain.passwordless import Target

GROUP = "g-passwordless"
NAMES = {GROUP: "Passwordless"}


def tap(**fields: Any) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
        "state": "enabled",
        "minimumLifetimeInMinutes": 60,
        "maximumLifetimeInMinutes": 480,
        "isUsableOnce": True,
        "includeTargets": [{"targetType": "group", "id": "all_users"}],
        "excludeTargets": [],
        **fields,
    }


def tap_results(policy: Any, lifetime: int = 240, one_time: bool = True) -> dict[str, Any]:
    results = check_tap_policy(
        policy, group_ids=[GROUP], group_names=NAMES, lifetime_minutes=lifetime, one_time=one_time
    )
    return {r.name: r for r in results}


def test_a_realistic_policy_passes_all_four() -> None:
    results = tap_results(tap())
    assert list(results) == ["tap.enabled", "tap.scope", "tap.lifetime", "tap.one_time"]
    assert {r.status for r in results.values()} == {CheckStatus.PASS}
    assert results["tap.one_time"].found == "one-time TAPs (policy forces one-time use)"


def test_multi_use_passes_are_fine_only_while_tapstart_retires_them() -> None:
    policy = tap(isUsableOnce=False)

    def one_time(retire: bool) -> Any:
        [result] = [
            r
            for r in check_tap_policy(
                policy,
                group_ids=[GROUP],
                group_names=NAMES,
                lifetime_minutes=240,
                one_time=False,
                retire_after_enrolment=retire,
            )
            if r.name == "tap.one_time"
        ]
        return result

    assert one_time(True).status is CheckStatus.PASS
    assert "deleted once its joiner reaches a target" in one_time(True).found
    assert one_time(False).status is CheckStatus.WARN
    assert "TAP_RETIRE_AFTER_ENROLMENT=true" in one_time(False).fix


def test_group_targeted_policy_passes_when_the_group_is_included() -> None:
    policy = tap(includeTargets=[{"targetType": "group", "id": GROUP}])
    assert tap_results(policy)["tap.scope"].found == "TAP policy targets Passwordless"


def test_excluded_group_wins_over_all_users() -> None:
    policy = tap(excludeTargets=[{"targetType": "group", "id": GROUP}])
    scope = tap_results(policy)["tap.scope"]
    assert scope.status is CheckStatus.FAIL
    assert "Exclude: remove the group" in scope.fix


@pytest.mark.parametrize(
    ("lifetime", "status", "given"),
    [
        (60, CheckStatus.PASS, None),
        (480, CheckStatus.PASS, None),
        (30, CheckStatus.WARN, 60),
        (600, CheckStatus.WARN, 480),
    ],
)
def test_lifetime_range_edges(lifetime: int, status: CheckStatus, given: int | None) -> None:
    check = tap_results(tap(), lifetime=lifetime)["tap.lifetime"]
    assert check.status is status
    if given:
        assert check.found.endswith(f"TAPs will last {given} min instead")


def test_missing_fields_use_the_portal_defaults() -> None:
    check = tap_results({"state": "enabled"}, lifetime=500)["tap.lifetime"]
    assert check.found.startswith("TAP_LIFETIME_MINUTES=500, policy allows 60–480 min")


def test_unreadable_policy_is_one_failure_naming_the_permission() -> None:
    results = check_tap_policy(
        ReadFailure(403, "Authorization_RequestDenied", "Insufficient privileges"),
        group_ids=[GROUP],
        group_names=NAMES,
        lifetime_minutes=60,
        one_time=True,
    )
    [only] = results
    assert only.status is CheckStatus.FAIL
    assert "Policy.Read.AuthenticationMethod" in only.fix


def authenticator(mode: str = "any", target: str = GROUP, **fields: Any) -> dict[str, Any]:
    return {
        "state": "enabled",
        "includeTargets": [{"targetType": "group", "id": target, "authenticationMode": mode}],
        "excludeTargets": [],
        **fields,
    }


def auth_results(
    policy: Any, targets: tuple[Target, ...] = (Target.PHONE_SIGN_IN,)
) -> dict[str, Any]:
    results = check_authenticator_policy(
        policy, group_ids=[GROUP], group_names=NAMES, targets=targets
    )
    return {r.name: r for r in results}


@pytest.mark.parametrize(
    ("mode", "status"),
    [("any", CheckStatus.PASS), ("deviceBasedPush", CheckStatus.PASS), ("push", CheckStatus.FAIL)],
)
def test_authentication_mode(mode: str, status: CheckStatus) -> None:
    assert auth_results(authenticator(mode))["authenticator.target[Passwordless]"].status is status


def test_all_users_target_covers_the_group_with_its_mode() -> None:
    check = auth_results(authenticator("push", target="all_users"))[
        "authenticator.target[Passwordless]"
    ]
    assert check.status is CheckStatus.FAIL
    assert "(via all users) in mode 'push'" in check.found


def test_the_groups_own_target_overrides_all_users() -> None:
    policy = authenticator("push", target="all_users")
    policy["includeTargets"].append(
        {"targetType": "group", "id": GROUP, "authenticationMode": "any"}
    )
    assert auth_results(policy)["authenticator.target[Passwordless]"].status is CheckStatus.PASS


def test_exclusion_fails_even_when_included() -> None:
    policy = authenticator(excludeTargets=[{"targetType": "group", "id": GROUP}])
    assert "is excluded" in auth_results(policy)["authenticator.target[Passwordless]"].found


def test_context_features_off_warn_and_default_passes() -> None:
    off = {"displayLocationInformationRequiredState": {"state": "disabled"}}
    assert (
        auth_results(authenticator(featureSettings=off))["authenticator.features"].status
        is CheckStatus.WARN
    )
    default = {"displayAppInformationRequiredState": {"state": "default"}}
    check = auth_results(authenticator(featureSettings=default))["authenticator.features"]
    assert check.status is CheckStatus.PASS
    assert check.found == "application name in prompts: default"


# --- the Authenticator policy as TARGET_METHODS need it -----------------------------------

PHONE = (Target.PHONE_SIGN_IN,)
APP_PASSKEY = (Target.AUTHENTICATOR_PASSKEY,)
TARGET = "authenticator.target[Passwordless]"


@pytest.mark.parametrize(
    ("targets", "status"),
    [
        (PHONE, CheckStatus.FAIL),
        ((Target.PHONE_SIGN_IN, Target.PASSKEY), CheckStatus.FAIL),
        (APP_PASSKEY, CheckStatus.PASS),
        ((Target.AUTHENTICATOR_PASSKEY, Target.PASSKEY), CheckStatus.PASS),
    ],
)
def test_push_mode_fails_only_when_phone_sign_in_is_a_target(
    targets: tuple[Target, ...], status: CheckStatus
) -> None:
    check = auth_results(authenticator("push"), targets)[TARGET]
    assert check.status is status
    if status is CheckStatus.PASS:
        assert check.found.endswith("in mode 'push' (phone sign-in is not a target)")


@pytest.mark.parametrize(
    ("policy", "name"),
    [
        (authenticator(state="disabled"), "authenticator.enabled"),
        (authenticator(target="someone-else"), TARGET),
        (authenticator(excludeTargets=[{"targetType": "group", "id": GROUP}]), TARGET),
    ],
    ids=["disabled", "not_targeted", "excluded"],
)
def test_without_phone_sign_in_a_missing_authenticator_policy_only_warns(
    policy: dict[str, Any], name: str
) -> None:
    assert auth_results(policy, PHONE)[name].status is CheckStatus.FAIL
    check = auth_results(policy, APP_PASSKEY)[name]
    assert check.status is CheckStatus.WARN
    assert "governed by the Passkey (FIDO2) policy" in check.found
    assert "Microsoft Authenticator" in check.fix


@pytest.mark.parametrize(
    "targets",
    [(Target.PASSKEY,), (Target.WINDOWS_HELLO,), (Target.PASSKEY, Target.WINDOWS_HELLO)],
)
def test_targets_without_authenticator_skip_the_policy_even_when_unreadable(
    targets: tuple[Target, ...],
) -> None:
    for policy in (None, ReadFailure(403, "Forbidden", ""), authenticator("push")):
        [only] = check_authenticator_policy(
            policy, group_ids=[GROUP], group_names=NAMES, targets=targets
        )
        assert (only.name, only.status) == ("authenticator.policy", CheckStatus.PASS)
        assert only.found.startswith("not checked: TARGET_METHODS (")


def test_a_needed_policy_that_was_not_read_fails() -> None:
    [only] = check_authenticator_policy(None, group_ids=[GROUP], group_names=NAMES, targets=PHONE)
    assert (only.name, only.status) == ("authenticator.policy", CheckStatus.FAIL)


def test_the_features_are_checked_for_authenticator_passkeys_too() -> None:
    off = {"numberMatchingRequiredState": {"state": "disabled"}}
    check = auth_results(authenticator(featureSettings=off), APP_PASSKEY)["authenticator.features"]
    assert check.status is CheckStatus.WARN
