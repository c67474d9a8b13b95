"""Deleting one registered authentication method from its type's collection
(``DELETE /users/{id}/authentication/<collection>/{methodId}``, Graph v1.0 delete pages: 204 No
Content, no body).

A method belongs to a collection when the ``methods`` list shows it with that collection's
``@odata.type``, so what can be deleted where follows what the emulator lists. The method is gone
from everything derived from it: the ``methods`` list, its own collection (and an Authenticator's
``device``), and the registration report's ``methodsRegistered``. The TAP's collection keeps its
own DELETE (``tap.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import permissions as perm
from ..dispatch import GraphRequest, GraphResponse, Handler, Router
from ..errors import not_found
from ..passkeys import PASSKEY_KINDS
from ..registration import method_json
from .common import deleted_security_info, require_user

if TYPE_CHECKING:
    from ..emulator import Emulator

# collection -> the @odata.type its items carry (and the ``methods`` list shows)
COLLECTIONS = {
    "microsoftAuthenticatorMethods": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
    "fido2Methods": "#microsoft.graph.fido2AuthenticationMethod",
    "windowsHelloForBusinessMethods": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
    "phoneMethods": "#microsoft.graph.phoneAuthenticationMethod",
    "emailMethods": "#microsoft.graph.emailAuthenticationMethod",
    "softwareOathMethods": "#microsoft.graph.softwareOathAuthenticationMethod",
}


def register(router: Router) -> None:
    for collection, odata_type in COLLECTIONS.items():
        router.add(
            "DELETE",
            f"users/{{user}}/authentication/{collection}/{{method}}",
            perm.METHOD_WRITE[collection],
            "directory_write",
        )(_deleter(odata_type))


def _deleter(odata_type: str) -> Handler:
    def handler(em: Emulator, req: GraphRequest) -> GraphResponse:
        return delete_method(em, req, odata_type)

    return handler


def delete_method(em: Emulator, req: GraphRequest, odata_type: str) -> GraphResponse:
    user = require_user(em, req.params["user"])
    wanted = req.params["method"]
    method = next(
        (
            m
            for m in user.methods
            if m.id == wanted and method_json(m, user)["@odata.type"] == odata_type
        ),
        None,
    )
    if method is None:  # unknown, another user's, or of another type than the collection
        raise not_found(wanted)
    user.methods.remove(method)
    label = "Passkey" if method.kind in PASSKEY_KINDS else method.kind
    return deleted_security_info(em, req, user, label)
