"""Users: get by id or UPN, list with ``$filter``, manager, memberOf, checkMemberGroups, and the
authentication methods list.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import permissions as perm
from ..auth import require_permission
from ..dispatch import GraphRequest, GraphResponse, Router
from ..errors import GraphError, bad_request, not_found
from ..odata import (
    ADVANCED_OPERATORS,
    advanced_query,
    compile_filter,
    eventual,
    parse_orderby,
    parse_select,
    parse_top,
    project,
)
from ..privilege import directory_role_names
from ..registration import method_json, password_json
from ..state import ROLE_TEMPLATES, USER_DEFAULT_PROPERTIES, DirectoryApp, Group, User
from .common import context, group_json, ok, paged, require_premium, require_user
from .tap import tap_json

if TYPE_CHECKING:
    from ..emulator import Emulator


def _user_properties() -> frozenset[str]:
    sample = User(id="", user_principal_name="x@x", display_name="", created=datetime.now(UTC))
    return frozenset(sample.json())


USER_PROPERTIES = _user_properties()
_EXPAND = re.compile(r"^manager(?:\(\$select=([^)]*)\))?$")


def register(router: Router) -> None:
    router.add("GET", "users", perm.USER_READ, "directory_read")(list_users)
    router.add("GET", "users/{user}", perm.USER_READ, "directory_read")(get_user)
    router.add("GET", "users/{user}/manager", perm.USER_READ, "directory_read")(get_manager)
    router.add("GET", "users/{user}/memberOf", perm.MEMBERSHIP_READ, "directory_read")(member_of)
    router.add(
        "GET", "users/{user}/memberOf/microsoft.graph.group", perm.MEMBERSHIP_READ, "directory_read"
    )(member_of_groups)
    router.add("GET", "users/{user}/transitiveMemberOf", perm.MEMBERSHIP_READ, "directory_read")(
        transitive_member_of
    )
    router.add(
        "GET",
        "users/{user}/transitiveMemberOf/microsoft.graph.group",
        perm.MEMBERSHIP_READ,
        "directory_read",
    )(transitive_member_of_groups)
    router.add("GET", "users/{user}/ownedObjects", perm.USER_READ, "directory_read")(owned_objects)
    router.add("POST", "users/{user}/checkMemberGroups", perm.MEMBERSHIP_READ, "directory_read")(
        check_member_groups
    )
    router.add(
        "GET", "users/{user}/authentication/methods", perm.AUTH_METHODS_READ, "directory_read"
    )(list_methods)


def user_view(user: User, selected: list[str] | None) -> dict[str, Any]:
    body = project(user.json(), selected, USER_DEFAULT_PROPERTIES)
    if "signInActivity" in body and body["signInActivity"] is None:
        del body["signInActivity"]  # "isn't returned for a user who never signed in"
    return body


SIGN_IN_ACTIVITY = "signInActivity"
# Listing users with signInActivity selected or filtered: "the maximum page size is 120".
SIGN_IN_PAGE_MAX = 120
_NAMES = re.compile(r"[A-Za-z_][\w/]*")


def _sign_in_activity_allowed(em: Emulator, req: GraphRequest) -> None:
    """signInActivity needs AuditLog.Read.All and an Entra ID P1 or P2 licence."""
    require_permission(req.roles, perm.SIGN_IN_ACTIVITY_READ)
    require_premium(em)


def _sign_in_listing(em: Emulator, req: GraphRequest, selected: list[str] | None, top: int) -> int:
    """The checks and the page size of a user listing that selects or filters signInActivity."""
    filtered = _filtered_properties(req.query.get("$filter", ""))
    if SIGN_IN_ACTIVITY not in (selected or ()) and SIGN_IN_ACTIVITY not in filtered:
        return top
    _sign_in_activity_allowed(em, req)
    if SIGN_IN_ACTIVITY in filtered and len(filtered) > 1:
        # signInActivity "Supports $filter (eq, ne, not, ge, le) but not with any other
        # filterable properties" (user resource, v1.0); the wording is the emulator's.
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            "Filtering on signInActivity cannot be combined with other properties.",
        )
    return min(top, SIGN_IN_PAGE_MAX)


def _filtered_properties(text: str) -> set[str]:
    return {n.split("/")[0] for n in _NAMES.findall(text) if n.split("/")[0] in USER_PROPERTIES}


def _select_suffix(selected: list[str] | None) -> str:
    return f"({','.join(selected)})" if selected else ""


def list_users(em: Emulator, req: GraphRequest) -> GraphResponse:
    selected = parse_select(req.query.get("$select"), USER_PROPERTIES, "user")
    top = parse_top(req.query.get("$top"), 100, 999)
    top = _sign_in_listing(em, req, selected, top)
    # Without ConsistencyLevel, Graph ignores $count=true (200, no @odata.count).
    advanced = advanced_query(req.headers, req.query)
    ids: Sequence[str] | None = None
    extra = b""
    if "$skiptoken" not in req.query:
        users: list[User] = list(em.tenant.users.values())
        if "$filter" in req.query:
            flt = compile_filter(req.query["$filter"], USER_PROPERTIES, "user")
            if flt.operators & ADVANCED_OPERATORS and not advanced:
                prop = flt.advanced_property or "userPrincipalName"
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    f"Unsupported or invalid query filter clause specified for property '{prop}' "
                    "of resource 'User'.",
                )
            users = [u for u in users if flt(u.json())]
        if "$search" in req.query:
            if not eventual(req.headers):  # $search needs the header, not $count
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    "Request with $search query parameter only works through MSGraph with a "
                    "special request header: 'ConsistencyLevel: eventual'",
                )
            users = _search(users, req.query["$search"])
        order = parse_orderby(req.query.get("$orderby"), {"displayName", "userPrincipalName"})
        if order and "$filter" in req.query and not advanced:
            raise GraphError(
                400, "Request_UnsupportedQuery", "Sorting not supported for current query."
            )
        for prop, desc in reversed(order):
            users.sort(key=_sort_key(prop), reverse=desc)
        ids = [u.id for u in users]
        if advanced:
            extra = f',"@odata.count":{len(ids)}'.encode()
    tenant_users = em.tenant.users

    def render(chunk: Sequence[str]) -> bytes:
        return json.dumps(
            [user_view(tenant_users[i], selected) for i in chunk if i in tenant_users]
        )[1:-1].encode()

    return paged(
        em,
        req,
        ids=ids,
        top=top,
        render=render,
        context_url=context(em, f"users{_select_suffix(selected)}"),
        extra=extra,
    )


def _sort_key(prop: str) -> Callable[[User], str]:
    return lambda user: str(user.json().get(prop) or "").casefold()


def _search(users: list[User], text: str) -> list[User]:
    match = re.match(r'^"?([A-Za-z]+):(.*?)"?$', text.strip())
    if not match:
        raise bad_request("Syntax error: character '\"' is not valid at position 0.")
    prop, needle = match.group(1), match.group(2).casefold()
    return [u for u in users if needle in str(u.json().get(prop) or "").casefold()]


def get_user(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    selected = parse_select(req.query.get("$select"), USER_PROPERTIES, "user")
    if SIGN_IN_ACTIVITY in (selected or ()):
        _sign_in_activity_allowed(em, req)
    body: dict[str, Any] = {
        "@odata.context": context(em, f"users{_select_suffix(selected)}/$entity")
    }
    body.update(user_view(user, selected))
    expand = req.query.get("$expand")
    if expand:
        match = _EXPAND.match(expand.strip())
        if not match:
            raise bad_request(
                "Parsing OData Select and Expand failed: Could not find a property named "
                f"'{expand}' on type 'microsoft.graph.user'."
            )
        manager = em.tenant.users.get(user.manager_id or "")
        if manager is not None:
            manager_select = parse_select(match.group(1), USER_PROPERTIES, "user")
            body["manager"] = {
                "@odata.type": "#microsoft.graph.user",
                **user_view(manager, manager_select),
            }
    return ok(body)


def get_manager(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    manager = em.tenant.users.get(user.manager_id or "")
    if manager is None:
        raise not_found("manager")
    selected = parse_select(req.query.get("$select"), USER_PROPERTIES, "user")
    body = {
        "@odata.context": context(em, "directoryObjects/$entity"),
        "@odata.type": "#microsoft.graph.user",
        **user_view(manager, selected),
    }
    return ok(body)


def role_json(em: Emulator, name: str) -> dict[str, Any]:
    template = ROLE_TEMPLATES.get(name, str(uuid.uuid5(uuid.NAMESPACE_URL, f"role/{name}")))
    return {
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{em.tenant.id}/{template}")),
        "deletedDateTime": None,
        "description": f"Emulated directory role: {name}.",
        "displayName": name,
        "roleTemplateId": template,
    }


def group_entry(group: Group) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.group", **group_json(group)}


# What $select may name on a directoryObject collection: any property of the types in it.
DIRECTORY_OBJECT_PROPERTIES = (
    USER_PROPERTIES
    | frozenset(group_json(Group(id="", display_name="", created=datetime.now(UTC))))
    | frozenset(
        {"roleTemplateId", "deletedDateTime", "appId", "servicePrincipalType", "description"}
    )
)


def _directory_objects(
    em: Emulator, req: GraphRequest, items: list[dict[str, Any]], context_name: str
) -> GraphResponse:
    """A directoryObject collection, 100 per page (``$top`` ≤ 999), each item typed; with
    ``$select`` each keeps its ``@odata.type`` and the selected properties it has."""
    for option in ("$filter", "$search", "$orderby"):
        if option in req.query:
            raise GraphError(
                400,
                "Request_UnsupportedQuery",
                f"{option} on this relationship is not supported by the emulator.",
            )
    selected = parse_select(
        req.query.get("$select"), DIRECTORY_OBJECT_PROPERTIES, "directoryObject"
    )
    top = parse_top(req.query.get("$top"), 100, 999)
    by_id = {item["id"]: item for item in items}
    ids = None if "$skiptoken" in req.query else list(by_id)

    def view(item: dict[str, Any]) -> dict[str, Any]:
        if selected is None:
            return item
        return {"@odata.type": item["@odata.type"], **{k: item[k] for k in selected if k in item}}

    def render(chunk: Sequence[str]) -> bytes:
        return json.dumps([view(by_id[i]) for i in chunk if i in by_id])[1:-1].encode()

    # An advanced query (ConsistencyLevel: eventual and $count=true) adds @odata.count; without
    # the header $count=true is ignored, as on /users.
    extra = b""
    if ids is not None and advanced_query(req.headers, req.query):
        extra = f',"@odata.count":{len(ids)}'.encode()
    return paged(
        em,
        req,
        ids=ids,
        top=top,
        render=render,
        context_url=context(em, f"{context_name}{_select_suffix(selected)}"),
        extra=extra,
    )


def _roles(em: Emulator, user: User, *, transitive: bool) -> list[dict[str, Any]]:
    return [role_json(em, n) for n in directory_role_names(em.tenant, user, transitive=transitive)]


def member_of(em: Emulator, req: GraphRequest) -> GraphResponse:
    """Direct groups first, then directory roles (so a role can be past item 100)."""
    user = require_user(em, req.params["user"])
    items = [group_entry(g) for g in em.tenant.groups_of(user.id, transitive=False)]
    items += _roles(em, user, transitive=False)
    return _directory_objects(em, req, items, "directoryObjects")


def member_of_groups(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    items = [group_entry(g) for g in em.tenant.groups_of(user.id, transitive=False)]
    return _directory_objects(em, req, items, "groups")


def transitive_member_of(em: Emulator, req: GraphRequest) -> GraphResponse:
    """Groups through any nesting, and the directory roles held directly or through them."""
    user = require_user(em, req.params["user"])
    items = [group_entry(g) for g in em.tenant.groups_of(user.id, transitive=True)]
    items += _roles(em, user, transitive=True)
    return _directory_objects(em, req, items, "directoryObjects")


def transitive_member_of_groups(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    items = [group_entry(g) for g in em.tenant.groups_of(user.id, transitive=True)]
    return _directory_objects(em, req, items, "groups")


def owned_objects(em: Emulator, req: GraphRequest) -> GraphResponse:
    """Groups, applications and service principals the user owns. Without an application read
    permission, Graph shows applications and service principals with type and id only."""
    user = require_user(em, req.params["user"])
    full = bool(req.roles & perm.APPLICATION_READ)
    items: list[dict[str, Any]] = [
        group_entry(g) for g in em.tenant.groups.values() if user.id in g.owners
    ]
    apps: list[DirectoryApp] = [a for a in em.tenant.applications.values() if user.id in a.owners]
    items += [a.json(full=full) for a in apps]
    return _directory_objects(em, req, items, "directoryObjects")


def check_member_groups(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    ids = req.json_body().get("groupIds")
    if not isinstance(ids, list) or not ids:
        raise bad_request("Invalid request: groupIds is required.")
    if len(ids) > 20:
        raise bad_request("The maximum number of groupIds is 20.")
    for group_id in ids:
        try:
            uuid.UUID(str(group_id))
        except ValueError:
            raise bad_request(f"Invalid GUID:{group_id}") from None
    member = {g.id for g in em.tenant.groups_of(user.id, transitive=True)}
    return ok(
        {
            "@odata.context": context(em, "Collection(Edm.String)"),
            "value": [g for g in ids if g in member],
        }
    )


def list_methods(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    items = [password_json(user), *(method_json(m, user) for m in user.methods)]
    if user.tap is not None:
        items.append(tap_json(em, user, user.tap, passcode=None))
    return ok(
        {
            "@odata.context": context(em, f"users('{user.id}')/authentication/methods"),
            "value": items,
        }
    )
