"""The Passkey (FIDO2) policy per target (shared/doctor/passkey_checks.py), on the JSON Graph v1.0
returns for a fido2AuthenticationMethodConfiguration."""

from __future__ import annotations

from typing import Any

import pytest

from shared.doctor import portal
from shared.doctor.fetched import ReadFailure
from shared.doctor.passkey_checks import (
    AUTHENTICATOR_AAGUID_NAMES,
    check_passkey_policy,
    needs_fido2_policy,
    permits,
)
from shared.doctor.result import CheckResult, CheckStatus
from shared.domain.passwordless import AUTHENTICATOR_AAGUIDS, Target

PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL
GROUP = "g-passwordless"
OTHER = "g-other"
NAMES = {GROUP: "Passwordless", OTHER: "Other"}
IOS = "90a3ccdf-635c-4729-a248-9b709135078f"
ANDROID = "de1e552d-db1d-4423-a619-566b625cdc84"
KEY = "cb69481e-8ff7-4039-93ec-0a2729a154a8"  # some security key model
PASSKEY = (Target.PASSKEY,)
APP = (Target.AUTHENTICATOR_PASSKEY,)
BOTH = (Target.AUTHENTICATOR_PASSKEY, Target.PASSKEY)
TARGET = "fido2.target[Passwordless]"
KEYS = "fido2.key_restrictions[Passwordless]"
ATTESTATION = "fido2.attestation[Passwordless]"


def group_target(group: str = GROUP, **fields: Any) -> dict[str, Any]:
    return {"targetType": "group", "id": group, "isRegistrationRequired": False, **fields}


def fido2(**fields: Any) -> dict[str, Any]:
    """A v1.0 read of a policy without passkey profiles that lets the group register anything."""
    return {
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "id": "Fido2",
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": True,
        "isAttestationEnforced": False,
        "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
        "includeTargets": [group_target()],
        "excludeTargets": [],
        **fields,
    }


def restricted(kind: str, *aaguids: str) -> dict[str, Any]:
    return fido2(
        keyRestrictions={"isEnforced": True, "enforcementType": kind, "aaGuids": list(aaguids)}
    )


def run(
    policy: Any, targets: tuple[Target, ...] = PASSKEY, groups: tuple[str, ...] = (GROUP,)
) -> dict[str, CheckResult]:
    results = check_passkey_policy(
        policy, targets=targets, group_ids=list(groups), group_names=NAMES
    )
    by_name = {r.name: r for r in results}
    assert len(by_name) == len(results), "check names are unique"
    return by_name


# --- which targets read it -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("targets", "needed"),
    [
        (PASSKEY, True),
        (APP, True),
        ((Target.PHONE_SIGN_IN, Target.PASSKEY), True),
        ((Target.PHONE_SIGN_IN,), False),
        ((Target.WINDOWS_HELLO,), False),
        ((Target.PHONE_SIGN_IN, Target.WINDOWS_HELLO), False),
    ],
)
def test_only_passkey_targets_need_the_policy(targets: tuple[Target, ...], needed: bool) -> None:
    assert needs_fido2_policy(targets) is needed
    unreadable = ReadFailure(403, "Authorization_RequestDenied", "")
    assert bool(run(unreadable, targets)) is needed


def test_the_authenticator_aaguids_are_the_domains() -> None:
    assert set(AUTHENTICATOR_AAGUID_NAMES) == set(AUTHENTICATOR_AAGUIDS)
    assert AUTHENTICATOR_AAGUID_NAMES[IOS].endswith("iOS")
    assert AUTHENTICATOR_AAGUID_NAMES[ANDROID].endswith("Android")


# --- the whole policy ------------------------------------------------------------------------


@pytest.mark.parametrize("targets", [PASSKEY, APP, BOTH])
def test_a_permissive_policy_passes_every_check(targets: tuple[Target, ...]) -> None:
    results = run(fido2(), targets)
    assert list(results) == ["fido2.enabled", "fido2.self_service", TARGET, KEYS, ATTESTATION]
    assert {r.status for r in results.values()} == {PASS}
    assert "key restrictions not enforced" in results[KEYS].found


@pytest.mark.parametrize("targets", [PASSKEY, APP])
def test_disabled_policy_fails_naming_the_targets(targets: tuple[Target, ...]) -> None:
    check = run(fido2(state="disabled"), targets)["fido2.enabled"]
    assert check.status is FAIL
    assert f"TARGET_METHODS {targets[0].value} cannot be reached" in check.found
    assert check.fix.startswith(portal.FIDO2_POLICY)


@pytest.mark.parametrize("value", [False, None])
def test_self_service_off_fails(value: bool | None) -> None:
    policy = fido2(isSelfServiceRegistrationAllowed=value)
    if value is None:
        del policy["isSelfServiceRegistrationAllowed"]
    check = run(policy)["fido2.self_service"]
    assert check.status is FAIL
    assert "joiners cannot add a passkey themselves" in check.found
    assert check.fix.endswith("Allow self-service set up: Yes")


def test_unreadable_policy_is_one_failure_naming_the_permission() -> None:
    [only] = run(
        ReadFailure(403, "Authorization_RequestDenied", "Insufficient privileges")
    ).values()
    assert (only.name, only.status) == ("fido2.policy", FAIL)
    assert "Policy.Read.AuthenticationMethod" in only.fix


def test_a_missing_configuration_says_so_rather_than_blaming_an_object_id() -> None:
    [only] = run(ReadFailure(404, "NotFound", "Fido2")).values()
    assert only.status is FAIL
    assert only.found.startswith("Graph has no Passkey (FIDO2) method configuration")
    assert "object id" not in only.fix


def test_a_needed_policy_that_was_not_read_fails() -> None:
    assert run(None)["fido2.policy"].status is FAIL


# --- targeting -------------------------------------------------------------------------------


def test_a_group_outside_the_targets_fails_and_skips_its_rules() -> None:
    results = run(fido2(includeTargets=[group_target(OTHER)]), BOTH)
    check = results[TARGET]
    assert check.status is FAIL
    assert check.found == "Passwordless is not targeted by the Passkey (FIDO2) policy"
    assert "Add target: Passwordless (or All users)" in check.fix
    assert KEYS not in results and ATTESTATION not in results


def test_all_users_covers_the_group() -> None:
    check = run(fido2(includeTargets=[group_target("all_users")]))[TARGET]
    assert (check.status, check.found) == (PASS, "Passwordless targeted (via all users)")


@pytest.mark.parametrize("include", [GROUP, "all_users"])
def test_an_exclusion_wins_over_every_include(include: str) -> None:
    policy = fido2(
        includeTargets=[group_target(include)],
        excludeTargets=[{"targetType": "group", "id": GROUP}],
    )
    check = run(policy, APP)[TARGET]
    assert check.status is FAIL
    assert "excluded" in check.found
    assert check.fix.endswith("Exclude: remove Passwordless")


def test_each_group_is_checked_on_its_own() -> None:
    results = run(fido2(), APP, groups=(GROUP, OTHER))
    assert results[TARGET].status is PASS
    assert results["fido2.target[Other]"].status is FAIL
    assert "fido2.key_restrictions[Other]" not in results


# --- key restrictions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "app", "passkey", "missing"),
    [
        (restricted("allow", IOS, ANDROID), PASS, PASS, []),
        (restricted("allow", IOS, ANDROID, KEY), PASS, PASS, []),
        (restricted("allow", IOS), FAIL, WARN, [ANDROID]),
        (restricted("allow", ANDROID, KEY), FAIL, WARN, [IOS]),
        (restricted("allow", KEY), FAIL, WARN, [IOS, ANDROID]),
        (restricted("allow"), FAIL, WARN, [IOS, ANDROID]),
        (restricted("block", KEY), PASS, PASS, []),
        (restricted("block"), PASS, PASS, []),
        (restricted("block", IOS), FAIL, WARN, [IOS]),
        (restricted("block", ANDROID, IOS), FAIL, WARN, [IOS, ANDROID]),
        (restricted("allow", IOS.upper(), ANDROID.upper()), PASS, PASS, []),
    ],
    ids=[
        "allow_both",
        "allow_both_and_a_key",
        "allow_ios_only",
        "allow_android_and_a_key",
        "allow_a_key_only",
        "allow_nothing",
        "block_a_key",
        "block_nothing",
        "block_ios",
        "block_both",
        "allow_both_upper_case",
    ],
)
def test_authenticator_aaguids_per_target(
    policy: dict[str, Any], app: CheckStatus, passkey: CheckStatus, missing: list[str]
) -> None:
    for targets, status in ((APP, app), (BOTH, app), (PASSKEY, passkey)):
        check = run(policy, targets)[KEYS]
        assert check.status is status, targets
        for aaguid in AUTHENTICATOR_AAGUID_NAMES:
            named = f"{AUTHENTICATOR_AAGUID_NAMES[aaguid]} ({aaguid})" in check.found
            assert named is (aaguid in missing), (targets, aaguid)
            assert (aaguid in check.fix) is (aaguid in missing)


def test_a_missing_authenticator_aaguid_fails_saying_what_it_blocks_and_how_to_fix() -> None:
    check = run(restricted("allow", IOS, KEY), APP)[KEYS]
    assert check.found == (
        "Passwordless: allow list of 2 AAGUIDs does not allow Microsoft Authenticator for "
        f"Android ({ANDROID}): joiners cannot keep a passkey in Authenticator (TARGET_METHODS "
        "authenticator_passkey) there"
    )
    assert check.fix == (
        f"{portal.FIDO2_POLICY} → Configure → Restrict specific keys (Allow): add Microsoft "
        f"Authenticator ({ANDROID})"
    )
    blocked = run(restricted("block", IOS), APP)[KEYS]
    assert blocked.fix.endswith(f"Restrict specific keys (Block): remove {IOS}")


def test_passkey_alone_warns_that_security_keys_still_work() -> None:
    check = run(restricted("block", IOS, ANDROID), PASSKEY)[KEYS]
    assert check.status is WARN
    assert "security keys and other allowed passkeys still work" in check.found


def test_restrictions_not_enforced_let_everything_through() -> None:
    policy = fido2(keyRestrictions={"isEnforced": False, "enforcementType": "allow", "aaGuids": []})
    assert run(policy, APP)[KEYS].status is PASS
    assert permits(policy["keyRestrictions"], IOS) is True
    assert permits({}, IOS) is True


def test_an_unknown_enforcement_type_is_not_a_pass() -> None:
    policy = restricted("unknownFutureValue", IOS, ANDROID)
    assert permits(policy["keyRestrictions"], IOS) is None
    assert run(policy, APP)[KEYS].status is WARN
    assert run(policy, PASSKEY)[KEYS].status is WARN


# --- attestation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enforced", "targets", "status"),
    [
        (True, APP, WARN),
        (True, BOTH, WARN),
        (True, PASSKEY, PASS),
        (False, APP, PASS),
        (False, PASSKEY, PASS),
    ],
)
def test_attestation_per_target(
    enforced: bool, targets: tuple[Target, ...], status: CheckStatus
) -> None:
    check = run(fido2(isAttestationEnforced=enforced), targets)[ATTESTATION]
    assert check.status is status
    assert ("attestation enforced" in check.found) is enforced


def test_attestation_with_authenticator_passkeys_explains_the_limit() -> None:
    check = run(fido2(isAttestationEnforced=True), APP)[ATTESTATION]
    assert "added in the Authenticator app itself" in check.found
    assert "not cross-device" in check.found
    assert check.fix.endswith("Enforce attestation: No")


# --- passkey profiles ------------------------------------------------------------------------


def profile(
    pid: str,
    name: str,
    *aaguids: str,
    kind: str = "allow",
    types: Any = "deviceBound",
    attest: str = "disabled",
) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "passkeyTypes": types,
        "attestationEnforcement": attest,
        "keyRestrictions": {
            "isEnforced": bool(aaguids),
            "enforcementType": kind,
            "aaGuids": list(aaguids),
        },
    }


KEYS_ONLY = profile("p-keys", "Security keys", KEY)
APP_ONLY = profile("p-app", "Authenticator", IOS, ANDROID, attest="registrationOnly")


def with_profiles(*allowed: str, default: str = "", **fields: Any) -> dict[str, Any]:
    return fido2(
        passkeyProfiles=[KEYS_ONLY, APP_ONLY],
        defaultPasskeyProfile=default,
        includeTargets=[group_target(allowedPasskeyProfiles=list(allowed))],
        **fields,
    )


def test_profiles_decide_and_the_deprecated_top_level_fields_do_not() -> None:
    # Top level says "block Authenticator, enforce attestation"; the profile lets it through.
    policy = with_profiles(
        "p-app",
        isAttestationEnforced=False,
        keyRestrictions={"isEnforced": True, "enforcementType": "block", "aaGuids": [IOS, ANDROID]},
    )
    results = run(policy, APP)
    assert results[KEYS].status is PASS
    assert "passkey profile 'Authenticator'" in results[KEYS].found
    assert results[ATTESTATION].status is WARN  # the profile enforces attestation


def test_a_group_on_a_profile_without_authenticator_fails() -> None:
    check = run(with_profiles("p-keys"), APP)[KEYS]
    assert check.status is FAIL
    assert "passkey profile 'Security keys' does not allow" in check.found
    assert IOS in check.found and ANDROID in check.found
    assert "a passkey profile assigned to Passwordless" in check.fix


def test_any_one_profile_is_enough() -> None:
    results = run(with_profiles("p-keys", "p-app"), APP)
    assert results[KEYS].status is PASS
    # Attestation is judged on the profile an Authenticator passkey can meet (p-app: enforced).
    assert results[ATTESTATION].status is WARN
    # For passkey alone the security-key profile (no attestation) is enough.
    assert run(with_profiles("p-keys", "p-app"), PASSKEY)[ATTESTATION].status is PASS


def test_the_all_users_targets_profiles_count_for_the_group() -> None:
    policy = with_profiles("p-keys")
    policy["includeTargets"].append(group_target("all_users", allowedPasskeyProfiles=["p-app"]))
    assert run(policy, APP)[KEYS].status is PASS


def test_a_synced_only_profile_cannot_hold_an_authenticator_passkey() -> None:
    synced = profile("p-synced", "Synced", types="synced")
    policy = fido2(
        passkeyProfiles=[synced], includeTargets=[group_target(allowedPasskeyProfiles=["p-synced"])]
    )
    assert run(policy, APP)[KEYS].status is FAIL
    both = profile("p-all", "All", types=["deviceBound", "synced"])
    policy["passkeyProfiles"] = [both]
    policy["includeTargets"] = [group_target(allowedPasskeyProfiles=["p-all"])]
    assert run(policy, APP)[KEYS].status is PASS


def test_a_target_naming_no_profile_uses_the_default_one() -> None:
    assert run(with_profiles(default="p-app"), APP)[KEYS].status is PASS
    assert run(with_profiles(default="p-keys"), APP)[KEYS].status is FAIL


@pytest.mark.parametrize("allowed", [(), ("p-gone",)])
def test_unresolvable_profiles_warn_instead_of_passing(allowed: tuple[str, ...]) -> None:
    results = run(with_profiles(*allowed), BOTH)
    for name in (KEYS, ATTESTATION):
        assert results[name].status is WARN
        assert "cannot tell which passkey profile applies" in results[name].found
