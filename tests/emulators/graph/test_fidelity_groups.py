"""``GET /groups/{id}`` answers with Graph's default property set (issue 20).

The set and its order are those of the Graph v1.0 "Get group" page, example 1 ("It includes
only the default properties"); the SID is ``S-1-12-1-`` and the object id's four little-endian
words, as in that example (``02bd9fd6-…`` → ``S-1-12-1-45981654-…``).
"""

from __future__ import annotations

import httpx
import pytest
from graph_testkit import DYNAMIC_GROUP, JOINER, PASSWORDLESS_GROUP, ROLE_GROUP, error_of

from local.graph_emulator.routes.common import security_identifier
from tests.fixtures.graph import EmulatedGraph, graph_call

GRAPH_DEFAULT_GROUP_PROPERTIES = [
    "id", "deletedDateTime", "classification", "createdDateTime", "description", "displayName",
    "expirationDateTime", "groupTypes", "isAssignableToRole", "mail", "mailEnabled",
    "mailNickname", "membershipRule", "membershipRuleProcessingState", "onPremisesDomainName",
    "onPremisesLastSyncDateTime", "onPremisesNetBiosName", "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "preferredDataLocation",
    "preferredLanguage", "proxyAddresses", "renewedDateTime", "resourceBehaviorOptions",
    "resourceProvisioningOptions", "securityEnabled", "securityIdentifier",
    "serviceProvisioningErrors", "theme", "visibility", "onPremisesProvisioningErrors",
]  # fmt: skip


def test_get_group_returns_the_default_property_set_in_graphs_order(raw: httpx.Client) -> None:
    body = raw.get(f"groups/{PASSWORDLESS_GROUP}").json()
    assert list(body) == ["@odata.context", *GRAPH_DEFAULT_GROUP_PROPERTIES]
    assert body["@odata.context"].endswith("$metadata#groups/$entity")
    assert body["deletedDateTime"] is None and body["onPremisesSyncEnabled"] is None
    assert body["proxyAddresses"] == [] and body["onPremisesProvisioningErrors"] == []
    assert body["renewedDateTime"] == body["createdDateTime"]
    assert body["securityIdentifier"] == security_identifier(PASSWORDLESS_GROUP)


def test_security_identifier_follows_the_object_id() -> None:
    # The pair from Graph's "Get group" example.
    assert security_identifier("02bd9fd6-8f93-4758-87c3-1fb73740a315") == (
        "S-1-12-1-45981654-1196986259-3072312199-363020343"
    )
    assert security_identifier("not-a-guid") is None


def test_role_assignable_groups_are_private_and_dynamic_ones_say_so(raw: httpx.Client) -> None:
    role = raw.get(f"groups/{ROLE_GROUP}").json()
    assert (role["isAssignableToRole"], role["visibility"]) == (True, "Private")
    dynamic = raw.get(f"groups/{DYNAMIC_GROUP}").json()
    assert dynamic["groupTypes"] == ["DynamicMembership"]
    assert dynamic["membershipRuleProcessingState"] == "On"


def test_select_returns_only_what_was_asked_including_select_only_properties(
    raw: httpx.Client,
) -> None:
    body = raw.get(
        f"groups/{PASSWORDLESS_GROUP}", params={"$select": "id,assignedLicenses,theme"}
    ).json()
    assert body == {
        "@odata.context": body["@odata.context"],
        "id": PASSWORDLESS_GROUP,
        "assignedLicenses": [],
        "theme": None,
    }
    assert body["@odata.context"].endswith("$metadata#groups(id,assignedLicenses,theme)/$entity")
    unknown = raw.get(f"groups/{PASSWORDLESS_GROUP}", params={"$select": "id,shoeSize"})
    assert unknown.status_code == 400
    assert "shoeSize" in error_of(unknown)["message"]


def test_the_sdk_reads_every_default_property_into_its_model(graph: EmulatedGraph) -> None:
    group = graph_call(graph, lambda c: c.groups.by_group_id(PASSWORDLESS_GROUP).get())
    assert set(group.additional_data) <= {"@odata.context"}, group.additional_data
    assert group.security_identifier == security_identifier(PASSWORDLESS_GROUP)
    assert group.resource_provisioning_options == []


@pytest.mark.parametrize("path", ["memberOf", "transitiveMemberOf"])
def test_member_of_items_carry_the_same_default_group_view(
    graph: EmulatedGraph, raw: httpx.Client, path: str
) -> None:
    graph.control.update_user(JOINER, groups=[PASSWORDLESS_GROUP])
    [item] = raw.get(f"users/{JOINER}/{path}").json()["value"]
    direct = raw.get(f"groups/{PASSWORDLESS_GROUP}").json()
    assert list(item) == ["@odata.type", *GRAPH_DEFAULT_GROUP_PROPERTIES]
    assert {k: v for k, v in item.items() if k != "@odata.type"} == {
        k: v for k, v in direct.items() if k != "@odata.context"
    }


def test_a_group_not_created_role_assignable_says_null_as_graph_does(raw: httpx.Client) -> None:
    body = raw.get(f"groups/{PASSWORDLESS_GROUP}", params={"$select": "id,isAssignableToRole"})
    assert body.json()["isAssignableToRole"] is None
