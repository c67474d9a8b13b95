"""Tenant setup as code: the desired state of the authentication method policies Tapstart
depends on, checked against a schema, compared with what Graph returns, and turned into the
exact PATCH bodies and the rollback document. Pure: no I/O, no settings.

The desired-state file (TOML, `examples/tenant-setup.toml`) has one table per resource, with
Graph v1.0's own property names, and only the properties it names are managed — everything else
in the tenant is left as it is:

| Table | Graph resource |
| --- | --- |
| `[temporaryAccessPass]` | `…/authenticationMethodConfigurations/TemporaryAccessPass` |
| `[microsoftAuthenticator]` | `…/authenticationMethodConfigurations/MicrosoftAuthenticator` |
| `[fido2]` | `…/authenticationMethodConfigurations/Fido2` (the Passkey (FIDO2) policy) |
| `[registrationCampaign]` | `/policies/authenticationMethodsPolicy` → `registrationEnforcement.authenticationMethodsRegistrationCampaign` |

Targets are lists of group ids (or `"all_users"`, or `"PASSWORDLESS_GROUP_IDS"` for each of
Tapstart's passwordless groups) or tables (`{ id = "…", authenticationMode = "any" }`).
Graph's PATCH replaces a top-level property whole, so a changed target list or feature setting
is sent complete: the desired entries merged onto what the tenant has (a target's other
properties, such as a passkey target's `allowedPasskeyProfiles`, are kept).

A diff compares only what the file says (target lists as sets by id, AAGUIDs case-insensitive);
`apply` PATCHes exactly the properties that differ and records their previous values, whole,
in the rollback document, which `apply --rollback` PATCHes back as they were.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ALL_USERS = "all_users"
PASSWORDLESS = "PASSWORDLESS_GROUP_IDS"
ROLLBACK_KIND = "tapstart-setup-rollback"
CAMPAIGN = "registrationCampaign"


class SetupFileError(ValueError):
    """A desired-state (or rollback) document that does not fit the schema; says where and why."""


@dataclass(frozen=True)
class Resource:
    key: str  # the TOML table
    label: str  # for people
    path: str  # Graph path (GET and PATCH)
    odata_type: str | None  # sent in a configuration's PATCH body (Graph requires it)


_METHODS = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations"
RESOURCES: dict[str, Resource] = {
    r.key: r
    for r in (
        Resource(
            "temporaryAccessPass",
            "TAP policy",
            f"{_METHODS}/TemporaryAccessPass",
            "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
        ),
        Resource(
            "microsoftAuthenticator",
            "Authenticator policy",
            f"{_METHODS}/MicrosoftAuthenticator",
            "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
        ),
        Resource(
            "fido2",
            "Passkey (FIDO2) policy",
            f"{_METHODS}/Fido2",
            "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        ),
        Resource(CAMPAIGN, "registration campaign", "/policies/authenticationMethodsPolicy", None),
    )
}


# --- the schema -------------------------------------------------------------------------------

Check = Callable[[str, Any, "Context"], Any]  # (where, value, context) -> normalised value


@dataclass(frozen=True)
class Context:
    passwordless_groups: tuple[str, ...]


def _one_of(*choices: str) -> Check:
    def check(where: str, value: Any, _: Context) -> Any:
        if value not in choices:
            raise SetupFileError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def _int(low: int, high: int) -> Check:
    def check(where: str, value: Any, _: Context) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SetupFileError(
                f"{where}: expected an integer from {low} to {high}, got {value!r}"
            )
        return value

    return check


def _bool(where: str, value: Any, _: Context) -> Any:
    if not isinstance(value, bool):
        raise SetupFileError(f"{where}: expected true or false, got {value!r}")
    return value


def _ids(where: str, raw: Any, context: Context) -> list[str]:
    if raw == PASSWORDLESS:
        if not context.passwordless_groups:
            raise SetupFileError(f"{where}: {PASSWORDLESS} is empty in the app settings")
        return list(context.passwordless_groups)
    if not isinstance(raw, str) or not (raw == ALL_USERS or _GUID.match(raw)):
        raise SetupFileError(
            f"{where}: expected a group object id, {ALL_USERS!r} or {PASSWORDLESS!r}, got {raw!r}"
        )
    return [raw.lower() if raw != ALL_USERS else raw]


def _targets(
    extra: Mapping[str, Check], defaults: Mapping[str, Any], kinds: Sequence[str]
) -> Check:
    """A target list: ids or tables with `id` and the `extra` keys; normalised with defaults."""

    def check(where: str, value: Any, context: Context) -> Any:
        if not isinstance(value, list):
            raise SetupFileError(f"{where}: expected a list of targets, got {value!r}")
        found: dict[str, dict[str, Any]] = {}
        for n, item in enumerate(value):
            at = f"{where}[{n}]"
            spec = {"id": item} if isinstance(item, str) else item
            if not isinstance(spec, dict) or "id" not in spec:
                raise SetupFileError(f"{at}: expected a group id or a table with id, got {item!r}")
            allowed = {"id", "targetType", *extra}
            unknown = sorted(set(spec) - allowed)
            if unknown:
                raise SetupFileError(
                    f"{at}: unknown key {unknown[0]!r}; expected {', '.join(sorted(allowed))}"
                )
            kind = _one_of(*kinds)(f"{at}.targetType", spec.get("targetType", kinds[0]), context)
            settings = {
                key: extra[key](f"{at}.{key}", spec[key], context) if key in spec else default
                for key, default in defaults.items()
            }
            for group_id in _ids(f"{at}.id", spec["id"], context):
                found[group_id] = {"targetType": kind, "id": group_id, **settings}
        return [found[k] for k in sorted(found)]

    return check


def _features(where: str, value: Any, context: Context) -> Any:
    if not isinstance(value, dict):
        raise SetupFileError(f"{where}: expected a table, got {value!r}")
    out: dict[str, Any] = {}
    for key, feature in value.items():
        if key not in FEATURE_KEYS:
            raise SetupFileError(
                f"{where}.{key}: unknown feature; expected {', '.join(FEATURE_KEYS)} "
                "(number matching is always on and not a v1.0 setting)"
            )
        spec = {"state": feature} if isinstance(feature, str) else feature
        if not isinstance(spec, dict) or set(spec) - {"state"}:
            raise SetupFileError(f"{where}.{key}: expected a state string or {{ state = … }}")
        out[key] = {
            "state": _one_of("default", "enabled", "disabled")(
                f"{where}.{key}", spec.get("state"), context
            )
        }
    return out


def _key_restrictions(where: str, value: Any, context: Context) -> Any:
    if not isinstance(value, dict):
        raise SetupFileError(f"{where}: expected a table, got {value!r}")
    checks: dict[str, Check] = {
        "isEnforced": _bool,
        "enforcementType": _one_of("allow", "block"),
        "aaGuids": _aaguids,
    }
    unknown = sorted(set(value) - set(checks))
    if unknown:
        raise SetupFileError(f"{where}.{unknown[0]}: unknown key; expected {', '.join(checks)}")
    return {k: checks[k](f"{where}.{k}", v, context) for k, v in value.items()}


def _aaguids(where: str, value: Any, _: Context) -> Any:
    if not isinstance(value, list) or not all(isinstance(g, str) and _GUID.match(g) for g in value):
        raise SetupFileError(f"{where}: expected a list of AAGUIDs, got {value!r}")
    return sorted({g.lower() for g in value})


FEATURE_KEYS = ("displayAppInformationRequiredState", "displayLocationInformationRequiredState")
_STATE = _one_of("enabled", "disabled")
_GROUP_TARGET = _targets(
    {"isRegistrationRequired": _bool}, {"isRegistrationRequired": False}, ["group"]
)
_EXCLUDE = _targets({}, {}, ["group"])
SCHEMA: dict[str, dict[str, Check]] = {
    "temporaryAccessPass": {
        "state": _STATE,
        "includeTargets": _GROUP_TARGET,
        "excludeTargets": _EXCLUDE,
        "defaultLength": _int(8, 48),
        "defaultLifetimeInMinutes": _int(10, 43200),
        "minimumLifetimeInMinutes": _int(10, 43200),
        "maximumLifetimeInMinutes": _int(10, 43200),
        "isUsableOnce": _bool,
    },
    "microsoftAuthenticator": {
        "state": _STATE,
        "includeTargets": _targets(
            {"isRegistrationRequired": _bool, "authenticationMode": _one_of("any", "deviceBasedPush", "push")},
            {"isRegistrationRequired": False, "authenticationMode": "any"},
            ["group"],
        ),
        "excludeTargets": _EXCLUDE,
        "isSoftwareOathEnabled": _bool,
        "featureSettings": _features,
    },
    "fido2": {
        "state": _STATE,
        "includeTargets": _GROUP_TARGET,
        "excludeTargets": _EXCLUDE,
        "isSelfServiceRegistrationAllowed": _bool,
        "isAttestationEnforced": _bool,
        "keyRestrictions": _key_restrictions,
    },
    CAMPAIGN: {
        "state": _one_of("default", "enabled", "disabled"),
        "snoozeDurationInDays": _int(0, 14),
        "includeTargets": _targets(
            {"targetedAuthenticationMethod": _one_of("microsoftAuthenticator")},
            {"targetedAuthenticationMethod": "microsoftAuthenticator"},
            ["group", "user"],
        ),
        "excludeTargets": _targets({}, {}, ["group", "user"]),
    },
}  # fmt: skip


# --- the desired state ------------------------------------------------------------------------


@dataclass(frozen=True)
class DesiredState:
    """Per resource, the properties the file manages, normalised. `exact`: a rollback document
    (raw Graph values, compared and restored as they are)."""

    resources: dict[str, dict[str, Any]]
    exact: bool = False
    tenant: str = ""  # a rollback's tenant id (empty: not recorded)


def parse_desired(
    document: Mapping[str, Any], *, passwordless_groups: Sequence[str] = ()
) -> DesiredState:
    """The desired state of a parsed TOML document, or SetupFileError naming the key."""
    context = Context(tuple(g.lower() for g in passwordless_groups))
    version = document.get("version", 1)
    if version != 1:
        raise SetupFileError(f"version: only version 1 is known, got {version!r}")
    unknown = sorted(set(document) - set(SCHEMA) - {"version"})
    if unknown:
        raise SetupFileError(
            f"[{unknown[0]}]: unknown table; expected {', '.join(f'[{k}]' for k in SCHEMA)}"
        )
    resources: dict[str, dict[str, Any]] = {}
    for key, checks in SCHEMA.items():
        table = document.get(key)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise SetupFileError(f"{key}: expected a table ([{key}]), got {table!r}")
        wrong = sorted(set(table) - set(checks))
        if wrong:
            raise SetupFileError(
                f"{key}.{wrong[0]}: unknown property; expected {', '.join(checks)}"
            )
        resources[key] = {
            name: checks[name](f"{key}.{name}", value, context) for name, value in table.items()
        }
    if not resources:
        raise SetupFileError(f"nothing to set up: add one of {', '.join(f'[{k}]' for k in SCHEMA)}")
    tap = resources.get("temporaryAccessPass", {})
    low, high = tap.get("minimumLifetimeInMinutes"), tap.get("maximumLifetimeInMinutes")
    if low is not None and high is not None and low > high:
        raise SetupFileError("temporaryAccessPass.minimumLifetimeInMinutes: more than the maximum")
    return DesiredState(resources)


# --- comparing with the tenant ----------------------------------------------------------------


def current_of(key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's current properties as Graph returned them (the campaign out of the policy)."""
    if key == CAMPAIGN:
        enforcement = body.get("registrationEnforcement") or {}
        return dict(enforcement.get("authenticationMethodsRegistrationCampaign") or {})
    return dict(body)


def _target_view(targets: Any, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Targets as the file would write them: only `keys`, ids lower-case, sorted by id."""
    rows = []
    for t in targets or []:
        row = {k: t.get(k) for k in keys if k in t or k == "id"}
        row["id"] = str(t.get("id", "")).lower() if t.get("id") != ALL_USERS else ALL_USERS
        rows.append(row)
    return sorted(rows, key=lambda r: str(r["id"]))


def _view(name: str, wanted: Any, current: Any) -> Any:
    """`current` as the file expresses it, to compare with `wanted`."""
    if name.endswith("Targets") and isinstance(wanted, list):
        keys = sorted({k for t in wanted for k in t}) or ["id", "targetType"]
        return _target_view(current, keys)
    if name == "featureSettings" and isinstance(wanted, dict):
        have = current or {}
        return {k: {"state": (have.get(k) or {}).get("state", "default")} for k in wanted}
    if name == "keyRestrictions" and isinstance(wanted, dict):
        have = current or {}
        view = {k: have.get(k) for k in wanted}
        if "aaGuids" in view:
            view["aaGuids"] = sorted({str(g).lower() for g in view["aaGuids"] or []})
        return view
    return current


@dataclass(frozen=True)
class Change:
    resource: str
    name: str
    before: Any  # as the file expresses it (the current value's view)
    after: Any  # the desired value
    previous: Any  # the property exactly as Graph had it (what the rollback restores)


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    # Per resource, the current body as read (for the PATCH merge): filled by `plan`.
    current: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.changes

    def resources(self) -> list[str]:
        return list(dict.fromkeys(c.resource for c in self.changes))


def plan(desired: DesiredState, current: Mapping[str, Mapping[str, Any]]) -> Plan:
    """What differs, property by property; `current[key]` is each resource's current properties
    (`current_of`)."""
    changes: list[Change] = []
    for key, wanted_props in desired.resources.items():
        have = dict(current.get(key) or {})
        for name, wanted in wanted_props.items():
            previous = copy.deepcopy(have.get(name))
            before = previous if desired.exact else _view(name, wanted, previous)
            if before != wanted:
                changes.append(Change(key, name, before, wanted, previous))
    return Plan(tuple(changes), {k: dict(v) for k, v in current.items()})


def _merge_targets(wanted: list[dict[str, Any]], have: Any) -> list[dict[str, Any]]:
    by_id = {str(t.get("id", "")).lower(): t for t in have or [] if isinstance(t, dict)}
    return [{**copy.deepcopy(by_id.get(t["id"], {})), **t} for t in wanted]


def _value_to_send(name: str, wanted: Any, have: Any, exact: bool) -> Any:
    if exact:
        return copy.deepcopy(wanted)
    if name.endswith("Targets"):
        return _merge_targets(wanted, have)
    if name == "featureSettings":
        merged = copy.deepcopy(have or {})
        for feature, spec in wanted.items():
            merged[feature] = {**(merged.get(feature) or {}), **spec}
        return merged
    if name == "keyRestrictions":
        return {**copy.deepcopy(have or {}), **wanted}
    return copy.deepcopy(wanted)


def patch_body(resource: str, the_plan: Plan, exact: bool = False) -> dict[str, Any]:
    """The one PATCH that makes `resource` what the plan wants (only its changed properties)."""
    have = the_plan.current.get(resource, {})
    changed = {
        c.name: _value_to_send(c.name, c.after, have.get(c.name), exact)
        for c in the_plan.changes
        if c.resource == resource
    }
    if resource == CAMPAIGN:
        campaign = {**copy.deepcopy(have), **changed}
        return {"registrationEnforcement": {"authenticationMethodsRegistrationCampaign": campaign}}
    odata_type = RESOURCES[resource].odata_type
    return {"@odata.type": odata_type, **changed}


# --- the rollback document ---------------------------------------------------------------------


def rollback_document(the_plan: Plan, *, created: str, tenant: str = "") -> dict[str, Any]:
    """The previous value of every property the plan changes, exactly as Graph had it."""
    resources: dict[str, dict[str, Any]] = {}
    for change in the_plan.changes:
        resources.setdefault(change.resource, {})[change.name] = copy.deepcopy(change.previous)
    return {
        "kind": ROLLBACK_KIND,
        "version": 1,
        "created": created,
        "tenant": tenant,
        "resources": resources,
    }


def parse_rollback(document: Any) -> DesiredState:
    """A rollback document as an exact desired state (restore these values as they were)."""
    if not isinstance(document, dict) or document.get("kind") != ROLLBACK_KIND:
        raise SetupFileError(f"not a Tapstart rollback file (kind must be {ROLLBACK_KIND!r})")
    if document.get("version") != 1:
        raise SetupFileError(f"version: only version 1 is known, got {document.get('version')!r}")
    resources = document.get("resources")
    if not isinstance(resources, dict) or not resources:
        raise SetupFileError("resources: the rollback file restores nothing")
    for key, props in resources.items():
        if key not in SCHEMA:
            raise SetupFileError(f"resources.{key}: unknown resource")
        if not isinstance(props, dict):
            raise SetupFileError(f"resources.{key}: expected an object")
        wrong = sorted(set(props) - set(SCHEMA[key]))
        if wrong:
            raise SetupFileError(f"resources.{key}.{wrong[0]}: not a property setup manages")
    return DesiredState(
        {k: dict(v) for k, v in resources.items()},
        exact=True,
        tenant=str(document.get("tenant") or ""),
    )
