"""Conditional Access in the emulator: seeded policies and named locations, Graph's complete
v1.0 shape, the permission the docs name (Policy.Read.All) and the CA service's own 403."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graph_testkit import PASSWORDLESS_GROUP, bearer, error_of

from local.graph_emulator.conditional_access import policy_from_spec
from tests.fixtures.graph import ControlError, EmulatedGraph

READER = "5e1d0b7a-0000-4000-8000-00000000ca01"
POLICIES = "identity/conditionalAccess/policies"


def _seed(graph: EmulatedGraph, **access: Any) -> None:
    seed = copy.deepcopy(graph.seed)
    seed["apps"].append(
        {"clientId": READER, "clientSecret": "test-secret-ca-reader", "displayName": "CA reader",
         "roles": ["Policy.Read.All"]}
    )  # fmt: skip
    seed["conditionalAccess"] = access
    graph.control.reset(seed)
    graph.apps[READER] = "test-secret-ca-reader"


def _client(graph: EmulatedGraph, client_id: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=graph.base_url + "/",
        headers={"Authorization": f"Bearer {bearer(graph, client_id)}"},
        timeout=30,
    )


BLOCK = {
    "displayName": "Block security info off-site",
    "conditions": {
        "applications": {"includeUserActions": ["urn:user:registersecurityinfo"]},
        "users": {"includeGroups": [PASSWORDLESS_GROUP]},
        "locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
    },
    "grantControls": {"operator": "OR", "builtInControls": ["block"]},
}


def test_policies_come_back_complete_with_the_permission(graph: EmulatedGraph) -> None:
    _seed(graph, policies=[BLOCK], namedLocations=[{"displayName": "HQ", "ipRanges": ["203.0.113.0/24"], "isTrusted": True}])  # fmt: skip
    with _client(graph, READER) as http:
        listed = http.get(POLICIES)
        locations = http.get("identity/conditionalAccess/namedLocations").json()["value"]
    assert listed.status_code == 200
    assert listed.json()["@odata.context"].endswith("$metadata#identity/conditionalAccess/policies")
    [policy] = listed.json()["value"]
    assert policy["state"] == "enabled"
    assert policy["conditions"]["applications"]["includeUserActions"] == [
        "urn:user:registersecurityinfo"
    ]
    assert policy["conditions"]["users"]["excludeGroups"] == []  # every v1.0 property is there
    assert policy["conditions"]["clientAppTypes"] == ["all"]
    assert policy["grantControls"]["builtInControls"] == ["block"]
    assert policy["grantControls"]["authenticationStrength"] is None
    with _client(graph, READER) as http:
        one = http.get(f"{POLICIES}/{policy['id']}").json()
    assert one["displayName"] == "Block security info off-site"
    [hq] = locations
    assert hq["@odata.type"] == "#microsoft.graph.ipNamedLocation" and hq["isTrusted"] is True
    assert hq["ipRanges"] == [
        {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}
    ]


def test_without_policy_read_all_the_ca_service_refuses(graph: EmulatedGraph) -> None:
    _seed(graph, policies=[BLOCK])
    with _client(graph) as http:  # Tapstart's default grant: Policy.Read.AuthenticationMethod
        refused = http.get(POLICIES)
    assert refused.status_code == 403
    error = error_of(refused)
    assert error["code"] == "AccessDenied"
    assert error["message"] == (
        "You cannot perform the requested operation, required scopes are missing in the token."
    )


def test_a_built_in_strength_is_spelled_out() -> None:
    spec = {**BLOCK, "grantControls": {"authenticationStrength": "phishingResistant"}}
    policy = policy_from_spec(spec, datetime.now(UTC))
    strength = policy["grantControls"]["authenticationStrength"]
    assert strength["displayName"] == "Phishing-resistant MFA"
    assert "temporaryAccessPassOneTime" not in strength["allowedCombinations"]


@pytest.mark.parametrize(
    "bad",
    [
        {**BLOCK, "state": "on"},
        {**BLOCK, "grantControls": {"builtInControls": ["deny"]}},
        {**BLOCK, "conditions": {"applications": {"includeUserActions": ["urn:user:nope"]}}},
    ],
)
def test_a_bad_seed_policy_is_refused(graph: EmulatedGraph, bad: dict[str, Any]) -> None:
    seed = copy.deepcopy(graph.seed)
    seed["conditionalAccess"] = {"policies": [bad]}
    with pytest.raises(ControlError):
        graph.control.reset(seed)
