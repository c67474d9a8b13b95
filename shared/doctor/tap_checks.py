"""The Temporary Access Pass policy: on, covering joiners, a lifetime range and one-time use that
fit what Tapstart asks for (graph-api.md §2.1). Pure: takes the policy JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure, unreadable
from shared.doctor.result import CheckResult, failed, passed, warned

ALL_USERS = "all_users"


def _target_ids(policy: Mapping[str, Any], key: str) -> list[str]:
    return [str(t.get("id", "")) for t in policy.get(key) or []]


def check_tap_policy(
    policy: Fetched,
    *,
    group_ids: Sequence[str],
    group_names: Mapping[str, str],
    lifetime_minutes: int,
    one_time: bool,
    retire_after_enrolment: bool = True,
) -> list[CheckResult]:
    if isinstance(policy, ReadFailure):
        return [
            unreadable("tap.policy", "the TAP policy", policy, "Policy.Read.AuthenticationMethod")
        ]
    return [
        _enabled(policy),
        _scope(policy, group_ids, group_names),
        _lifetime(policy, lifetime_minutes),
        _one_time(policy, one_time, retire_after_enrolment),
    ]


def _enabled(policy: Mapping[str, Any]) -> CheckResult:
    state = policy.get("state", "disabled")
    if state == "enabled":
        return passed("tap.enabled", "TAP policy is enabled")
    return failed(
        "tap.enabled",
        f"TAP policy state is {state!r}: Graph refuses every TAP Tapstart asks for",
        f"{portal.TAP_POLICY} → Enable and target → Enable",
    )


def _scope(
    policy: Mapping[str, Any], group_ids: Sequence[str], names: Mapping[str, str]
) -> CheckResult:
    includes = set(_target_ids(policy, "includeTargets"))
    excludes = set(_target_ids(policy, "excludeTargets"))
    label = ", ".join(names.get(g, g) for g in group_ids) or "(no group configured)"
    excluded = [g for g in group_ids if g in excludes]
    if excluded:
        return failed(
            "tap.scope",
            "TAP policy excludes the passwordless group "
            + ", ".join(names.get(g, g) for g in excluded),
            f"{portal.TAP_POLICY} → Enable and target → Exclude: remove the group",
        )
    if ALL_USERS in includes:
        plural = "s" if len(excludes) > 1 else ""
        note = f", except {len(excludes)} excluded group{plural}" if excludes else ""
        return passed("tap.scope", f"TAP policy targets all users{note}")
    covered = [g for g in group_ids if g in includes]
    if covered and len(covered) == len(group_ids):
        return passed("tap.scope", f"TAP policy targets {label}")
    if covered:
        return passed(
            "tap.scope",
            "TAP policy targets "
            + ", ".join(names.get(g, g) for g in covered)
            + " (joiners are in every passwordless group, one is enough)",
        )
    return failed(
        "tap.scope",
        f"TAP policy targets neither all users nor {label}: new hires are out of scope",
        f"{portal.TAP_POLICY} → Enable and target → Include: add {label}",
    )


def _lifetime(policy: Mapping[str, Any], wanted: int) -> CheckResult:
    low = int(policy.get("minimumLifetimeInMinutes", 60))
    high = int(policy.get("maximumLifetimeInMinutes", 480))
    found = f"TAP_LIFETIME_MINUTES={wanted}, policy allows {low}–{high} min"
    if low <= wanted <= high:
        return passed("tap.lifetime", found)
    given = min(max(wanted, low), high)
    return warned(
        "tap.lifetime",
        f"{found}: TAPs will last {given} min instead",
        f"{portal.TAP_POLICY} → Configure → Minimum/Maximum lifetime, or set "
        f"TAP_LIFETIME_MINUTES within {low}–{high} ({portal.APP_SETTINGS})",
    )


def _one_time(policy: Mapping[str, Any], one_time: bool, retire: bool) -> CheckResult:
    forced = bool(policy.get("isUsableOnce", False))
    if one_time:
        how = (
            "policy forces one-time use" if forced else "policy allows both; Tapstart asks one-time"
        )
        return passed("tap.one_time", f"one-time TAPs ({how})")
    if forced:
        return warned(
            "tap.one_time",
            "TAP_ONE_TIME=false but the policy forces one-time use: TAPs will be one-time",
            f"set TAP_ONE_TIME=true to match ({portal.APP_SETTINGS})",
        )
    if retire:
        # A multi-use pass lets a joiner finish across sittings; Tapstart deletes it the moment
        # it sees a target method, so it does not outlive enrolment.
        return passed(
            "tap.one_time",
            "multi-use TAPs, each deleted once its joiner reaches a target method "
            "(TAP_RETIRE_AFTER_ENROLMENT)",
        )
    return warned(
        "tap.one_time",
        "TAP_ONE_TIME=false and TAP_RETIRE_AFTER_ENROLMENT=false: multi-use TAPs stay valid for "
        "sign-in after enrolment",
        f"set TAP_RETIRE_AFTER_ENROLMENT=true or TAP_ONE_TIME=true ({portal.APP_SETTINGS}); "
        f"optionally {portal.TAP_POLICY} → Configure → One-time use: Yes",
    )
