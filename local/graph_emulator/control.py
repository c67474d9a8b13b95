"""The control API under ``/_emulator/``: reset and seed the tenant, simulate people, inject
faults, move the clock, read the request log. Loopback only, no token (tests and the demo).
"""

from __future__ import annotations

import gc
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .clock import graph_datetime, parse_when
from .emulator import Emulator
from .errors import not_found_message
from .http import EMULATOR_KEY
from .passkeys import PLATFORMS, default_aaguid, fido2_refusal, is_guid, kind_for
from .privilege import (
    SpecError,
    definition_from_spec,
    grant_out,
    grants_from_specs,
    group_eligibility_from_spec,
    set_owned_objects,
)
from .registration import AUTHENTICATOR, KNOWN_KINDS, PASSKEYS, device_json, tap_usability
from .routes.tap import policy_allows
from .routes.users import user_view
from .seed import (
    SeedError,
    add_group_eligibilities,
    add_group_privilege,
    generate_users,
    group_from_spec,
    license_from,
    resolve_managers,
    sign_in_activity_from,
    user_from_spec,
)
from .state import (
    PHONE_SIGN_IN_KIND,
    Group,
    RegisteredMethod,
    User,
    sign_in_activity_json,
    user_initiator,
)

routes = web.RouteTableDef()


def _em(request: web.Request) -> Emulator:
    return request.app[EMULATOR_KEY]


def _fail(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="a JSON object is expected")
    return data


@routes.get("/_emulator/health")
async def health(request: web.Request) -> web.Response:
    em = _em(request)
    return web.json_response(
        {
            "status": "ok",
            "tenantId": em.tenant.id,
            "users": len(em.tenant.users),
            "baseUrl": em.base_url,
        }
    )


@routes.get("/_emulator/tenant")
async def tenant_summary(request: web.Request) -> web.Response:
    em = _em(request)
    tenant = em.tenant
    return web.json_response(
        {
            "id": tenant.id,
            "domain": tenant.domain,
            "displayName": tenant.display_name,
            "authority": em.authority_url,
            "baseUrl": em.base_url,
            "apps": [
                {"clientId": a.client_id, "displayName": a.display_name, "roles": a.roles}
                for a in tenant.apps.values()
            ],
            "groups": [
                {"id": g.id, "displayName": g.display_name, "members": list(g.members)}
                for g in tenant.groups.values()
            ],
            "users": len(tenant.users),
            "reportLagSeconds": tenant.settings.report_lag_seconds,
            "license": tenant.settings.license,
        }
    )


@routes.post("/_emulator/reset")
async def reset(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        _em(request).reset(body or None)
    except (SeedError, KeyError, ValueError) as exc:
        return _fail(400, "invalidSeed", str(exc))
    return web.json_response({"status": "reset", "users": len(_em(request).tenant.users)})


@routes.post("/_emulator/users")
async def add_user(request: web.Request) -> web.Response:
    em = _em(request)
    spec = await _body(request)
    try:
        user = user_from_spec(spec, em.tenant, em.clock.now())
        em.tenant.add_user(user)
        resolve_managers(em.tenant, [spec] if spec.get("manager") else [])
    except (SeedError, KeyError, ValueError) as exc:
        em.tenant.users.pop(str(spec.get("id")), None)
        return _fail(400, "invalidUser", str(exc))
    for group_id in spec.get("groups", []):
        if group_id in em.tenant.groups:
            em.tenant.groups[group_id].members[user.id] = None
    try:
        add_group_eligibilities(em.tenant, user, spec, em.clock.now())
        if "ownedObjects" in spec:
            set_owned_objects(em.tenant, user, list(spec["ownedObjects"]))
    except (SeedError, SpecError) as exc:
        return _fail(400, "invalidUser", str(exc))
    em.tenant.version += 1
    return web.json_response(_user_out(em, user), status=201)


def _user_out(em: Emulator, user: User) -> dict[str, Any]:
    tenant = em.tenant
    owned = [g.id for g in tenant.groups.values() if user.id in g.owners]
    owned += [a.id for a in tenant.applications.values() if user.id in a.owners]
    return {
        **user.json(),
        "managerId": user.manager_id,
        "directoryRoles": user.roles,
        "roleAssignments": [grant_out(g) for g in user.role_assignments],
        "roleEligibilities": [grant_out(g) for g in user.role_eligibilities],
        "groupEligibilities": [
            {"id": e.id, "groupId": e.group_id, "accessId": e.access_id}
            for e in user.group_eligibilities
        ],
        "ownedObjects": owned,
        "signInActivity": sign_in_activity_json(user.sign_in_activity),
    }


_PATCHABLE = {
    "accountEnabled": "account_enabled",
    "displayName": "display_name",
    "mail": "mail",
    "otherMails": "other_mails",
    "employeeId": "employee_id",
    "userType": "user_type",
    "creationType": "creation_type",
    "preferredLanguage": "preferred_language",
    "usageLocation": "usage_location",
    "externalUserState": "external_user_state",
    "directoryRoles": "roles",
}


@routes.patch("/_emulator/users/{user}")
async def patch_user(request: web.Request) -> web.Response:
    em = _em(request)
    user = em.tenant.find_user(request.match_info["user"])
    if user is None:
        return _fail(404, "Request_ResourceNotFound", not_found_message(request.match_info["user"]))
    body = await _body(request)
    for key, attr in _PATCHABLE.items():
        if key in body:
            setattr(user, attr, body[key])
    if "employeeHireDate" in body:
        value = body["employeeHireDate"]
        user.employee_hire_date = parse_when(value, em.clock.now()) if value else None
    if "manager" in body:
        manager = em.tenant.find_user(body["manager"]) if body["manager"] else None
        if body["manager"] and manager is None:
            return _fail(400, "invalidUser", f"unknown manager {body['manager']!r}")
        user.manager_id = manager.id if manager else None
    try:
        _patch_privilege(em, user, body)
    except (SeedError, SpecError) as exc:
        return _fail(400, "invalidUser", str(exc))
    user.touch()
    em.tenant.version += 1
    return web.json_response(_user_out(em, user))


def _patch_privilege(em: Emulator, user: User, body: dict[str, Any]) -> None:
    """The privilege fields of a user PATCH; each given one replaces what the user had."""
    now = em.clock.now()
    tenant = em.tenant
    if "roleAssignments" in body:
        user.role_assignments = grants_from_specs(
            tenant, body["roleAssignments"] or [], user, now, "assignment"
        )
    if "roleEligibilities" in body:
        user.role_eligibilities = grants_from_specs(
            tenant, body["roleEligibilities"] or [], user, now, "eligibility"
        )
    if "groupEligibilities" in body:
        user.group_eligibilities = [
            group_eligibility_from_spec(tenant, item, user.id, now)
            for item in body["groupEligibilities"] or []
        ]
    if "ownedObjects" in body:
        set_owned_objects(tenant, user, list(body["ownedObjects"] or []))
    if "signInActivity" in body:
        user.sign_in_activity = sign_in_activity_from(body["signInActivity"], now)
    if "groups" in body:  # exactly these direct memberships
        wanted = [str(g) for g in body["groups"] or []]
        unknown = [g for g in wanted if g not in tenant.groups]
        if unknown:
            raise SpecError(f"unknown groups {unknown}")
        for group in tenant.groups.values():
            if group.id in wanted:
                group.members[user.id] = None
            else:
                group.members.pop(user.id, None)


def _group_out(group: Group) -> dict[str, Any]:
    return {
        **group.json(),
        "members": list(group.members),
        "owners": list(group.owners),
        "roleAssignments": [grant_out(g) for g in group.role_assignments],
        "roleEligibilities": [grant_out(g) for g in group.role_eligibilities],
    }


@routes.post("/_emulator/groups")
async def add_groups(request: web.Request) -> web.Response:
    """A seed-format group (``members``, ``owners``, ``roleAssignments``, ``roleEligibilities``),
    or ``{"groups": [...]}`` for many; 201 with ``{"value": [groups]}``."""
    em = _em(request)
    body = await _body(request)
    specs = body.get("groups", [body])
    now = em.clock.now()
    created: list[Group] = []
    try:
        for spec in specs:
            group = group_from_spec(spec, now)
            if group.id in em.tenant.groups or group.id in em.tenant.users:
                raise SeedError(f"duplicate group {group.id!r}")
            for member in spec.get("members", []):
                target = em.tenant.find_user(str(member)) or em.tenant.groups.get(str(member))
                if target is None:
                    raise SeedError(f"group {group.display_name!r}: unknown member {member!r}")
                group.members[target.id] = None
            add_group_privilege(em.tenant, group, spec, now)
            em.tenant.groups[group.id] = group
            created.append(group)
    except (SeedError, SpecError, KeyError) as exc:
        for group in created:
            em.tenant.groups.pop(group.id, None)
        return _fail(400, "invalidGroup", str(exc))
    em.tenant.version += 1
    return web.json_response({"value": [_group_out(g) for g in created]}, status=201)


@routes.patch("/_emulator/groups/{group}")
async def patch_group(request: web.Request) -> web.Response:
    """``displayName``, ``isAssignableToRole``, ``members``, ``owners``, ``roleAssignments``,
    ``roleEligibilities`` (each given list replaces the group's)."""
    em = _em(request)
    group = em.tenant.groups.get(request.match_info["group"])
    if group is None:
        return _fail(
            404, "Request_ResourceNotFound", not_found_message(request.match_info["group"])
        )
    body = await _body(request)
    if "displayName" in body:
        group.display_name = str(body["displayName"])
    if "isAssignableToRole" in body:
        group.is_assignable_to_role = bool(body["isAssignableToRole"])
    try:
        if "members" in body:
            members: dict[str, None] = {}
            for member in body["members"] or []:
                target = em.tenant.find_user(str(member)) or em.tenant.groups.get(str(member))
                if target is None:
                    raise SpecError(f"unknown member {member!r}")
                members[target.id] = None
            group.members = members
        if "owners" in body:
            group.owners = {}
        add_group_privilege(
            em.tenant,
            group,
            {k: v or [] for k, v in body.items() if k in _GROUP_LISTS},
            em.clock.now(),
        )
    except (SeedError, SpecError) as exc:
        return _fail(400, "invalidGroup", str(exc))
    em.tenant.version += 1
    return web.json_response(_group_out(group))


_GROUP_LISTS = ("owners", "roleAssignments", "roleEligibilities")


@routes.post("/_emulator/role-definitions")
async def add_role_definition(request: web.Request) -> web.Response:
    """A custom role: ``{"displayName", "id"?, "description"?}``; 201 with the definition."""
    em = _em(request)
    try:
        definition = definition_from_spec(await _body(request))
    except SpecError as exc:
        return _fail(400, "invalidRoleDefinition", str(exc))
    if definition.id in em.tenant.role_definitions:
        return _fail(400, "invalidRoleDefinition", f"role definition {definition.id} exists")
    em.tenant.role_definitions[definition.id] = definition
    return web.json_response(definition.json(), status=201)


def _refuse(status: int, code: str, message: str, **extra: Any) -> web.HTTPException:
    """A control API error to raise from a helper (same body as ``_fail``, plus ``extra``)."""
    classes: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
    }
    body = json.dumps({"error": {"code": code, "message": message}, **extra})
    return classes[status](text=body, content_type="application/json")


def _require_user(em: Emulator, key: str) -> User:
    user = em.tenant.find_user(key)
    if user is None:
        raise _refuse(404, "Request_ResourceNotFound", not_found_message(key))
    return user


def _tap_sign_in(em: Emulator, user: User, body: dict[str, Any], now: datetime) -> bool:
    """The user signs in with the TAP (the passcode is checked when given). Records the use;
    returns whether that used the pass up (one-time)."""
    tap = user.tap
    if tap is None:
        raise _refuse(409, "noTemporaryAccessPass", "the user has no Temporary Access Pass")
    usable, reason = tap_usability(tap, now, policy_allows(em.tenant, user))
    if not usable:
        raise _refuse(409, "temporaryAccessPassNotUsable", reason)
    passcode = body.get("temporaryAccessPass")
    if passcode is not None and not tap.matches(str(passcode)):
        raise _refuse(401, "temporaryAccessPassMismatch", "the Temporary Access Pass is wrong")
    tap.used_at = now
    user.signed_in(now)  # an interactive sign-in: signInActivity shows it
    return tap.is_usable_once


PHONE_SIGN_IN_LABEL = "Microsoft Authenticator passwordless phone sign-in"
ELSEWHERE_REASON = (
    "The device is already registered in another tenant; a device can be registered in one "
    "tenant only, so passwordless phone sign-in cannot be enabled on it."
)


def _label(kind: str) -> str:
    return "Passkey" if kind in PASSKEYS else kind


def _audit_registration(
    em: Emulator,
    user: User,
    label: str,
    *,
    via_tap: bool,
    reason: str | None = None,
    aa_guid: str | None = None,
) -> None:
    """ "User registered security info" by the user; a failure when ``reason`` is given."""
    details = [{"key": "Method", "value": label}]
    if aa_guid:
        details.append({"key": "AAGuid", "value": aa_guid})
    details.append({"key": "SignInWithTemporaryAccessPass", "value": str(via_tap).lower()})
    em.tenant.audit(
        "User registered security info",
        category="UserManagement",
        service="Authentication Methods",
        target=user,
        initiated_by=user_initiator(user),
        details=details,
        result="success" if reason is None else "failure",
        reason=reason or "",
    )


def _registration_body(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """``(kind, platform, aaGuid)`` from a register body, validated (400 otherwise)."""
    kind = str(body.get("method", "microsoftAuthenticatorPush"))
    if kind not in KNOWN_KINDS:
        raise _refuse(
            400, "unknownMethod", f"unknown method {kind!r}; known: {sorted(KNOWN_KINDS)}"
        )
    platform = body.get("platform")
    if platform is not None and platform not in PLATFORMS:
        raise _refuse(400, "invalidPlatform", f"platform must be one of {sorted(PLATFORMS)}")
    aa_guid = body.get("aaGuid")
    if aa_guid is not None:
        if kind not in PASSKEYS:
            raise _refuse(400, "invalidAaGuid", "aaGuid applies to passkey (FIDO2) methods only")
        if not is_guid(aa_guid):
            raise _refuse(400, "invalidAaGuid", f"aaGuid {aa_guid!r} is not a GUID")
        aa_guid = str(aa_guid).lower()
    fail = body.get("fail")
    if fail is not None and (not isinstance(fail, str) or not fail.strip()):
        raise _refuse(400, "invalidFail", "fail must be a non-empty resultReason text")
    if body.get("deviceRegisteredElsewhere") and kind not in AUTHENTICATOR:
        raise _refuse(
            400, "invalidDevice", "deviceRegisteredElsewhere applies to Microsoft Authenticator"
        )
    return kind, platform, aa_guid


@routes.post("/_emulator/users/{user}/register")
async def register_method(request: web.Request) -> web.Response:
    """The user signs in (with the TAP when ``viaTap``) and registers a method, or fails to."""
    em = _em(request)
    user = _require_user(em, request.match_info["user"])
    body = await _body(request)
    kind, platform, aa_guid = _registration_body(body)
    now = em.clock.now()
    via_tap = bool(body.get("viaTap", False))
    consumed = _tap_sign_in(em, user, body, now) if via_tap else False
    if kind in PASSKEYS:
        aa_guid = aa_guid or default_aaguid(kind, platform)
        kind = kind_for(kind, aa_guid)  # the report name follows the AAGUID

    def refused(code: str, reason: str) -> web.HTTPException:
        _audit_registration(em, user, _label(kind), via_tap=via_tap, reason=reason, aa_guid=aa_guid)
        return _refuse(409, code, reason, tapConsumed=consumed)

    if body.get("fail"):
        raise refused("registrationFailed", str(body["fail"]))
    if kind in PASSKEYS and aa_guid is not None:
        refusal = fido2_refusal(em.tenant, user, aa_guid)
        if refusal is not None:
            raise refused(refusal.code, refusal.reason)
    elsewhere = bool(body.get("deviceRegisteredElsewhere", False))
    if elsewhere and kind == PHONE_SIGN_IN_KIND:
        raise refused("deviceRegisteredToAnotherTenant", ELSEWHERE_REASON)
    method = RegisteredMethod(
        str(uuid.uuid4()),
        kind,
        now,
        body.get("displayName"),
        platform=platform,
        aa_guid=aa_guid,
        device_registered_elsewhere=elsewhere,
    )
    user.methods.append(method)
    user.touch()
    _audit_registration(em, user, _label(kind), via_tap=via_tap, aa_guid=aa_guid)
    visible_at = now + timedelta(seconds=em.tenant.settings.report_lag_seconds)
    answer: dict[str, Any] = {
        "userId": user.id,
        "methodId": method.id,
        "method": kind,
        "tapConsumed": consumed,
        "registeredDateTime": graph_datetime(now),
        "reportVisibleAfter": graph_datetime(visible_at),
    }
    if aa_guid is not None:
        answer["aaGuid"] = aa_guid
    return web.json_response(answer)


@routes.post("/_emulator/users/{user}/enable-phone-sign-in")
async def enable_phone_sign_in(request: web.Request) -> web.Response:
    """The user turns on passwordless phone sign-in for an Authenticator registration: the phone
    is registered as a directory device (``device`` appears) and the report lists
    ``microsoftAuthenticatorPasswordless`` after the report lag."""
    em = _em(request)
    user = _require_user(em, request.match_info["user"])
    body = await _body(request)
    authenticators = [m for m in user.methods if m.kind in AUTHENTICATOR]
    if not authenticators:
        raise _refuse(409, "noAuthenticator", "the user has no Microsoft Authenticator method")
    method_id = body.get("methodId")
    if method_id is not None:
        method = next((m for m in authenticators if m.id == method_id), None)
        if method is None:
            raise _refuse(404, "Request_ResourceNotFound", not_found_message(str(method_id)))
    else:
        method = next((m for m in authenticators if not m.has_phone_sign_in), authenticators[0])
    now = em.clock.now()
    already = method.has_phone_sign_in
    if not already:
        if method.device_registered_elsewhere:
            _audit_registration(
                em, user, PHONE_SIGN_IN_LABEL, via_tap=False, reason=ELSEWHERE_REASON
            )
            raise _refuse(409, "deviceRegisteredToAnotherTenant", ELSEWHERE_REASON)
        method.kind = PHONE_SIGN_IN_KIND
        method.phone_sign_in_at = now
        user.touch()
        _audit_registration(em, user, PHONE_SIGN_IN_LABEL, via_tap=False)
    device = device_json(method) or {}
    enabled_at = method.phone_sign_in_at or now
    visible_at = enabled_at + timedelta(seconds=em.tenant.settings.report_lag_seconds)
    return web.json_response(
        {
            "userId": user.id,
            "methodId": method.id,
            "alreadyEnabled": already,
            "phoneSignInDateTime": graph_datetime(enabled_at),
            "device": {k: device.get(k) for k in ("id", "deviceId", "displayName")},
            "reportVisibleAfter": graph_datetime(visible_at),
        }
    )


@routes.post("/_emulator/users/{user}/sign-in-with-tap")
async def sign_in_with_tap(request: web.Request) -> web.Response:
    """The user signs in with the TAP and registers nothing (signed in, then gave up)."""
    em = _em(request)
    user = _require_user(em, request.match_info["user"])
    body = await _body(request)
    now = em.clock.now()
    consumed = _tap_sign_in(em, user, body, now)
    tap = user.tap
    assert tap is not None  # _tap_sign_in refused otherwise
    usable, reason = tap_usability(tap, now, policy_allows(em.tenant, user))
    return web.json_response(
        {
            "userId": user.id,
            "temporaryAccessPassId": tap.id,
            "tapConsumed": consumed,
            "usedDateTime": graph_datetime(now),
            "isUsable": usable,
            "methodUsabilityReason": reason,
        }
    )


@routes.post("/_emulator/bulk-users")
async def bulk_users(request: web.Request) -> web.Response:
    em = _em(request)
    body = await _body(request)
    added = 0
    if body.get("generate"):
        added += generate_users(em.tenant, body["generate"])
    for spec in body.get("users", []):
        em.tenant.add_user(user_from_spec(spec, em.tenant, em.clock.now()))
        added += 1
    # A large tenant is long-lived: keep the cyclic GC from re-scanning it (pauses of ~0.3 s
    # at 100,000 users would otherwise land on random report pages).
    gc.collect()
    gc.freeze()
    return web.json_response({"added": added, "users": len(em.tenant.users)})


@routes.get("/_emulator/faults")
async def get_faults(request: web.Request) -> web.Response:
    em = _em(request)
    return web.json_response({"rules": em.faults.describe(), "throttle": em.throttle.describe()})


@routes.post("/_emulator/faults")
async def set_faults(request: web.Request) -> web.Response:
    em = _em(request)
    body = await _body(request)
    try:
        if "throttle" in body:
            em.throttle.configure(body["throttle"], len(em.tenant.users))
        if "throttle" not in body or len(body) > 1:
            em.faults.configure({k: v for k, v in body.items() if k != "throttle"})
    except (KeyError, ValueError, TypeError) as exc:
        return _fail(400, "invalidFaults", str(exc))
    return web.json_response({"rules": em.faults.describe(), "throttle": em.throttle.describe()})


@routes.delete("/_emulator/faults")
async def clear_faults(request: web.Request) -> web.Response:
    em = _em(request)
    em.faults.configure({})
    em.throttle.configure(em.throttle_profile, len(em.tenant.users))
    return web.json_response({"rules": [], "throttle": em.throttle.describe()})


@routes.get("/_emulator/requests")
async def request_log(request: web.Request) -> web.Response:
    em = _em(request)
    counts = [
        {"endpoint": endpoint, "method": method, "status": status, "count": count}
        for (endpoint, method, status), count in sorted(em.counts.items())
    ]
    recent = [
        {
            "at": r.at,
            "method": r.method,
            "endpoint": r.endpoint,
            "path": r.path,
            "status": r.status,
            "requestId": r.request_id,
            "inBatch": r.in_batch,
        }
        for r in em.log
    ]
    return web.json_response(
        {"total": sum(em.counts.values()), "counts": counts, "requests": recent}
    )


@routes.delete("/_emulator/requests")
async def clear_requests(request: web.Request) -> web.Response:
    _em(request).clear_log()
    return web.json_response({"total": 0})


@routes.get("/_emulator/taps")
async def list_taps(request: web.Request) -> web.Response:
    """TAP metadata for tests; the passcode is never available here."""
    em = _em(request)
    now = em.clock.now()
    out = []
    for user in em.tenant.users.values():
        if user.tap is None:
            continue
        usable, reason = tap_usability(user.tap, now, policy_allows(em.tenant, user))
        out.append(
            {
                "userId": user.id,
                "userPrincipalName": user.user_principal_name,
                "id": user.tap.id,
                "createdDateTime": graph_datetime(user.tap.created),
                "startDateTime": graph_datetime(user.tap.start),
                "lifetimeInMinutes": user.tap.lifetime_minutes,
                "isUsableOnce": user.tap.is_usable_once,
                "isUsable": usable,
                "methodUsabilityReason": reason,
                "used": user.tap.used_at is not None,
                "usedDateTime": graph_datetime(user.tap.used_at) if user.tap.used_at else None,
            }
        )
    return web.json_response({"value": out})


def _clock_state(em: Emulator) -> dict[str, Any]:
    return {"now": graph_datetime(em.clock.now()), "offsetSeconds": em.clock.offset.total_seconds()}


@routes.get("/_emulator/clock")
async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(_clock_state(_em(request)))


@routes.post("/_emulator/clock")
async def set_clock(request: web.Request) -> web.Response:
    """``{"offsetSeconds": N}`` sets the offset; ``{"advanceSeconds": N}`` moves it forward."""
    em = _em(request)
    body = await _body(request)
    if "offsetSeconds" in body:
        em.clock.offset = timedelta(seconds=float(body["offsetSeconds"]))
    if "advanceSeconds" in body:
        em.clock.offset += timedelta(seconds=float(body["advanceSeconds"]))
    return web.json_response(_clock_state(em))


@routes.post("/_emulator/settings")
async def set_settings(request: web.Request) -> web.Response:
    em = _em(request)
    body = await _body(request)
    if "reportLagSeconds" in body:
        em.tenant.settings.report_lag_seconds = float(body["reportLagSeconds"])
    if "license" in body:
        try:
            em.tenant.settings.license = license_from(body["license"])
        except SeedError as exc:
            return _fail(400, "invalidSettings", str(exc))
    settings = em.tenant.settings
    return web.json_response(
        {"reportLagSeconds": settings.report_lag_seconds, "license": settings.license}
    )


@routes.get("/_emulator/users/{user}")
async def get_user_state(request: web.Request) -> web.Response:
    """Everything about one user, including methods and memberships (for assertions)."""
    em = _em(request)
    user = em.tenant.find_user(request.match_info["user"])
    if user is None:
        return _fail(404, "Request_ResourceNotFound", not_found_message(request.match_info["user"]))
    return web.json_response(
        {
            **_user_out(em, user),
            "methods": [
                {"id": m.id, "type": m.kind, "registeredDateTime": graph_datetime(m.created)}
                for m in user.methods
            ],
            "groups": [g.id for g in em.tenant.groups_of(user.id, transitive=False)],
            "hasTemporaryAccessPass": user.tap is not None,
            "default": user_view(user, None),
        }
    )
