"""Conditional Access policies and named locations as Graph v1.0 shows them
(``conditionalAccessPolicy``, ``ipNamedLocation``, ``countryNamedLocation``).

A seed (``"conditionalAccess": {"policies": [...], "namedLocations": [...]}``) gives each policy
in Graph's own shape, as far as it cares; every property the v1.0 CSDL declares is filled in with
Graph's empty value, so a client sees the complete object a real tenant returns. User actions are
Graph's URNs: ``urn:user:registersecurityinfo`` (register security information) and
``urn:user:registerdevice``. A grant control's ``authenticationStrength`` is shown inline with
its ``allowedCombinations``; a seed may name a built-in strength (``"mfa"``,
``"passwordlessMfa"``, ``"phishingResistant"``) instead of spelling it out.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from .clock import graph_datetime
from .privilege import SpecError

REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"
REGISTER_DEVICE = "urn:user:registerdevice"
USER_ACTIONS = frozenset({REGISTER_SECURITY_INFO, REGISTER_DEVICE})
STATES = frozenset({"enabled", "disabled", "enabledForReportingButNotEnforced"})
GRANT_CONTROLS = frozenset(
    {
        "block",
        "mfa",
        "compliantDevice",
        "domainJoinedDevice",
        "approvedApplication",
        "compliantApplication",
        "passwordChange",
        "riskRemediation",
    }
)
# The built-in authentication strengths (ids are Microsoft's fixed ones; combinations as the
# v1.0 authenticationStrengthPolicy lists them, shortened to the ones that decide here).
BUILT_IN_STRENGTHS: dict[str, dict[str, Any]] = {
    "mfa": {
        "id": "00000000-0000-0000-0000-000000000002",
        "displayName": "Multifactor authentication",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush",
            "temporaryAccessPassOneTime",
            "temporaryAccessPassMultiUse",
            "password,microsoftAuthenticatorPush",
            "password,softwareOath",
            "password,hardwareOath",
            "password,sms",
            "password,voice",
        ],
    },
    "passwordlessMfa": {
        "id": "00000000-0000-0000-0000-000000000003",
        "displayName": "Passwordless MFA",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush",
        ],
    },
    "phishingResistant": {
        "id": "00000000-0000-0000-0000-000000000004",
        "displayName": "Phishing-resistant MFA",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
    },
}
_EMPTY_USERS: dict[str, Any] = {
    "includeUsers": [],
    "excludeUsers": [],
    "includeGroups": [],
    "excludeGroups": [],
    "includeRoles": [],
    "excludeRoles": [],
    "includeGuestsOrExternalUsers": None,
    "excludeGuestsOrExternalUsers": None,
}
_EMPTY_APPLICATIONS: dict[str, Any] = {
    "includeApplications": [],
    "excludeApplications": [],
    "includeUserActions": [],
    "includeAuthenticationContextClassReferences": [],
    "applicationFilter": None,
}


def _strength(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in BUILT_IN_STRENGTHS:
            raise SpecError(
                f"authenticationStrength {value!r}: one of {sorted(BUILT_IN_STRENGTHS)}"
            )
        value = BUILT_IN_STRENGTHS[value]
    if not isinstance(value, dict) or not isinstance(value.get("allowedCombinations"), list):
        raise SpecError(f"authenticationStrength {value!r}: needs allowedCombinations")
    return {
        "id": str(value.get("id") or uuid.uuid5(uuid.NAMESPACE_URL, str(value))),
        "displayName": value.get("displayName", "Custom strength"),
        "description": value.get("description"),
        "policyType": "builtIn" if value in BUILT_IN_STRENGTHS.values() else "custom",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": list(value["allowedCombinations"]),
    }


def policy_from_spec(spec: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A complete v1.0 conditionalAccessPolicy from a seed's partial one."""
    name = spec.get("displayName")
    if not isinstance(name, str) or not name:
        raise SpecError(f"conditional access policy without displayName: {spec!r}")
    state = spec.get("state", "enabled")
    if state not in STATES:
        raise SpecError(f"policy {name!r}: state {state!r} is not one of {sorted(STATES)}")
    given = copy.deepcopy(spec.get("conditions") or {})
    applications = {**_EMPTY_APPLICATIONS, **(given.pop("applications", None) or {})}
    unknown = set(applications["includeUserActions"]) - USER_ACTIONS
    if unknown:
        raise SpecError(f"policy {name!r}: unknown user action(s) {sorted(unknown)}")
    conditions = {
        "applications": applications,
        "users": {**_EMPTY_USERS, **(given.pop("users", None) or {})},
        "clientAppTypes": given.pop("clientAppTypes", ["all"]),
        "locations": given.pop("locations", None),
        "platforms": given.pop("platforms", None),
        "devices": given.pop("devices", None),
        "signInRiskLevels": given.pop("signInRiskLevels", []),
        "userRiskLevels": given.pop("userRiskLevels", []),
        "servicePrincipalRiskLevels": given.pop("servicePrincipalRiskLevels", []),
        "clientApplications": given.pop("clientApplications", None),
        "authenticationFlows": given.pop("authenticationFlows", None),
        "insiderRiskLevels": given.pop("insiderRiskLevels", None),
    }
    if given:
        raise SpecError(f"policy {name!r}: unknown condition(s) {sorted(given)}")
    grant = spec.get("grantControls")
    if grant is not None:
        controls = list(grant.get("builtInControls", []))
        if set(controls) - GRANT_CONTROLS:
            raise SpecError(f"policy {name!r}: unknown grant control(s) in {controls}")
        grant = {
            "operator": grant.get("operator", "OR"),
            "builtInControls": controls,
            "customAuthenticationFactors": list(grant.get("customAuthenticationFactors", [])),
            "termsOfUse": list(grant.get("termsOfUse", [])),
            "authenticationStrength": _strength(grant.get("authenticationStrength")),
        }
    created = graph_datetime(now)
    return {
        "id": str(spec.get("id") or uuid.uuid5(uuid.NAMESPACE_URL, f"ca/{name}")),
        "templateId": spec.get("templateId"),
        "displayName": name,
        "description": spec.get("description"),
        "createdDateTime": created,
        "modifiedDateTime": spec.get("modifiedDateTime"),
        "state": state,
        "conditions": conditions,
        "grantControls": grant,
        "sessionControls": spec.get("sessionControls"),
    }


def named_location_from_spec(spec: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``{"displayName", "ipRanges": ["203.0.113.0/24"], "isTrusted"}`` or
    ``{"displayName", "countriesAndRegions": ["DE"]}``."""
    name = spec.get("displayName")
    if not isinstance(name, str) or not name:
        raise SpecError(f"named location without displayName: {spec!r}")
    base = {
        "id": str(spec.get("id") or uuid.uuid5(uuid.NAMESPACE_URL, f"location/{name}")),
        "displayName": name,
        "createdDateTime": graph_datetime(now),
        "modifiedDateTime": None,
    }
    if "countriesAndRegions" in spec:
        return {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            **base,
            "countriesAndRegions": list(spec["countriesAndRegions"]),
            "countryLookupMethod": spec.get("countryLookupMethod", "clientIpAddress"),
            "includeUnknownCountriesAndRegions": bool(
                spec.get("includeUnknownCountriesAndRegions", False)
            ),
        }
    return {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        **base,
        "isTrusted": bool(spec.get("isTrusted", False)),
        "ipRanges": [
            {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": str(cidr)}
            for cidr in spec.get("ipRanges", [])
        ],
    }
