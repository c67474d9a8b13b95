"""The Passkey (FIDO2) policy, checked as far as TARGET_METHODS need it (Graph v1.0
`fido2AuthenticationMethodConfiguration`). Pure: takes the policy JSON.

Which targets need it: `passkey` (any passkey or security key) and `authenticator_passkey` (a
passkey kept in Microsoft Authenticator). Microsoft has no passkey setting in the Authenticator
policy: the FIDO2 policy governs passkeys in Authenticator too, through Authenticator's AAGUIDs.
Without either target the doctor does not read this policy.

One result per rule (`<group>` is each passwordless group):

- `fido2.enabled`: `state` is `enabled`, else fail: no joiner can register a passkey.
- `fido2.self_service`: `isSelfServiceRegistrationAllowed`, else fail: joiners cannot add a
  passkey themselves (Security info, the Authenticator app), which is the onboarding path.
- `fido2.target[<group>]`: fail when the group is excluded (an exclusion wins over any include)
  or neither it nor `all_users` is included.
- `fido2.key_restrictions[<group>]` (when the group is targeted): which of Authenticator's two
  AAGUIDs the key restrictions let through (listed under `allow`, or not listed under `block`;
  restrictions not enforced let everything through). With `authenticator_passkey` both (iOS and
  Android) must pass, else fail naming the missing one. With `passkey` alone, Authenticator
  blocked is a warning: security keys and the other passkeys still work.
- `fido2.attestation[<group>]` (when the group is targeted): attestation enforced is a warning
  with `authenticator_passkey`, not a failure. Microsoft's 2024 preview guidance had attestation
  off for passkeys in Authenticator; its current guidance ("Enable passkeys in Authenticator")
  lets you enforce it: the app attests through iOS App Attest / Android Play Integrity and key
  attestation, but only when the passkey is added in the app itself (cross-device registration
  from a computer's QR code cannot make an attested passkey), and registration fails while
  Apple's or Google's service is down. With `passkey` alone it passes and says what it limits.

Passkey profiles: a tenant that opted in has `passkeyProfiles` (each with `passkeyTypes`,
`attestationEnforcement`, `keyRestrictions`) and `allowedPasskeyProfiles` on each include
target; the top-level `isAttestationEnforced` and `keyRestrictions` then no longer decide. A
user scoped for several profiles may use a passkey that satisfies any one of them (Entra docs),
so a group's rules are the profiles its own target and the `all_users` target allow (a target
naming none is taken to use `defaultPasskeyProfile`). When no profile resolves, the per-group
checks warn that they cannot tell instead of passing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure, unreadable
from shared.doctor.result import CheckResult, failed, passed, warned
from shared.domain.passwordless import Target

ALL_USERS = "all_users"
# The targets that need this policy; without one of them the doctor does not read it.
NEEDED_BY = frozenset({Target.PASSKEY, Target.AUTHENTICATOR_PASSKEY})
# Microsoft Authenticator's passkey AAGUIDs by platform (the same two as
# shared.domain.passwordless.AUTHENTICATOR_AAGUIDS; a unit test keeps them equal).
AUTHENTICATOR_AAGUID_NAMES: Mapping[str, str] = {
    "90a3ccdf-635c-4729-a248-9b709135078f": "Microsoft Authenticator for iOS",
    "de1e552d-db1d-4423-a619-566b625cdc84": "Microsoft Authenticator for Android",
}


def needs_fido2_policy(targets: Iterable[Target]) -> bool:
    return any(t in NEEDED_BY for t in targets)


@dataclass(frozen=True)
class Rules:
    """One set of registration rules a group's members are held to: the policy's own (no
    passkey profiles), or one passkey profile."""

    label: str  # "the policy" or "passkey profile 'Name'"
    attestation: bool
    restrictions: Mapping[str, Any]  # fido2KeyRestrictions
    device_bound: bool = True  # the profile's passkeyTypes include deviceBound


def check_passkey_policy(
    policy: Fetched | None,
    *,
    targets: Sequence[Target],
    group_ids: Sequence[str],
    group_names: Mapping[str, str],
) -> list[CheckResult]:
    """`policy` None: not read, which is right only when no target needs it."""
    if not needs_fido2_policy(targets):
        return []
    if policy is None:
        policy = ReadFailure(0, "", "the doctor did not read it")
    if isinstance(policy, ReadFailure):
        return [_unreadable(policy)]
    wanted = ", ".join(t.value for t in targets if t in NEEDED_BY)
    results = [_enabled(policy, wanted), _self_service(policy)]
    for group_id in group_ids:
        name = group_names.get(group_id, group_id)
        target = _target(policy, group_id, name)
        results.append(target)
        if target.status.rank == 0:
            rules = rules_for(policy, group_id)
            results.append(_key_restrictions(name, rules, targets))
            results.append(_attestation(name, rules, targets))
    return results


def _unreadable(failure: ReadFailure) -> CheckResult:
    if failure.status == 404:
        return failed(
            "fido2.policy",
            f"Graph has no Passkey (FIDO2) method configuration ({failure.describe()})",
            f"{portal.FIDO2_POLICY} → Enable and target, then Save",
        )
    return unreadable(
        "fido2.policy", "the Passkey (FIDO2) policy", failure, "Policy.Read.AuthenticationMethod"
    )


def _enabled(policy: Mapping[str, Any], wanted: str) -> CheckResult:
    state = policy.get("state", "disabled")
    if state == "enabled":
        return passed("fido2.enabled", "Passkey (FIDO2) policy is enabled")
    return failed(
        "fido2.enabled",
        f"Passkey (FIDO2) policy state is {state!r}: joiners cannot register a passkey, so "
        f"TARGET_METHODS {wanted} cannot be reached",
        f"{portal.FIDO2_POLICY} → Enable and target → Enable",
    )


def _self_service(policy: Mapping[str, Any]) -> CheckResult:
    if policy.get("isSelfServiceRegistrationAllowed") is True:
        return passed("fido2.self_service", "users may register passkeys themselves")
    return failed(
        "fido2.self_service",
        "self-service set up is off: joiners cannot add a passkey themselves (Security info, "
        "the Authenticator app)",
        f"{portal.FIDO2_POLICY} → Configure → Allow self-service set up: Yes",
    )


def _ids(policy: Mapping[str, Any], key: str) -> set[str]:
    return {str(t.get("id", "")) for t in policy.get(key) or [] if isinstance(t, dict)}


def _target(policy: Mapping[str, Any], group_id: str, name: str) -> CheckResult:
    check = f"fido2.target[{name}]"
    if group_id in _ids(policy, "excludeTargets"):
        return failed(
            check,
            f"{name} is excluded from the Passkey (FIDO2) policy (an exclusion wins over every "
            "include)",
            f"{portal.FIDO2_POLICY} → Enable and target → Exclude: remove {name}",
        )
    included = _ids(policy, "includeTargets")
    if group_id in included:
        return passed(check, f"{name} targeted (via its own target)")
    if ALL_USERS in included:
        return passed(check, f"{name} targeted (via all users)")
    return failed(
        check,
        f"{name} is not targeted by the Passkey (FIDO2) policy",
        f"{portal.FIDO2_POLICY} → Enable and target → Add target: {name} (or All users)",
    )


# --- which rules apply to a group --------------------------------------------------------


def rules_for(policy: Mapping[str, Any], group_id: str) -> list[Rules]:
    """The rule sets a member of the group can satisfy; empty when profiles do not resolve."""
    profiles = [p for p in policy.get("passkeyProfiles") or [] if isinstance(p, dict)]
    if not profiles:
        return [
            Rules(
                "the policy",
                policy.get("isAttestationEnforced") is True,
                policy.get("keyRestrictions") or {},
            )
        ]
    by_id = {str(p.get("id", "")).lower(): p for p in profiles}
    default = str(policy.get("defaultPasskeyProfile") or "").lower()
    wanted: list[str] = []
    for target in policy.get("includeTargets") or []:
        if isinstance(target, dict) and str(target.get("id", "")) in {group_id, ALL_USERS}:
            named = [str(i).lower() for i in target.get("allowedPasskeyProfiles") or []]
            wanted += named or [default]
    return [_profile_rules(by_id[i]) for i in dict.fromkeys(wanted) if i in by_id]


def _profile_rules(profile: Mapping[str, Any]) -> Rules:
    types = profile.get("passkeyTypes")
    names = (
        {t.strip() for t in types.split(",")}
        if isinstance(types, str)
        else {str(t) for t in types or []}
    )
    return Rules(
        f"passkey profile {str(profile.get('name') or profile.get('id'))!r}",
        # Anything but an explicit "disabled" counts as enforced: it only ever adds a warning.
        profile.get("attestationEnforcement") != "disabled",
        profile.get("keyRestrictions") or {},
        device_bound=not names or "deviceBound" in names,
    )


def permits(restrictions: Mapping[str, Any], aaguid: str) -> bool | None:
    """Whether key restrictions let an AAGUID register and sign in; None: an unknown kind."""
    if restrictions.get("isEnforced") is not True:
        return True
    listed = {str(a).lower() for a in restrictions.get("aaGuids") or []}
    kind = restrictions.get("enforcementType")
    if kind == "allow":
        return aaguid in listed
    if kind == "block":
        return aaguid not in listed
    return None


def _allowed(rules: Sequence[Rules], aaguid: str) -> bool | None:
    verdicts = [permits(r.restrictions, aaguid) if r.device_bound else False for r in rules]
    if any(v is True for v in verdicts):
        return True
    return None if any(v is None for v in verdicts) else False


def _describe(rules: Sequence[Rules]) -> str:
    if len(rules) != 1 or rules[0].label != "the policy":
        return ", ".join(r.label for r in rules)
    restrictions = rules[0].restrictions
    if restrictions.get("isEnforced") is not True:
        return "key restrictions not enforced"
    count = len(restrictions.get("aaGuids") or [])
    return f"{restrictions.get('enforcementType')} list of {count} AAGUID{'s' * (count != 1)}"


def _labels(aaguids: Iterable[str]) -> str:
    return ", ".join(f"{AUTHENTICATOR_AAGUID_NAMES[a]} ({a})" for a in aaguids)


def _aaguid_fix(rules: Sequence[Rules], aaguids: Sequence[str], name: str) -> str:
    ids = ", ".join(aaguids)
    if len(rules) == 1 and rules[0].label == "the policy":
        if rules[0].restrictions.get("enforcementType") == "block":
            return (
                f"{portal.FIDO2_POLICY} → Configure → Restrict specific keys (Block): remove {ids}"
            )
        return (
            f"{portal.FIDO2_POLICY} → Configure → Restrict specific keys (Allow): add Microsoft "
            f"Authenticator ({ids})"
        )
    return (
        f"{portal.FIDO2_POLICY} → Configure → a passkey profile assigned to {name} (Passkey "
        f"types: Device-bound): allow {ids}"
    )


# --- the per-group rules -------------------------------------------------------------------


def _key_restrictions(name: str, rules: Sequence[Rules], targets: Sequence[Target]) -> CheckResult:
    check = f"fido2.key_restrictions[{name}]"
    if not rules:
        return _unresolved(check, name)
    verdicts = {a: _allowed(rules, a) for a in AUTHENTICATOR_AAGUID_NAMES}
    blocked = [a for a, v in verdicts.items() if v is False]
    unknown = [a for a, v in verdicts.items() if v is None]
    source = _describe(rules)
    if Target.AUTHENTICATOR_PASSKEY in targets:
        if blocked:
            return failed(
                check,
                f"{name}: {source} does not allow {_labels(blocked)}: joiners cannot keep a "
                "passkey in Authenticator (TARGET_METHODS authenticator_passkey) there",
                _aaguid_fix(rules, blocked, name),
            )
        if unknown:
            return warned(
                check,
                f"{name}: cannot tell whether {source} allows {_labels(unknown)} (unknown "
                "enforcement type)",
                _aaguid_fix(rules, unknown, name),
            )
        return passed(
            check, f"{name}: both Authenticator AAGUIDs (iOS, Android) allowed ({source})"
        )
    if blocked or unknown:
        return warned(
            check,
            f"{name}: {source} blocks passkeys in Authenticator ({_labels(blocked + unknown)}); "
            "security keys and other allowed passkeys still work",
            _aaguid_fix(rules, blocked + unknown, name),
        )
    return passed(check, f"{name}: {source}; passkeys in Authenticator allowed")


def _attestation(name: str, rules: Sequence[Rules], targets: Sequence[Target]) -> CheckResult:
    check = f"fido2.attestation[{name}]"
    if not rules:
        return _unresolved(check, name)
    authenticator = Target.AUTHENTICATOR_PASSKEY in targets
    # With authenticator_passkey, what matters is the rules an Authenticator passkey can meet.
    usable = [r for r in rules if any(_allowed([r], a) for a in AUTHENTICATOR_AAGUID_NAMES)]
    relevant = usable if authenticator and usable else rules
    if not all(r.attestation for r in relevant):
        return passed(check, f"{name}: attestation not enforced")
    where = "" if relevant[0].label == "the policy" else f" ({_describe(relevant)})"
    if authenticator:
        return warned(
            check,
            f"{name}: attestation enforced{where}: a passkey in Authenticator registers only "
            "when added in the Authenticator app itself (not cross-device from a computer's QR "
            "code), and not while Apple's or Google's attestation service is down",
            "keep it if you want attested passkeys and have joiners add the passkey in the "
            f"Authenticator app; otherwise {portal.FIDO2_POLICY} → Configure{where} → Enforce "
            "attestation: No",
        )
    return passed(
        check,
        f"{name}: attestation enforced{where}: only passkeys whose make and model Entra can "
        "verify register (attested security keys, passkeys in Authenticator)",
    )


def _unresolved(check: str, name: str) -> CheckResult:
    return warned(
        check,
        f"{name}: cannot tell which passkey profile applies (its targets name no profile the "
        "policy lists)",
        f"{portal.FIDO2_POLICY} → Enable and target → {name} (or All users): select a passkey "
        "profile",
    )
