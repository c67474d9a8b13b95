"""Conditional Access policies that stop a joiner from registering security information. Pure.

A joiner signs in with a Temporary Access Pass and registers Authenticator or a passkey; that is
the "Register security information" user action (`urn:user:registersecurityinfo` in
`conditions.applications.includeUserActions`). A policy on that action which blocks, or which
requires what a new joiner cannot have yet, stops the onboarding at its first step — the most
common way this flow breaks in practice. Requiring MFA is fine: a TAP satisfies it.

For each policy on the action that reaches the joiners (`includeUsers: All` or a passwordless
group in `includeGroups`, and no passwordless group in `excludeGroups`; joiners hold no roles and
are members, not guests):

- grant `block`, or controls a joiner cannot satisfy yet (`compliantDevice`,
  `domainJoinedDevice`, `approvedApplication`, `compliantApplication`, `passwordChange`,
  `riskRemediation`; with `OR` only when no satisfiable control is offered): **fail**, naming
  the conditions under which it applies (locations by name, platforms, client apps, risk);
- an authentication strength whose allowed combinations include no Temporary Access Pass:
  **warn** (a joiner who has only the pass may be refused);
- a report-only policy (`enabledForReportingButNotEnforced`) that would do either: a **note**
  (passes, says what it would do);
- disabled policies are ignored.

Reading Conditional Access needs `Policy.Read.All`: Microsoft documents no narrower application
permission for listing the policies, and Tapstart does not hold it by default (it reads every
policy of the tenant). Without it (403) the check passes with "not checked" and says how to opt
in; any other failure to read is a failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure, unreadable
from shared.doctor.result import CheckResult, failed, passed, warned

CHECK = "ca.register_security_info"
REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"
REPORT_ONLY = "enabledForReportingButNotEnforced"
CA_READ_PERMISSION = "Policy.Read.All"
# Grant controls a joiner who has only a TAP, on a device nobody enrolled yet, cannot satisfy.
UNSATISFIABLE = {
    "compliantDevice": "a compliant device",
    "domainJoinedDevice": "a Microsoft Entra hybrid joined device",
    "approvedApplication": "an approved client app",
    "compliantApplication": "an app protection policy",
    "passwordChange": "a password change",
    "riskRemediation": "risk remediation",
}
TAP_COMBINATIONS = frozenset({"temporaryAccessPassOneTime", "temporaryAccessPassMultiUse"})
SPECIAL_LOCATIONS = {"All": "any location", "AllTrusted": "all trusted locations"}


def location_ids(policies: Fetched) -> list[str]:
    """Named-location ids the relevant policies mention (to read their names)."""
    if isinstance(policies, ReadFailure):
        return []
    ids: list[str] = []
    for policy in policies.get("value") or []:
        locations = (policy.get("conditions") or {}).get("locations") or {}
        for key in ("includeLocations", "excludeLocations"):
            ids += [str(i) for i in locations.get(key) or [] if i not in SPECIAL_LOCATIONS]
    return list(dict.fromkeys(ids))


def _names(locations: Fetched | None) -> dict[str, str]:
    if not isinstance(locations, dict):
        return {}
    return {
        str(item.get("id")): str(item.get("displayName") or item.get("id"))
        for item in locations.get("value") or []
    }


def _reaches(users: Mapping[str, Any], group_ids: Sequence[str]) -> bool:
    excluded = set(users.get("excludeGroups") or [])
    if excluded.intersection(group_ids):
        return False
    if "All" in (users.get("includeUsers") or []):
        return True
    return bool(set(users.get("includeGroups") or []).intersection(group_ids))


def _where(conditions: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The conditions under which the policy applies, in words."""
    parts: list[str] = []
    locations = conditions.get("locations") or {}

    def named(ids: Sequence[str]) -> str:
        return ", ".join(SPECIAL_LOCATIONS.get(i) or names.get(i, i) for i in ids)

    include = list(locations.get("includeLocations") or [])
    exclude = list(locations.get("excludeLocations") or [])
    if include and include != ["All"]:
        parts.append(f"from {named(include)}")
    if exclude:
        parts.append(f"from outside {named(exclude)}")
    platforms = conditions.get("platforms") or {}
    if platforms.get("includePlatforms") and platforms["includePlatforms"] != ["all"]:
        parts.append("on " + ", ".join(platforms["includePlatforms"]))
    if platforms.get("excludePlatforms"):
        parts.append("except on " + ", ".join(platforms["excludePlatforms"]))
    apps = [a for a in conditions.get("clientAppTypes") or [] if a != "all"]
    if apps:
        parts.append("with client apps " + ", ".join(apps))
    for key, label in (("signInRiskLevels", "sign-in risk"), ("userRiskLevels", "user risk")):
        if conditions.get(key):
            parts.append(f"at {label} " + ", ".join(conditions[key]))
    device_filter = (conditions.get("devices") or {}).get("deviceFilter")
    if device_filter:
        parts.append(f"for devices {device_filter.get('mode', '')} {device_filter.get('rule', '')}")
    return " ".join(parts) if parts else "under any condition (no location, platform or risk set)"


def _demand(grant: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(severity, what) when the grant stops a joiner with a TAP: 'fail' or 'warn'; None if not."""
    if not grant:
        return None  # session controls only
    controls = list(grant.get("builtInControls") or [])
    if "block" in controls:
        return "fail", "blocks it"
    strength = grant.get("authenticationStrength") or None
    strength_ok = strength is None or bool(
        TAP_COMBINATIONS.intersection(strength.get("allowedCombinations") or [])
    )
    hard = [UNSATISFIABLE[c] for c in controls if c in UNSATISFIABLE]
    easy = [c for c in controls if c not in UNSATISFIABLE] + list(grant.get("termsOfUse") or [])
    offered = len(controls) + (strength is not None)
    either = str(grant.get("operator", "OR")).upper() == "OR" and offered > 1
    if either and (easy or (strength is not None and strength_ok)):
        return None
    if hard:
        return "fail", "requires " + " and ".join(hard) + ", which a new joiner does not have yet"
    if not strength_ok:
        name = (strength or {}).get("displayName") or (strength or {}).get("id")
        return (
            "warn",
            f"requires the authentication strength {name!r}, which allows no Temporary Access "
            "Pass: a joiner who has only the pass may be refused",
        )
    return None


def check_conditional_access(
    policies: Fetched | None,
    locations: Fetched | None,
    *,
    group_ids: Sequence[str],
    group_names: Mapping[str, str],
) -> list[CheckResult]:
    """`policies`: the list of conditionalAccessPolicy (`value`); None when not read."""
    label = ", ".join(group_names.get(g, g) for g in group_ids) or "the passwordless group"
    if policies is None or (isinstance(policies, ReadFailure) and policies.status == 403):
        return [
            passed(
                CHECK,
                "not checked: reading Conditional Access needs Policy.Read.All (Microsoft "
                "documents no narrower application permission), which Tapstart holds only when "
                "granted on purpose: grant-graph-permissions --conditional-access-read (or the "
                "Bicep module's grantConditionalAccessRead)",
            )
        ]
    if isinstance(policies, ReadFailure):
        return [unreadable(CHECK, "Conditional Access policies", policies, CA_READ_PERMISSION)]
    names = _names(locations)
    results: list[CheckResult] = []
    considered = 0
    for policy in policies.get("value") or []:
        state = policy.get("state")
        conditions = policy.get("conditions") or {}
        actions = (conditions.get("applications") or {}).get("includeUserActions") or []
        if state == "disabled" or REGISTER_SECURITY_INFO not in actions:
            continue
        if not _reaches(conditions.get("users") or {}, group_ids):
            continue
        considered += 1
        demand = _demand(policy.get("grantControls"))
        if demand is None:
            continue
        severity, what = demand
        name = str(policy.get("displayName") or policy.get("id"))
        check = f"{CHECK}[{name}]"
        found = (
            f"'{name}' {what} when {label} register security information "
            f"{_where(conditions, names)}"
        )
        fix = (
            f"{portal.CONDITIONAL_ACCESS} → {name} → Grant: 'Require multifactor authentication' "
            f"instead (a Temporary Access Pass satisfies MFA), or Users → Exclude: {label}"
        )
        if state == REPORT_ONLY:
            results.append(passed(check, f"note: report-only, would apply: {found}"))
        elif severity == "fail":
            results.append(failed(check, found + ": joiners cannot finish onboarding", fix))
        else:
            results.append(warned(check, found, fix))
    if not any(r.status.rank for r in results):
        total = len(policies.get("value") or [])
        results.insert(
            0,
            passed(
                CHECK,
                f"no enabled Conditional Access policy stops {label} registering security "
                f"information ({total} policies read, {considered} on that action for them)",
            ),
        )
    return results
