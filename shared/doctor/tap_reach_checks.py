"""Whom the TAP policy lets a pass be issued to: never to a privileged account. Pure.

A Temporary Access Pass is a sign-in as its user, and Graph refuses to create one for a user
outside the TAP policy's targets (400 "Converged UserCredentialPolicy does not allow creating
or updating this authentication method"). So the policy's include targets are the reach of
anyone who can issue a pass — Tapstart's identity included, and whoever controls it. Tapstart
refuses privileged joiners itself (`shared.domain.privilege`), but the policy is the tenant's
own guardrail and the one that holds when Tapstart's identity is misused.

`tap.privileged_reach` fails when an include target reaches privileged accounts:

- `all_users`: every admin and break-glass account. Exclusions do not make it safe (a new admin
  is in no exclusion group until someone remembers to add them), so it fails whatever is
  excluded;
- a group that is role-assignable (`isAssignableToRole`): it exists to hold admin roles;
- a group that holds a directory role, active or PIM-eligible (only role-assignable groups can,
  but the assignment is read, not inferred);
- a group in `PROTECTED_GROUP_IDS`: the accounts the tenant itself says are never to get a pass.

A target that cannot be read fails too (fail-closed: "cannot tell" is not "safe"). The fix is
always the same: target the TAP policy at Tapstart's passwordless group(s) only; Tapstart adds
each joiner to them before it asks for the pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure
from shared.doctor.result import CheckResult, failed, passed

ALL_USERS = "all_users"
CHECK = "tap.privileged_reach"
TARGET_GROUP_SELECT = "id,displayName,isAssignableToRole"
# PIM answers a tenant without Entra ID P2 with this code: no PIM, so nothing is eligible.
NO_P2 = "AadPremiumLicenseRequired"


def _filter_principal(principal_id: str) -> str:
    literal = "'" + principal_id.replace("'", "''") + "'"
    return quote(f"principalId eq {literal}", safe="'()")


def target_group_path(group_id: str) -> str:
    return f"/groups/{quote(group_id, safe='')}?$select={TARGET_GROUP_SELECT}"


def assignments_path(group_id: str) -> str:
    return (
        "/roleManagement/directory/roleAssignments"
        f"?$filter={_filter_principal(group_id)}&$select=id,roleDefinitionId,directoryScopeId"
    )


def eligibility_path(group_id: str) -> str:
    return (
        "/roleManagement/directory/roleEligibilityScheduleInstances"
        f"?$filter={_filter_principal(group_id)}&$select=id,roleDefinitionId,directoryScopeId"
    )


@dataclass(frozen=True)
class TargetReads:
    """What the doctor read of one group the TAP policy includes."""

    group: Fetched
    assignments: Fetched
    eligibilities: Fetched


def include_group_ids(policy: Fetched) -> list[str]:
    """The TAP policy's include targets other than `all_users` (the groups to read)."""
    if isinstance(policy, ReadFailure):
        return []
    ids = [str(t.get("id", "")) for t in policy.get("includeTargets") or []]
    return [i for i in dict.fromkeys(ids) if i and i != ALL_USERS]


def _count(body: Fetched) -> int:
    return len(body.get("value") or []) if isinstance(body, dict) else 0


def _name(reads: TargetReads, group_id: str) -> str:
    group = reads.group
    return str(group.get("displayName") or group_id) if isinstance(group, dict) else group_id


def _group_findings(
    group_id: str, reads: TargetReads, protected: frozenset[str]
) -> tuple[list[str], list[str]]:
    """(why this group reaches privileged accounts, why it cannot be told)."""
    name = _name(reads, group_id)
    reasons: list[str] = []
    unknown: list[str] = []
    if group_id in protected:
        reasons.append(f"{name} is in PROTECTED_GROUP_IDS")
    group: Mapping[str, Any] | ReadFailure = reads.group
    if isinstance(group, ReadFailure):
        unknown.append(f"group {group_id}: {group.describe()}")
    elif group.get("isAssignableToRole"):
        reasons.append(f"{name} is role-assignable (a group made to hold admin roles)")
    if isinstance(reads.assignments, ReadFailure):
        unknown.append(f"role assignments of {name}: {reads.assignments.describe()}")
    elif active := _count(reads.assignments):
        reasons.append(f"{name} holds {active} active directory role assignment(s)")
    eligible = reads.eligibilities
    if isinstance(eligible, ReadFailure):
        if eligible.code != NO_P2:
            unknown.append(f"role eligibility of {name}: {eligible.describe()}")
    elif count := _count(eligible):
        reasons.append(f"{name} is eligible for {count} directory role(s) through PIM")
    return reasons, unknown


def check_tap_reach(
    policy: Fetched,
    targets: Mapping[str, TargetReads],
    *,
    group_ids: Sequence[str],
    group_names: Mapping[str, str],
    protected_group_ids: Sequence[str] = (),
) -> list[CheckResult]:
    """`targets`: the reads of each group in `include_group_ids(policy)`."""
    if isinstance(policy, ReadFailure):
        return []  # `tap.policy` already says the policy is unreadable
    label = ", ".join(group_names.get(g, g) for g in group_ids) or "the passwordless group"
    fix = (
        f"target the TAP policy at Tapstart's passwordless group(s) only ({label}); Tapstart "
        f"adds each joiner to them before it issues the pass: {portal.TAP_POLICY} → Enable and "
        f"target → Include: remove the other targets, add {label}"
    )
    includes = [str(t.get("id", "")) for t in policy.get("includeTargets") or []]
    reasons: list[str] = []
    unknown: list[str] = []
    if ALL_USERS in includes:
        reasons.append(
            "it includes all users: every admin and break-glass account can be given a pass "
            "(exclusions miss the next new admin)"
        )
    protected = frozenset(protected_group_ids)
    for group_id in include_group_ids(policy):
        reads = targets.get(group_id)
        if reads is None:
            unknown.append(f"group {group_id}: not read")
            continue
        why, cannot = _group_findings(group_id, reads, protected)
        reasons += why
        unknown += cannot
    if reasons:
        return [
            failed(
                CHECK,
                "the TAP policy reaches privileged accounts (a pass is a sign-in as its user): "
                + "; ".join(reasons),
                fix,
            )
        ]
    if unknown:
        return [
            failed(
                CHECK,
                "cannot tell whether the TAP policy reaches privileged accounts: "
                + "; ".join(unknown),
                "grant RoleManagement.Read.Directory and GroupMember.ReadWrite.All "
                f"({portal.API_PERMISSIONS}), then run the doctor again",
            )
        ]
    names = ", ".join(_name(targets[g], g) for g in include_group_ids(policy) if g in targets)
    return [
        passed(
            CHECK,
            f"the TAP policy reaches only {names or 'no one'}: no role-assignable, "
            "role-holding or protected group",
        )
    ]
