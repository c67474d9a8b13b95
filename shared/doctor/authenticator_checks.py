"""The Microsoft Authenticator policy, checked as far as TARGET_METHODS need it (graph-api.md
§2.2). Pure: takes the policy JSON.

Which targets need it, and how much:

- `phone_sign_in`: everything, as failures. The policy is enabled, and each passwordless group is
  targeted (its own target first, else all users), not excluded, in a mode that allows
  passwordless sign-in (`any` or `deviceBasedPush`). A group in `push` mode fails: its joiners
  can approve push MFA but never sign in without a password, and Tapstart's reminders would keep
  asking them to turn on phone sign-in.
- `authenticator_passkey` without `phone_sign_in`: advice, as warnings. A passkey in
  Authenticator is a Passkey (FIDO2) method: Microsoft has no passkey setting in this policy,
  and `shared.doctor.passkey_checks` checks the one that governs it (Authenticator's AAGUIDs in
  the FIDO2 key restrictions). This policy still decides whether the app the passkey lives in is
  also the joiner's push MFA method, and Tapstart's "Authenticator registered" stage (then the
  "add a passkey" reminder) comes from it, so a disabled policy or an untargeted group warns.
  Any mode passes, `push` included: phone sign-in is not a target.
- neither (`passkey`, `windows_hello` only): the policy is not read and not checked; one pass
  says so.

The prompt context features (number matching, app name, location) are checked whenever the
policy is: they protect push approvals whichever target the joiner reaches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure, unreadable
from shared.doctor.result import CheckResult, failed, passed, warned
from shared.domain.passwordless import Target

ALL_USERS = "all_users"
PASSWORDLESS_MODES = frozenset({"any", "deviceBasedPush"})
# The v1.0 SDK parses these names (the v1.0 doc example's *ContextRequiredState keys are wrong).
FEATURES = {
    "displayAppInformationRequiredState": "application name in prompts",
    "displayLocationInformationRequiredState": "geographic location in prompts",
    "numberMatchingRequiredState": "number matching",
}


def needs_authenticator_policy(targets: Sequence[Target]) -> bool:
    return Target.PHONE_SIGN_IN in targets or Target.AUTHENTICATOR_PASSKEY in targets


def check_authenticator_policy(
    policy: Fetched | None,
    *,
    group_ids: Sequence[str],
    group_names: Mapping[str, str],
    targets: Sequence[Target],
) -> list[CheckResult]:
    """`policy` None: not read, which is right only when no target needs it."""
    if not needs_authenticator_policy(targets):
        listed = ", ".join(t.value for t in targets)
        return [
            passed(
                "authenticator.policy",
                f"not checked: TARGET_METHODS ({listed}) needs no Microsoft Authenticator policy",
            )
        ]
    if policy is None:
        policy = ReadFailure(0, "", "the doctor did not read it")
    if isinstance(policy, ReadFailure):
        return [
            unreadable(
                "authenticator.policy",
                "the Authenticator policy",
                policy,
                "Policy.Read.AuthenticationMethod",
            )
        ]
    phone = Target.PHONE_SIGN_IN in targets
    results = [_enabled(policy, phone)]
    results += [_target(policy, g, group_names.get(g, g), phone) for g in group_ids]
    results.append(_features(policy))
    return results


_PASSKEY_ONLY = (
    "passkeys in Authenticator are governed by the Passkey (FIDO2) policy, but joiners get no "
    "push MFA from the app and Tapstart never sees the 'Authenticator registered' stage"
)


def _enabled(policy: Mapping[str, Any], phone: bool) -> CheckResult:
    state = policy.get("state", "disabled")
    if state == "enabled":
        return passed("authenticator.enabled", "Microsoft Authenticator policy is enabled")
    fix = f"{portal.AUTHENTICATOR_POLICY} → Enable and target → Enable"
    if phone:
        return failed(
            "authenticator.enabled",
            f"Microsoft Authenticator policy state is {state!r}: joiners cannot register the app",
            fix,
        )
    return warned(
        "authenticator.enabled",
        f"Microsoft Authenticator policy state is {state!r}: {_PASSKEY_ONLY}",
        fix,
    )


def _mode_of(policy: Mapping[str, Any], group_id: str) -> str | None:
    """The mode that applies to members of the group: its own target first, else all users."""
    targets = {str(t.get("id", "")): t for t in policy.get("includeTargets") or []}
    target = targets.get(group_id) or targets.get(ALL_USERS)
    if target is None:
        return None
    return str(target.get("authenticationMode") or "any")


def _target(policy: Mapping[str, Any], group_id: str, name: str, phone: bool) -> CheckResult:
    check = f"authenticator.target[{name}]"
    mode_hint = "Any (or Passwordless)" if phone else "Any"
    fix = f"{portal.AUTHENTICATOR_POLICY} → Enable and target → Include: add {name}, Authentication mode: {mode_hint}"
    problem = failed if phone else warned
    tail = "" if phone else f": {_PASSKEY_ONLY}"
    excluded = {str(t.get("id", "")) for t in policy.get("excludeTargets") or []}
    if group_id in excluded:
        return problem(
            check,
            f"{name} is excluded from the Authenticator policy{tail}",
            f"{portal.AUTHENTICATOR_POLICY} → Enable and target → Exclude: remove {name}",
        )
    mode = _mode_of(policy, group_id)
    if mode is None:
        return problem(check, f"{name} is not targeted by the Authenticator policy{tail}", fix)
    via = (
        "its own target"
        if any(str(t.get("id")) == group_id for t in policy.get("includeTargets") or [])
        else "all users"
    )
    if mode in PASSWORDLESS_MODES:
        return passed(check, f"{name} targeted (via {via}) in mode {mode!r}")
    if not phone:
        return passed(
            check, f"{name} targeted (via {via}) in mode {mode!r} (phone sign-in is not a target)"
        )
    return failed(
        check,
        f"{name} targeted (via {via}) in mode {mode!r} only: push MFA, no passwordless sign-in",
        fix,
    )


def _features(policy: Mapping[str, Any]) -> CheckResult:
    settings = policy.get("featureSettings") or {}
    off = [
        label
        for key, label in FEATURES.items()
        if (settings.get(key) or {}).get("state") == "disabled"
    ]
    if off:
        return warned(
            "authenticator.features",
            "turned off: " + ", ".join(off) + " (helps users spot MFA-fatigue prompts)",
            f"{portal.AUTHENTICATOR_POLICY} → Configure → Show application name / geographic "
            "location: Enabled (or Microsoft managed)",
        )
    states = [
        f"{label}: {(settings.get(key) or {}).get('state', 'default')}"
        for key, label in FEATURES.items()
        if key in settings
    ]
    return passed(
        "authenticator.features",
        ", ".join(states) or "Microsoft-managed defaults (context shown, number matching on)",
    )
