"""Microsoft Authenticator methods (``microsoftAuthenticatorAuthenticationMethod``) and their
``device`` relationship, which tells push notifications from passwordless phone sign-in: Graph
leaves it null unless the phone is registered for phone sign-in.

``device`` is a navigation property: only ``$expand=device`` (or the ``/device`` segment) returns
it, and reading it reads a directory device object, so the token also needs a device-read
permission (``Device.Read.All`` or a directory-wide read).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import permissions as perm
from ..auth import require_permission
from ..dispatch import GraphRequest, GraphResponse, Router
from ..errors import bad_request, not_found
from ..odata import parse_select
from ..registration import AUTHENTICATOR, DEVICE_PROPERTIES, authenticator_json, device_json
from ..state import RegisteredMethod, User
from .common import context, ok, require_user

if TYPE_CHECKING:
    from ..emulator import Emulator

PATH = "users/{user}/authentication/microsoftAuthenticatorMethods"
_EXPAND = re.compile(r"^device(?:\(\s*\$select\s*=\s*([^)]*)\))?$")


def register(router: Router) -> None:
    router.add("GET", PATH, perm.AUTH_METHODS_READ, "directory_read")(list_methods)
    router.add("GET", PATH + "/{method}", perm.AUTH_METHODS_READ, "directory_read")(get_method)
    router.add("GET", PATH + "/{method}/device", perm.AUTH_METHODS_READ, "directory_read")(
        get_device
    )


def _expansion(req: GraphRequest) -> tuple[bool, list[str] | None]:
    """``(expand device?, its $select)``; anything but ``device`` is a 400, as Graph answers
    for an unknown navigation property."""
    text = (req.query.get("$expand") or "").strip()
    if not text:
        return False, None
    match = _EXPAND.match(text)
    if not match:
        name = text.split("(")[0].strip()
        raise bad_request(
            "Parsing OData Select and Expand failed: Could not find a property named "
            f"'{name}' on type 'microsoft.graph.microsoftAuthenticatorAuthenticationMethod'."
        )
    require_permission(req.roles, perm.DEVICE_READ)
    return True, parse_select(match.group(1), DEVICE_PROPERTIES, "device")


def _device(method: RegisteredMethod, selected: list[str] | None) -> dict[str, Any] | None:
    device = device_json(method)
    if device is None or selected is None:
        return device
    return {"@odata.type": device["@odata.type"], **{k: device.get(k) for k in selected}}


def _item(method: RegisteredMethod, expand: bool, selected: list[str] | None) -> dict[str, Any]:
    item = authenticator_json(method)
    if expand:
        item["device"] = _device(method, selected)
    return item


def _authenticators(user: User) -> list[RegisteredMethod]:
    return [m for m in user.methods if m.kind in AUTHENTICATOR]


def _suffix(expand: bool, selected: list[str] | None) -> str:
    return f"(device({','.join(selected or [])}))" if expand else ""


def list_methods(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    expand, selected = _expansion(req)
    items = [_item(m, expand, selected) for m in _authenticators(user)]
    fragment = f"users('{user.id}')/authentication/microsoftAuthenticatorMethods"
    return ok(
        {
            "@odata.context": context(em, fragment + _suffix(expand, selected)),
            "value": items,
        }
    )


def _require_method(em: Emulator, req: GraphRequest) -> tuple[User, RegisteredMethod]:
    user = require_user(em, req.params["user"])
    wanted = req.params["method"]
    method = next((m for m in _authenticators(user) if m.id == wanted), None)
    if method is None:
        raise not_found(wanted)
    return user, method


def get_method(em: Emulator, req: GraphRequest) -> GraphResponse:
    user, method = _require_method(em, req)
    expand, selected = _expansion(req)
    fragment = f"users('{user.id}')/authentication/microsoftAuthenticatorMethods"
    return ok(
        {
            "@odata.context": context(em, fragment + _suffix(expand, selected) + "/$entity"),
            **_item(method, expand, selected),
        }
    )


def get_device(em: Emulator, req: GraphRequest) -> GraphResponse:
    """The relationship on its own: 404 while it is null (inferred, as for ``/manager``)."""
    _user, method = _require_method(em, req)
    require_permission(req.roles, perm.DEVICE_READ)
    selected = parse_select(req.query.get("$select"), DEVICE_PROPERTIES, "device")
    device = _device(method, selected)
    if device is None:
        raise not_found("device")
    return ok({"@odata.context": context(em, "devices/$entity"), **device})
