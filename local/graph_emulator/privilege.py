"""What makes an account privileged, as Graph shows it: role assignments at any scope, PIM
eligibilities for roles and for groups, ownership of groups, applications and service
principals, and the directory roles ``memberOf`` lists.

A user's ``directoryRoles`` (seed, control API) are active assignments of built-in roles at the
tenant scope ``/``; everything else is an explicit ``RoleGrant`` on a user or a role-assignable
group. Seed and control specs share one format (see ``grant_from_spec``).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from .clock import graph_datetime, parse_when
from .state import (
    ROLE_TEMPLATES,
    DirectoryApp,
    Group,
    GroupEligibility,
    RoleDefinition,
    RoleGrant,
    Tenant,
    User,
)

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# The tenant, one administrative unit, or one directory object (an application, say).
_SCOPE = re.compile(rf"^/(?:administrativeUnits/{_GUID}|{_GUID})?$")
ACCESS_IDS = ("member", "owner")


class SpecError(ValueError):
    """A seed or control-API spec the emulator refuses (the message says why)."""


def builtin_definitions() -> dict[str, RoleDefinition]:
    return {
        template: RoleDefinition(template, name, is_built_in=True)
        for name, template in ROLE_TEMPLATES.items()
    }


def definition_from_spec(spec: dict[str, Any]) -> RoleDefinition:
    """A custom role: ``{"displayName", "id"?, "description"?}`` (id derived from the name)."""
    name = spec.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"role definition without displayName: {spec!r}")
    role_id = str(spec.get("id") or uuid.uuid5(uuid.NAMESPACE_URL, f"customRole/{name}"))
    if not re.fullmatch(_GUID, role_id):
        raise SpecError(f"role definition id {role_id!r} is not a GUID")
    return RoleDefinition(
        role_id.lower(), name, is_built_in=False, description=spec.get("description")
    )


def _template_for(name: str) -> str:
    return ROLE_TEMPLATES.get(name, str(uuid.uuid5(uuid.NAMESPACE_URL, f"role/{name}")))


def grant_from_spec(
    tenant: Tenant, spec: str | dict[str, Any], principal_id: str, now: datetime, kind: str
) -> RoleGrant:
    """``"Global Administrator"`` or ``{"role": name or definition id, "scope": "/" |
    "/administrativeUnits/{id}" | "/{objectId}", "start": "now-1d", "end": "now+30d", "id"}``."""
    spec = {"role": spec} if isinstance(spec, str) else dict(spec)
    key = spec.get("role") or spec.get("roleDefinitionId")
    if not isinstance(key, str) or not key:
        raise SpecError(f"role grant without a role: {spec!r}")
    definition = tenant.role_definition(key)
    if definition is None:
        raise SpecError(f"unknown role definition {key!r} (add custom roles first)")
    scope = str(spec.get("scope", spec.get("directoryScopeId", "/")))
    if not _SCOPE.match(scope):
        raise SpecError(f"scope {scope!r}: use /, /administrativeUnits/{{id}} or /{{objectId}}")
    start = parse_when(spec["start"], now) if spec.get("start") else None
    end = parse_when(spec["end"], now) if spec.get("end") else None
    grant_id = str(
        spec.get("id")
        or uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{principal_id}/{definition.id}/{scope}")
    )
    return RoleGrant(grant_id, definition.id, scope, spec.get("appScopeId"), start, end)


def grants_from_specs(
    tenant: Tenant, specs: Any, principal: User | Group, now: datetime, kind: str
) -> list[RoleGrant]:
    if specs is None:
        return []
    if not isinstance(specs, list):
        raise SpecError(f"{kind}: a list of role grants is expected")
    if isinstance(principal, Group) and specs and not principal.is_assignable_to_role:
        # Graph: only role-assignable groups (isAssignableToRole) can be assigned roles.
        raise SpecError(f"group {principal.display_name!r} is not role-assignable")
    return [grant_from_spec(tenant, s, principal.id, now, kind) for s in specs]


def group_eligibility_from_spec(
    tenant: Tenant, spec: str | dict[str, Any], principal_id: str, now: datetime
) -> GroupEligibility:
    """``"<group id>"`` or ``{"group": id, "accessId": "member" | "owner", "start", "end"}``."""
    spec = {"group": spec} if isinstance(spec, str) else dict(spec)
    group = tenant.groups.get(str(spec.get("group") or spec.get("groupId") or ""))
    if group is None:
        raise SpecError(f"group eligibility for an unknown group: {spec!r}")
    access = str(spec.get("accessId", "member"))
    if access not in ACCESS_IDS:
        raise SpecError(f"accessId {access!r}: member or owner")
    start = parse_when(spec.get("start", "now-1d"), now)
    end = parse_when(spec["end"], now) if spec.get("end") else None
    schedule = str(uuid.uuid5(uuid.NAMESPACE_URL, f"pimGroup/{group.id}/{access}/{principal_id}"))
    return GroupEligibility(f"{group.id}_{access}_{schedule}", group.id, access, start, end)


def app_from_spec(tenant: Tenant, spec: dict[str, Any], kind: str) -> DirectoryApp:
    """``{"displayName", "id"?, "appId"?, "owners": [upn or id]}`` (an application or a
    service principal); owners must exist."""
    name = str(spec.get("displayName") or kind)
    app_id = str(spec.get("id") or uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant.id}/{kind}/{name}"))
    app = DirectoryApp(
        app_id,
        kind,
        name,
        str(spec.get("appId") or uuid.uuid5(uuid.NAMESPACE_URL, f"appId/{app_id}")),
    )
    for owner in spec.get("owners", []):
        user = tenant.find_user(str(owner))
        if user is None:
            raise SpecError(f"{kind} {name!r}: unknown owner {owner!r}")
        app.owners[user.id] = None
    return app


def set_owned_objects(tenant: Tenant, user: User, specs: list[Any]) -> None:
    """Make ``specs`` exactly what the user owns: group ids, or ``{"type": "application" |
    "servicePrincipal" | "group", "id"?, "displayName"?}`` (an unknown app is created)."""
    resolved: list[Group | DirectoryApp] = []
    for spec in specs:
        spec = {"type": "group", "id": spec} if isinstance(spec, str) else dict(spec)
        kind = spec.get("type", "application")
        if kind == "group":
            group = tenant.groups.get(str(spec.get("id")))
            if group is None:
                raise SpecError(f"owned group {spec.get('id')!r} does not exist")
            resolved.append(group)
        elif kind in ("application", "servicePrincipal"):
            known = tenant.applications.get(str(spec.get("id") or ""))
            resolved.append(known or app_from_spec(tenant, spec, kind))
        else:
            raise SpecError(f"owned object type {kind!r}: group, application or servicePrincipal")
    for obj in [*tenant.groups.values(), *tenant.applications.values()]:
        obj.owners.pop(user.id, None)
    for obj in resolved:
        if isinstance(obj, DirectoryApp):
            tenant.applications.setdefault(obj.id, obj)
        obj.owners[user.id] = None


def active_grants(principal: User | Group) -> list[RoleGrant]:
    """Active assignments: a user's ``directoryRoles`` (built-in roles at ``/``) and explicit ones."""
    grants = list(principal.role_assignments)
    if isinstance(principal, User):
        for name in principal.roles:
            template = _template_for(name)
            grant_id = str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"directoryRole/{principal.id}/{template}")
            )
            grants.append(RoleGrant(grant_id, template, "/"))
    return grants


def directory_role_names(tenant: Tenant, user: User, *, transitive: bool) -> list[str]:
    """The directory roles ``memberOf`` shows: built-in roles active at ``/`` for the user and,
    transitively, for the groups the user is in (``directoryRole`` objects list groups as
    members). Other scopes and custom roles never appear there."""
    holders: list[User | Group] = [user]
    if transitive:
        holders += tenant.groups_of(user.id, transitive=True)
    names: dict[str, None] = {}
    for holder in holders:
        for grant in active_grants(holder):
            definition = tenant.role_definitions.get(grant.role_definition_id.lower())
            if grant.directory_scope_id == "/" and (definition is None or definition.is_built_in):
                names[definition.display_name if definition else grant.role_definition_id] = None
    if isinstance(user, User):
        for name in user.roles:  # names the emulator does not know still show
            names.setdefault(name, None)
    return list(names)


def assignment_json(principal_id: str, grant: RoleGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "principalId": principal_id,
        "roleDefinitionId": grant.role_definition_id,
        "directoryScopeId": grant.directory_scope_id,
        "appScopeId": grant.app_scope_id,
    }


def eligibility_json(principal_id: str, grant: RoleGrant, now: datetime) -> dict[str, Any]:
    start = grant.start or now
    return {
        "id": grant.id,
        "principalId": principal_id,
        "roleDefinitionId": grant.role_definition_id,
        "directoryScopeId": grant.directory_scope_id,
        "appScopeId": grant.app_scope_id,
        "startDateTime": graph_datetime(start),
        "endDateTime": graph_datetime(grant.end) if grant.end else None,
        "memberType": "Direct",
        "roleEligibilityScheduleId": grant.id,
    }


def group_eligibility_json(principal_id: str, item: GroupEligibility) -> dict[str, Any]:
    return {
        "id": item.id,
        "startDateTime": graph_datetime(item.start),
        "endDateTime": graph_datetime(item.end) if item.end else None,
        "accessId": item.access_id,
        "principalId": principal_id,
        "groupId": item.group_id,
        "memberType": "Direct",
        "eligibilityScheduleId": item.id.rsplit("_", 1)[-1],
    }


def current(end: datetime | None, now: datetime) -> bool:
    """Schedule instances are the current and future ones: an ended one is gone."""
    return end is None or end > now


def grant_out(grant: RoleGrant) -> dict[str, Any]:
    """A grant for the control API's user/group view."""
    return {
        "id": grant.id,
        "roleDefinitionId": grant.role_definition_id,
        "directoryScopeId": grant.directory_scope_id,
        "start": graph_datetime(grant.start) if grant.start else None,
        "end": graph_datetime(grant.end) if grant.end else None,
    }
