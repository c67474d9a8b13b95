"""Groups: read, list members, add members by ``$ref`` or ``members@odata.bind`` (≤ 20, atomic)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import permissions as perm
from ..auth import require_permission
from ..dispatch import GraphRequest, GraphResponse, Router
from ..errors import ALREADY_MEMBER, INSUFFICIENT_PRIVILEGES, GraphError, bad_request, not_found
from ..odata import parse_select, parse_top, project
from ..state import Group, User, app_initiator
from .common import context, group_json, group_select_json, ok, paged
from .users import user_view

if TYPE_CHECKING:
    from ..emulator import Emulator

# $select on a group: the default set and the few select-only properties the emulator models.
_GROUP_PROPERTIES = frozenset(
    group_select_json(Group(id="", display_name="", created=datetime.now(UTC)))
)
_REFERENCE = re.compile(r"(?:\('([^']+)'\)|/([^/()]+))$")
MAX_BIND = 20


def register(router: Router) -> None:
    router.add("GET", "groups/{group}", perm.GROUP_READ, "directory_read")(get_group)
    router.add("GET", "groups/{group}/members", perm.GROUP_READ, "directory_read")(list_members)
    router.add("POST", "groups/{group}/members/$ref", perm.GROUP_MEMBER_WRITE, "directory_write")(
        add_member
    )
    router.add(
        "DELETE", "groups/{group}/members/{member}/$ref", perm.GROUP_MEMBER_WRITE, "directory_write"
    )(remove_member)
    router.add("PATCH", "groups/{group}", perm.GROUP_MEMBER_WRITE, "directory_write")(patch_group)


def _require_group(em: Emulator, group_id: str) -> Group:
    group = em.tenant.groups.get(group_id)
    if group is None:
        raise not_found(group_id)
    return group


def get_group(em: Emulator, req: GraphRequest) -> GraphResponse:
    group = _require_group(em, req.params["group"])
    selected = parse_select(req.query.get("$select"), _GROUP_PROPERTIES, "group")
    suffix = f"({','.join(selected)})" if selected else ""
    body = group_json(group) if selected is None else project(group_select_json(group), selected)
    return ok({"@odata.context": context(em, f"groups{suffix}/$entity"), **body})


def list_members(em: Emulator, req: GraphRequest) -> GraphResponse:
    group = _require_group(em, req.params["group"])
    top = parse_top(req.query.get("$top"), 100, 999)
    tenant = em.tenant

    def render(chunk: Any) -> bytes:
        items: list[dict[str, Any]] = []
        for object_id in chunk:
            obj = tenant.find_object(object_id)
            if isinstance(obj, User):
                items.append({"@odata.type": "#microsoft.graph.user", **user_view(obj, None)})
            elif isinstance(obj, Group):
                items.append({"@odata.type": "#microsoft.graph.group", **group_json(obj)})
        return json.dumps(items)[1:-1].encode()

    ids = None if "$skiptoken" in req.query else list(group.members)
    return paged(
        em, req, ids=ids, top=top, render=render, context_url=context(em, "directoryObjects")
    )


def reference_id(url: Any) -> str:
    """The object id at the end of an ``@odata.id`` (any host: the SDK may name graph.microsoft.com)."""
    match = _REFERENCE.search(str(url or "").rstrip("/"))
    if not match:
        raise bad_request(f"Invalid object identifier '{url}'.")
    return match.group(1) or match.group(2)


def _check_writable(req: GraphRequest, group: Group) -> None:
    if group.is_dynamic:
        # Graph refuses manual members on dynamic groups; the exact body is not documented.
        raise GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES)
    if group.is_assignable_to_role:
        roles = frozenset(req.app.roles) if req.app else frozenset()
        require_permission(roles, perm.ROLE_ASSIGNABLE_GROUP_WRITE)


def _add(em: Emulator, req: GraphRequest, group: Group, member: User | Group) -> None:
    group.members[member.id] = None
    if isinstance(member, User):
        member.touch()
        em.tenant.audit(
            "Add member to group",
            category="GroupManagement",
            service="Core Directory",
            target=member,
            initiated_by=app_initiator(req.app),
            details=[
                {"key": "GroupId", "value": group.id},
                {"key": "GroupName", "value": group.display_name},
            ],
        )


def add_member(em: Emulator, req: GraphRequest) -> GraphResponse:
    group = _require_group(em, req.params["group"])
    member_id = reference_id(req.json_body().get("@odata.id"))
    member = em.tenant.find_object(member_id)
    if member is None:
        raise not_found(member_id)
    _check_writable(req, group)
    if member.id in group.members:
        raise bad_request(ALREADY_MEMBER)
    _add(em, req, group, member)
    return GraphResponse(204)


def remove_member(em: Emulator, req: GraphRequest) -> GraphResponse:
    group = _require_group(em, req.params["group"])
    member_id = req.params["member"]
    if member_id not in group.members:
        raise not_found(member_id)
    _check_writable(req, group)
    del group.members[member_id]
    return GraphResponse(204)


def patch_group(em: Emulator, req: GraphRequest) -> GraphResponse:
    group = _require_group(em, req.params["group"])
    body = req.json_body()
    binds = body.get("members@odata.bind")
    if binds is not None:
        if not isinstance(binds, list):
            raise bad_request("Invalid value for members@odata.bind.")
        if len(binds) > MAX_BIND:
            raise bad_request(
                f"The request contains {len(binds)} member references; at most {MAX_BIND} can be "
                "added in one request."
            )
        members: list[User | Group] = []
        for url in binds:  # validate everything first: the request is all-or-nothing
            member_id = reference_id(url)
            member = em.tenant.find_object(member_id)
            if member is None:
                raise not_found(member_id)
            if member.id in group.members or any(m.id == member.id for m in members):
                raise bad_request(ALREADY_MEMBER)
            members.append(member)
        if members:
            _check_writable(req, group)
        for member in members:
            _add(em, req, group, member)
    for key, attr in (("displayName", "display_name"), ("description", "description")):
        if key in body:
            setattr(group, attr, body[key])
    return GraphResponse(204)
