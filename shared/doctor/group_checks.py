"""Each passwordless group: it exists, Tapstart can add members (assigned, not dynamic), it is a
security group the method policies can target, and it is not role-assignable. Pure."""

from __future__ import annotations

from typing import Any

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure, unreadable
from shared.doctor.result import CheckResult, failed, passed, warned

GROUP_SELECT = (
    "id,displayName,groupTypes,membershipRule,isAssignableToRole,securityEnabled,mailEnabled"
)


def group_name(group: Fetched, group_id: str) -> str:
    return str(group.get("displayName") or group_id) if isinstance(group, dict) else group_id


def check_group(group_id: str, group: Fetched) -> CheckResult:
    name = group_name(group, group_id)
    check = f"group[{name}]"
    if isinstance(group, ReadFailure):
        if group.status == 404:
            return failed(
                check,
                f"group {group_id} does not exist",
                f"create an assigned security group ({portal.GROUPS} → New group) and put its "
                f"object id in PASSWORDLESS_GROUP_IDS ({portal.APP_SETTINGS})",
            )
        return unreadable(check, f"group {group_id}", group, "GroupMember.ReadWrite.All")
    return _evaluate(check, name, group)


def _evaluate(check: str, name: str, group: dict[str, Any]) -> CheckResult:
    if "DynamicMembership" in (group.get("groupTypes") or []):
        rule = group.get("membershipRule") or "?"
        return failed(
            check,
            f"{name} is a dynamic group (rule {rule}): Graph refuses to add members, so "
            "every joiner would fail at the group step",
            f"use an assigned security group: {portal.GROUPS} → New group → Membership type: "
            "Assigned; update PASSWORDLESS_GROUP_IDS",
        )
    if group.get("isAssignableToRole"):
        return warned(
            check,
            f"{name} is role-assignable: adding members needs RoleManagement.ReadWrite.Directory "
            "and puts joiners in a group meant for admin roles",
            f"use a group created without 'Microsoft Entra roles can be assigned to the group' "
            f"({portal.GROUPS} → New group); update PASSWORDLESS_GROUP_IDS",
        )
    if not group.get("securityEnabled"):
        return warned(
            check,
            f"{name} is not a security group (Microsoft 365 group)",
            f"use an assigned security group ({portal.GROUPS} → New group → Group type: Security)",
        )
    return passed(check, f"{name}: assigned security group")
