"""The Microsoft Authenticator policy: on, and each passwordless group allowed to sign in
passwordless (mode `any` or `deviceBasedPush`), with the recommended context shown in prompts
(graph-api.md §2.2). Pure: takes the policy JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure, unreadable
from shared.doctor.result import CheckResult, failed, passed, warned

ALL_USERS = "all_users"
PASSWORDLESS_MODES = frozenset({"any", "deviceBasedPush"})
# The v1.0 SDK parses these names (the v1.0 doc example's *ContextRequiredState keys are wrong).
FEATURES = {
    "displayAppInformationRequiredState": "application name in prompts",
    "displayLocationInformationRequiredState": "geographic location in prompts",
    "numberMatchingRequiredState": "number matching",
}


def check_authenticator_policy(
    policy: Fetched, *, group_ids: Sequence[str], group_names: Mapping[str, str]
) -> list[CheckResult]:
    if isinstance(policy, ReadFailure):
        return [
            unreadable(
                "authenticator.policy", "the Authenticator policy", policy, "Policy.Read.All"
            )
        ]
    results = [_enabled(policy)]
    results += [_target(policy, g, group_names.get(g, g)) for g in group_ids]
    results.append(_features(policy))
    return results


def _enabled(policy: Mapping[str, Any]) -> CheckResult:
    state = policy.get("state", "disabled")
    if state == "enabled":
        return passed("authenticator.enabled", "Microsoft Authenticator policy is enabled")
    return failed(
        "authenticator.enabled",
        f"Microsoft Authenticator policy state is {state!r}: joiners cannot register the app",
        f"{portal.AUTHENTICATOR_POLICY} → Enable and target → Enable",
    )


def _mode_of(policy: Mapping[str, Any], group_id: str) -> str | None:
    """The mode that applies to members of the group: its own target first, else all users."""
    targets = {str(t.get("id", "")): t for t in policy.get("includeTargets") or []}
    target = targets.get(group_id) or targets.get(ALL_USERS)
    if target is None:
        return None
    return str(target.get("authenticationMode") or "any")


def _target(policy: Mapping[str, Any], group_id: str, name: str) -> CheckResult:
    check = f"authenticator.target[{name}]"
    fix = f"{portal.AUTHENTICATOR_POLICY} → Enable and target → Include: add {name}, Authentication mode: Any (or Passwordless)"
    excluded = {str(t.get("id", "")) for t in policy.get("excludeTargets") or []}
    if group_id in excluded:
        return failed(
            check,
            f"{name} is excluded from the Authenticator policy",
            f"{portal.AUTHENTICATOR_POLICY} → Enable and target → Exclude: remove {name}",
        )
    mode = _mode_of(policy, group_id)
    if mode is None:
        return failed(check, f"{name} is not targeted by the Authenticator policy", fix)
    via = (
        "its own target"
        if any(str(t.get("id")) == group_id for t in policy.get("includeTargets") or [])
        else "all users"
    )
    if mode in PASSWORDLESS_MODES:
        return passed(check, f"{name} targeted (via {via}) in mode {mode!r}")
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
