"""Users: get by id or UPN, list with ``$filter``, manager, memberOf, checkMemberGroups, and the
authentication methods list.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import permissions as perm
from ..dispatch import GraphRequest, GraphResponse, Router
from ..errors import GraphError, bad_request, not_found
from ..odata import (
    ADVANCED_OPERATORS,
    compile_filter,
    parse_orderby,
    parse_select,
    parse_top,
    project,
)
from ..registration import method_json, password_json
from ..state import ROLE_TEMPLATES, USER_DEFAULT_PROPERTIES, Group, User
from .common import context, ok, paged, require_user
from .tap import tap_json

if TYPE_CHECKING:
    from ..emulator import Emulator


def _user_properties() -> frozenset[str]:
    from datetime import UTC, datetime

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
    router.add("POST", "users/{user}/checkMemberGroups", perm.MEMBERSHIP_READ, "directory_read")(
        check_member_groups
    )
    router.add(
        "GET", "users/{user}/authentication/methods", perm.AUTH_METHODS_READ, "directory_read"
    )(list_methods)


def user_view(user: User, selected: list[str] | None) -> dict[str, Any]:
    return project(user.json(), selected, USER_DEFAULT_PROPERTIES)


def _select_suffix(selected: list[str] | None) -> str:
    return f"({','.join(selected)})" if selected else ""


def _is_advanced(req: GraphRequest) -> bool:
    return (
        req.headers.get("ConsistencyLevel", "").lower() == "eventual"
        and req.query.get("$count", "").lower() == "true"
    )


def list_users(em: Emulator, req: GraphRequest) -> GraphResponse:
    selected = parse_select(req.query.get("$select"), USER_PROPERTIES, "user")
    top = parse_top(req.query.get("$top"), 100, 999)
    advanced = _is_advanced(req)
    if "$count" in req.query and req.headers.get("ConsistencyLevel", "").lower() != "eventual":
        raise bad_request("$count is not currently supported.")
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
            if not advanced:
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
    return {"@odata.type": "#microsoft.graph.group", **group.json()}


def member_of(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    items = [group_entry(g) for g in em.tenant.groups_of(user.id, transitive=False)]
    items += [role_json(em, name) for name in user.roles]
    return ok({"@odata.context": context(em, "directoryObjects"), "value": items})


def member_of_groups(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    items = [group_entry(g) for g in em.tenant.groups_of(user.id, transitive=False)]
    return ok({"@odata.context": context(em, "groups"), "value": items})


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
