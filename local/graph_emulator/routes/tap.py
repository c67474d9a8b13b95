"""Temporary Access Pass methods, with the policy enforcement Graph applies on create."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from .. import permissions as perm
from ..clock import graph_datetime, parse_datetime
from ..dispatch import GraphRequest, GraphResponse, Router
from ..errors import (
    GUEST_REFUSES_TAP,
    MULTI_USE_REFUSED,
    POLICY_REFUSES_TAP,
    GraphError,
    bad_request,
    lifetime_out_of_range,
    not_found,
)
from ..passkeys import targets_user
from ..registration import tap_usability
from ..state import TemporaryAccessPass, User, app_initiator
from .common import context, deleted_security_info, ok, require_user

if TYPE_CHECKING:
    from ..emulator import Emulator
    from ..state import Tenant

TAP_PATH = "users/{user}/authentication/temporaryAccessPassMethods"
DOC_MIN_LIFETIME, DOC_MAX_LIFETIME = 10, 43200
# Graph's example passcodes mix letters, digits and symbols (``+drkzqAD``, ``TAPRocks!``).
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+!#%*=?"


def register(router: Router) -> None:
    router.add("POST", TAP_PATH, perm.TAP_WRITE, "directory_write")(create_tap)
    router.add("GET", TAP_PATH, perm.TAP_READ, "directory_read")(list_taps)
    router.add("GET", TAP_PATH + "/{tap}", perm.TAP_READ, "directory_read")(get_tap)
    router.add("DELETE", TAP_PATH + "/{tap}", perm.TAP_WRITE, "directory_write")(delete_tap)


def policy_allows(tenant: Tenant, user: User) -> bool:
    """The TAP policy is enabled and targets the user (include, then exclude)."""
    policy = tenant.policies.get("TemporaryAccessPass", {})
    return policy.get("state") == "enabled" and targets_user(tenant, policy, user)


def tap_json(
    em: Emulator, user: User, tap: TemporaryAccessPass, *, passcode: str | None
) -> dict[str, Any]:
    usable, reason = tap_usability(tap, em.clock.now(), policy_allows(em.tenant, user))
    return {
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": tap.id,
        "temporaryAccessPass": passcode,
        "createdDateTime": graph_datetime(tap.created),
        "startDateTime": graph_datetime(tap.start),
        "lifetimeInMinutes": tap.lifetime_minutes,
        "isUsableOnce": tap.is_usable_once,
        "isUsable": usable,
        "methodUsabilityReason": reason,
    }


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"Invalid value for {name}.", code="badRequest")
    return value


def create_tap(em: Emulator, req: GraphRequest) -> GraphResponse:
    tenant = em.tenant
    user = require_user(em, req.params["user"])
    body = req.body if isinstance(req.body, dict) else {}
    policy = tenant.policies.get("TemporaryAccessPass", {})
    if user.is_external_guest:
        raise GraphError(400, "badRequest", GUEST_REFUSES_TAP)
    if not policy_allows(tenant, user):
        raise GraphError(400, "badRequest", POLICY_REFUSES_TAP)
    minimum = int(policy.get("minimumLifetimeInMinutes", 60))
    maximum = int(policy.get("maximumLifetimeInMinutes", 480))
    lifetime = body.get("lifetimeInMinutes")
    lifetime = (
        int(policy.get("defaultLifetimeInMinutes", minimum))
        if lifetime is None
        else _int(lifetime, "lifetimeInMinutes")
    )
    if not (max(minimum, DOC_MIN_LIFETIME) <= lifetime <= min(maximum, DOC_MAX_LIFETIME)):
        message = lifetime_out_of_range(minimum, maximum)
        raise GraphError(400, "badRequest", message, inner={"message": message})
    policy_once = bool(policy.get("isUsableOnce", False))
    once = body.get("isUsableOnce")
    if once is False and policy_once:
        raise GraphError(400, "badRequest", MULTI_USE_REFUSED)
    once = policy_once if once is None else bool(once)
    now = em.clock.now()
    start_text = body.get("startDateTime")
    try:
        start = parse_datetime(start_text) if start_text else now
    except (TypeError, ValueError):
        raise bad_request(f"Invalid startDateTime '{start_text}'.", code="badRequest") from None
    length = int(policy.get("defaultLength", 8))
    passcode = "".join(secrets.choice(_ALPHABET) for _ in range(length))
    tap = TemporaryAccessPass(
        id=str(uuid.uuid4()),
        created=now,
        start=start,
        lifetime_minutes=lifetime,
        is_usable_once=once,
        passcode_sha256=hashlib.sha256(passcode.encode()).hexdigest(),
    )
    replaced = user.tap is not None
    user.tap = tap  # one TAP per user: a new one replaces the old (new id)
    user.touch()
    tenant.audit(
        "Admin registered security info",
        category="UserManagement",
        service="Authentication Methods",
        target=user,
        initiated_by=app_initiator(req.app),
        details=[
            {"key": "Method", "value": "Temporary Access Pass"},
            {"key": "Replaced", "value": str(replaced).lower()},
        ],
    )
    body_out = {
        "@odata.context": context(
            em, f"users('{user.id}')/authentication/temporaryAccessPassMethods/$entity"
        ),
        **tap_json(em, user, tap, passcode=passcode),
    }
    return ok(body_out, 201)


def list_taps(em: Emulator, req: GraphRequest) -> GraphResponse:
    user = require_user(em, req.params["user"])
    items = [tap_json(em, user, user.tap, passcode=None)] if user.tap else []
    return ok(
        {
            "@odata.context": context(
                em, f"users('{user.id}')/authentication/temporaryAccessPassMethods"
            ),
            "value": items,
        }
    )


def _require_tap(em: Emulator, req: GraphRequest) -> tuple[User, TemporaryAccessPass]:
    user = require_user(em, req.params["user"])
    if user.tap is None or user.tap.id != req.params["tap"]:
        raise not_found(req.params["tap"])
    return user, user.tap


def get_tap(em: Emulator, req: GraphRequest) -> GraphResponse:
    user, tap = _require_tap(em, req)
    return ok(
        {
            "@odata.context": context(
                em, f"users('{user.id}')/authentication/temporaryAccessPassMethods/$entity"
            ),
            **tap_json(em, user, tap, passcode=None),
        }
    )


def delete_tap(em: Emulator, req: GraphRequest) -> GraphResponse:
    user, _ = _require_tap(em, req)
    user.tap = None
    return deleted_security_info(em, req, user, "Temporary Access Pass")
