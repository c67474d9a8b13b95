"""Whether an account is privileged, decided on everything that makes it so — never a TAP for it.

A TAP is a sign-in as its user, and it satisfies the MFA that PIM activation asks for, so an
account that *could* become an admin is as dangerous as one that is: active role assignments
(to the user or a group they are in, transitively, at any scope, custom roles included), PIM
eligibility (the normal state of admins in a P2 tenant), membership — active, eligible or as
owner — of a role-assignable group, and ownership of applications or service principals (whose
owners can add credentials and act with the app's permissions). The adapter reads every page of
every one of these or raises: a partial answer is never a "not privileged".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Privilege:
    active_roles: tuple[str, ...] = ()  # role definition ids assigned, directly or via a group
    eligible_roles: tuple[str, ...] = ()  # PIM-eligible role definition ids, direct or via a group
    privileged_groups: tuple[str, ...] = ()  # role-assignable groups: member, eligible or owner
    owned_apps: tuple[str, ...] = ()  # applications and service principals the user owns
    protected_groups: tuple[str, ...] = ()  # PROTECTED_GROUP_IDS the user is in (transitively)


def privilege_reason(privilege: Privilege) -> str | None:
    """The refusal reason for a privileged account, or None."""
    if privilege.active_roles:
        return "admin_role"
    if privilege.eligible_roles:
        return "eligible_admin_role"
    if privilege.privileged_groups:
        return "privileged_group"
    if privilege.owned_apps:
        return "app_owner"
    if privilege.protected_groups:
        return "protected_account"
    return None
