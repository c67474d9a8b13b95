"""What Graph accepts in a PATCH of the authentication methods policy and its configurations.

Properties are the v1.0 CSDL's (``authenticationMethodsPolicy``,
``temporaryAccessPassAuthenticationMethodConfiguration``,
``microsoftAuthenticatorAuthenticationMethodConfiguration``,
``fido2AuthenticationMethodConfiguration``; the targets' entity types). Ranges are the v1.0
resource pages': a TAP's ``defaultLength`` 8–48, ``minimum``/``maximumLifetimeInMinutes``
10–43200, ``defaultLifetimeInMinutes`` between them; the registration campaign's
``snoozeDurationInDays`` 0–14.

Messages: an undeclared property gets the OData library's own wording ("The property '…' does
not exist on type '…'. Make sure to only use property names that are defined by the type or mark
the type as open type."), which Graph returns for any entity. Microsoft does not document the
wording of the range and enum refusals; the emulator answers ``400 badRequest`` with a message
naming the property and the allowed values (see docs/graph-emulator.md, knowingly guessed).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from typing import Any

from .errors import GraphError

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
BASE = frozenset({"id", "@odata.type", "state", "excludeTargets", "includeTargets"})
PROPERTIES = {
    "TemporaryAccessPass": BASE
    | {
        "defaultLength",
        "defaultLifetimeInMinutes",
        "isUsableOnce",
        "maximumLifetimeInMinutes",
        "minimumLifetimeInMinutes",
    },
    "MicrosoftAuthenticator": BASE | {"featureSettings", "isSoftwareOathEnabled"},
    "Fido2": BASE
    | {
        "defaultPasskeyProfile",
        "isAttestationEnforced",
        "isSelfServiceRegistrationAllowed",
        "keyRestrictions",
        "passkeyProfiles",
    },
}
METHODS_POLICY_PROPERTIES = frozenset(
    {
        "@odata.type",
        "description",
        "displayName",
        "policyMigrationState",
        "policyVersion",
        "reconfirmationInDays",
        "registrationEnforcement",
    }
)
AUTHENTICATION_MODES = ("any", "deviceBasedPush", "push")
FEATURE_KEYS = ("displayAppInformationRequiredState", "displayLocationInformationRequiredState")
ADVANCED_STATES = ("default", "enabled", "disabled")
MIGRATION_STATES = ("preMigration", "migrationInProgress", "migrationComplete")
CAMPAIGN_METHODS = ("microsoftAuthenticator",)


def unknown_property(name: str, type_name: str) -> GraphError:
    return GraphError(
        400,
        "BadRequest",
        f"The property '{name}' does not exist on type '{type_name}'. Make sure to only use "
        "property names that are defined by the type or mark the type as open type.",
    )


def invalid(name: str, value: Any, allowed: str) -> GraphError:
    return GraphError(400, "badRequest", f"Invalid value {value!r} for '{name}': {allowed}.")


def _check_keys(body: dict[str, Any], allowed: Iterable[str], type_name: str) -> None:
    known = set(allowed)
    for key in body:
        if key not in known and not key.endswith("@odata.type"):
            raise unknown_property(key, type_name)


def _int_in(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(name, value, f"an integer from {low} to {high}")
    return value


def _bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise invalid(name, value, "true or false")


def _one_of(name: str, value: Any, allowed: Iterable[str]) -> None:
    choices = tuple(allowed)
    if value not in choices:
        raise invalid(name, value, "one of " + ", ".join(choices))


def _target_id(name: str, value: Any) -> None:
    if not isinstance(value, str) or not (value == "all_users" or _GUID.match(value)):
        raise invalid(name, value, "'all_users' or a group object id")


def _targets(name: str, value: Any, extra: Callable[[dict[str, Any]], None] | None = None) -> None:
    if not isinstance(value, list):
        raise invalid(name, value, "a collection of targets")
    for target in value:
        if not isinstance(target, dict):
            raise invalid(name, target, "a target object")
        _target_id(f"{name}.id", target.get("id"))
        _one_of(f"{name}.targetType", target.get("targetType", "group"), ("group",))
        if "isRegistrationRequired" in target:
            _bool(f"{name}.isRegistrationRequired", target["isRegistrationRequired"])
        if extra:
            extra(target)


def _authenticator_target(target: dict[str, Any]) -> None:
    _one_of(
        "includeTargets.authenticationMode",
        target.get("authenticationMode", "any"),
        AUTHENTICATION_MODES,
    )


def _features(value: Any) -> None:
    if not isinstance(value, dict):
        raise invalid("featureSettings", value, "an object")
    _check_keys(value, FEATURE_KEYS, "microsoft.graph.microsoftAuthenticatorFeatureSettings")
    for key, feature in value.items():
        if not isinstance(feature, dict):
            raise invalid(f"featureSettings.{key}", feature, "an object")
        _one_of(f"featureSettings.{key}.state", feature.get("state", "default"), ADVANCED_STATES)


def _key_restrictions(value: Any) -> None:
    if not isinstance(value, dict):
        raise invalid("keyRestrictions", value, "an object")
    if "isEnforced" in value:
        _bool("keyRestrictions.isEnforced", value["isEnforced"])
    if "enforcementType" in value:
        _one_of("keyRestrictions.enforcementType", value["enforcementType"], ("allow", "block"))
    guids = value.get("aaGuids", [])
    if not isinstance(guids, list) or not all(isinstance(g, str) and _GUID.match(g) for g in guids):
        raise invalid("keyRestrictions.aaGuids", guids, "a collection of AAGUIDs")


def apply_configuration(
    policy_id: str, current: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    """The configuration after the PATCH, or the GraphError Graph answers (nothing changes)."""
    type_name = str(current.get("@odata.type", "")).lstrip("#")
    allowed = PROPERTIES.get(policy_id)
    if allowed is not None:
        _check_keys(body, allowed, type_name)
    merged = copy.deepcopy(current)
    for key, value in body.items():
        if key not in {"id", "@odata.type"} and value is not None:
            merged[key] = copy.deepcopy(value)
    if "state" in body:
        _one_of("state", body["state"], ("enabled", "disabled"))
    if "excludeTargets" in body:
        _targets("excludeTargets", body["excludeTargets"])
    if "includeTargets" in body:
        extra = _authenticator_target if policy_id == "MicrosoftAuthenticator" else None
        _targets("includeTargets", body["includeTargets"], extra)
    _flags(body)
    if policy_id == "TemporaryAccessPass":
        _tap_ranges(merged)
    if body.get("featureSettings") is not None:
        _features(body["featureSettings"])
    if body.get("keyRestrictions") is not None:
        _key_restrictions(body["keyRestrictions"])
    return merged


def _flags(body: dict[str, Any]) -> None:
    for flag in (
        "isUsableOnce",
        "isSoftwareOathEnabled",
        "isAttestationEnforced",
        "isSelfServiceRegistrationAllowed",
    ):
        if body.get(flag) is not None:
            _bool(flag, body[flag])


def _tap_ranges(policy: dict[str, Any]) -> None:
    _int_in("defaultLength", policy.get("defaultLength", 8), 8, 48)
    low = _int_in("minimumLifetimeInMinutes", policy.get("minimumLifetimeInMinutes", 60), 10, 43200)
    high = _int_in(
        "maximumLifetimeInMinutes", policy.get("maximumLifetimeInMinutes", 480), 10, 43200
    )
    if low > high:
        raise invalid("minimumLifetimeInMinutes", low, f"at most maximumLifetimeInMinutes ({high})")
    _int_in("defaultLifetimeInMinutes", policy.get("defaultLifetimeInMinutes", low), low, high)


def _campaign(value: Any) -> None:
    if not isinstance(value, dict):
        raise invalid("authenticationMethodsRegistrationCampaign", value, "an object")
    _check_keys(
        value,
        ("excludeTargets", "includeTargets", "snoozeDurationInDays", "state"),
        "microsoft.graph.authenticationMethodsRegistrationCampaign",
    )
    if "state" in value:
        _one_of("authenticationMethodsRegistrationCampaign.state", value["state"], ADVANCED_STATES)
    if "snoozeDurationInDays" in value:
        _int_in("snoozeDurationInDays", value["snoozeDurationInDays"], 0, 14)
    for key in ("includeTargets", "excludeTargets"):
        targets = value.get(key, [])
        if not isinstance(targets, list):
            raise invalid(key, targets, "a collection of targets")
        for target in targets:
            if not isinstance(target, dict):
                raise invalid(key, target, "a target object")
            _target_id(f"{key}.id", target.get("id"))
            _one_of(f"{key}.targetType", target.get("targetType", "group"), ("group", "user"))
            if key == "includeTargets":
                _one_of(
                    "includeTargets.targetedAuthenticationMethod",
                    target.get("targetedAuthenticationMethod", "microsoftAuthenticator"),
                    CAMPAIGN_METHODS,
                )


def apply_methods_policy(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The authenticationMethodsPolicy's own properties after the PATCH (configurations are
    patched one by one, not here)."""
    _check_keys(body, METHODS_POLICY_PROPERTIES, "microsoft.graph.authenticationMethodsPolicy")
    merged = copy.deepcopy(current)
    if "policyMigrationState" in body:
        _one_of("policyMigrationState", body["policyMigrationState"], MIGRATION_STATES)
        merged["policyMigrationState"] = body["policyMigrationState"]
    if "reconfirmationInDays" in body:
        merged["reconfirmationInDays"] = _int_in(
            "reconfirmationInDays", body["reconfirmationInDays"], 0, 365
        )
    enforcement = body.get("registrationEnforcement")
    if enforcement is not None:
        if not isinstance(enforcement, dict):
            raise invalid("registrationEnforcement", enforcement, "an object")
        _check_keys(
            enforcement,
            ("authenticationMethodsRegistrationCampaign",),
            "microsoft.graph.registrationEnforcement",
        )
        campaign = enforcement.get("authenticationMethodsRegistrationCampaign")
        if campaign is not None:
            _campaign(campaign)
            target = merged.setdefault("registrationEnforcement", {}).setdefault(
                "authenticationMethodsRegistrationCampaign", {}
            )
            target.update(copy.deepcopy(campaign))
    for key in ("description", "displayName"):
        if key in body:
            merged[key] = body[key]
    return merged
