"""The authentication methods reports need Entra ID P1 or P2 (issue 20).

Graph v1.0 "Working with the authentication methods usage report API": "A Microsoft Entra ID P1
or P2 license is required to access authentication methods usage and insights reports". A tenant
without one gets 403 ``Authentication_RequestFromNonPremiumTenantOrB2CTenant`` "Neither tenant is
B2C or tenant doesn't have premium license" (microsoft-graph-docs-contrib issue 8777 for v1.0
userRegistrationDetails, 3808 for the beta report). The emulator's one licence switch (seed
``settings.license`` or ``POST /_emulator/settings``) turns it on; ``Free`` is the licence-less
tenant, P1 is enough.
"""

from __future__ import annotations

import httpx
import pytest
from graph_testkit import JOINER, error_of
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from tests.fixtures.graph import EmulatedGraph, graph_call

REPORT = "reports/authenticationMethods/userRegistrationDetails"
NON_PREMIUM = "Neither tenant is B2C or tenant doesn't have premium license"


def _license(graph: EmulatedGraph, license_: str) -> None:
    graph.control.call("POST", "settings", {"license": license_})


@pytest.mark.parametrize("path", [REPORT, f"{REPORT}/{JOINER}"])
def test_a_free_tenant_gets_the_non_premium_403(
    graph: EmulatedGraph, raw: httpx.Client, path: str
) -> None:
    assert raw.get(path).status_code == 200
    _license(graph, "Free")
    refused = raw.get(path)
    assert refused.status_code == 403
    error = error_of(refused)
    assert (error["code"], error["message"]) == (
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        NON_PREMIUM,
    )


def test_p1_is_enough_for_the_report(graph: EmulatedGraph, raw: httpx.Client) -> None:
    _license(graph, "P1")
    assert raw.get(REPORT).status_code == 200


def test_a_seed_without_premium_starts_refusing(graph: EmulatedGraph, raw: httpx.Client) -> None:
    seed = {**graph.seed, "settings": {**graph.seed.get("settings", {}), "license": "Free"}}
    graph.control.reset(seed)
    assert raw.get(REPORT).status_code == 403


def test_the_sdk_surfaces_the_403_as_an_odata_error(graph: EmulatedGraph) -> None:
    _license(graph, "Free")
    with pytest.raises(ODataError) as caught:
        graph_call(
            graph,
            lambda c: c.reports.authentication_methods.user_registration_details.get(),
        )
    assert caught.value.response_status_code == 403
    assert caught.value.error.code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


def test_the_directory_audit_log_is_not_licence_gated(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    _license(graph, "Free")
    assert raw.get("auditLogs/directoryAudits").status_code == 200
