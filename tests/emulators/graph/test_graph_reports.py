"""userRegistrationDetails and directoryAudits: derivation, query options, paging, lag, speed."""

from __future__ import annotations

import json
import time
from typing import Any

from graph_testkit import (
    ADMIN,
    DISABLED,
    ENROLLED,
    GUEST,
    INTERNAL_GUEST,
    JOINER,
    MANAGER,
    error_of,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.reports.authentication_methods.user_registration_details.user_registration_details_request_builder import (
    UserRegistrationDetailsRequestBuilder as Details,
)

from tests.fixtures.graph import EmulatedGraph, graph_call

PATH = "reports/authenticationMethods/userRegistrationDetails"


def _rows(raw: Any, **params: str) -> list[dict[str, Any]]:
    response = raw.get(PATH, params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["value"]
    return rows


def test_rows_are_derived_from_methods_and_roles(graph: EmulatedGraph, raw: Any) -> None:
    rows = {r["id"]: r for r in _rows(raw, **{"$top": "999"})}
    assert DISABLED not in rows  # disabled accounts are absent from the report
    enrolled = rows[ENROLLED]
    assert enrolled["methodsRegistered"] == [
        "microsoftAuthenticatorPush",
        "microsoftAuthenticatorPasswordless",
    ]
    assert enrolled["isMfaRegistered"] and enrolled["isPasswordlessCapable"]
    assert enrolled["userPreferredMethodForSecondaryAuthentication"] == "push"
    manager = rows[MANAGER]
    assert manager["isMfaRegistered"] and not manager["isPasswordlessCapable"]
    joiner = rows[JOINER]
    assert joiner["methodsRegistered"] == [] and not joiner["isMfaRegistered"]
    assert joiner["userPreferredMethodForSecondaryAuthentication"] == ""
    assert rows[ADMIN]["isAdmin"] is True and joiner["isAdmin"] is False
    assert rows[GUEST]["userType"] == "guest" and joiner["userType"] == "member"
    assert set(joiner) == {
        "id", "userPrincipalName", "userDisplayName", "userType", "isAdmin", "isSsprRegistered",
        "isSsprEnabled", "isSsprCapable", "isMfaRegistered", "isMfaCapable",
        "isPasswordlessCapable", "methodsRegistered", "isSystemPreferredAuthenticationMethodEnabled",
        "systemPreferredAuthenticationMethods", "userPreferredMethodForSecondaryAuthentication",
        "lastUpdatedDateTime",
    }  # fmt: skip


def test_sdk_models_have_no_stray_values(graph: EmulatedGraph) -> None:
    page = graph_call(
        graph, lambda c: c.reports.authentication_methods.user_registration_details.get()
    )
    assert page.value
    for row in page.value:
        assert row.additional_data == {}, row.additional_data
    assert {r.id for r in page.value if r.is_passwordless_capable} == {ENROLLED}


def test_filters(graph: EmulatedGraph, raw: Any) -> None:
    ids = lambda flt: {r["id"] for r in _rows(raw, **{"$filter": flt})}  # noqa: E731
    assert ids("methodsRegistered/any(t:t eq 'microsoftAuthenticatorPush')") == {MANAGER, ENROLLED}
    assert ids("isPasswordlessCapable eq true") == {ENROLLED}
    assert ids("userType eq 'guest'") == {GUEST, INTERNAL_GUEST}
    assert ids("startswith(userPrincipalName,'jamie.')") == {JOINER}
    assert ids(f"userPrincipalName eq 'JAMIE.JOINER@contoso.example' or id eq '{MANAGER}'") == {
        JOINER,
        MANAGER,
    }
    assert JOINER in ids("isMfaRegistered eq false and userType eq 'member'")


def test_select_and_bad_select(graph: EmulatedGraph, raw: Any) -> None:
    rows = _rows(raw, **{"$select": "id,isMfaRegistered"})
    assert all(set(r) == {"id", "isMfaRegistered"} for r in rows)
    response = raw.get(PATH, params={"$select": "favouriteColour"})
    assert response.status_code == 400 and "favouriteColour" in error_of(response)["message"]


def test_top_over_999_is_refused(graph: EmulatedGraph, raw: Any) -> None:
    assert raw.get(PATH, params={"$top": "1000"}).status_code == 400


def test_paging_with_sdk_raw_bytes(graph: EmulatedGraph) -> None:
    """The app's bulk path (reference §8): SDK request info, raw bytes, json.loads, nextLink."""

    async def walk(client: Any) -> tuple[list[str], list[str]]:
        builder = client.reports.authentication_methods.user_registration_details
        qp = Details.UserRegistrationDetailsRequestBuilderGetQueryParameters(
            top=3, select=["id", "userPrincipalName", "methodsRegistered"]
        )
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=qp))
        ids: list[str] = []
        links: list[str] = []
        while info is not None:
            page = json.loads(
                await client.request_adapter.send_primitive_async(
                    info, "bytes", {"XXX": ODataError}
                )
            )
            ids += [row["id"] for row in page["value"]]
            link = page.get("@odata.nextLink")
            if link:
                links.append(link)
            info = builder.with_url(link).to_get_request_information() if link else None
        return ids, links

    ids, links = graph_call(graph, walk)
    enabled = [u for u in graph.seed["users"] if u.get("accountEnabled", True)]
    assert len(ids) == len(set(ids)) == len(enabled)
    assert len(links) == (len(enabled) - 1) // 3
    assert all(link.startswith(graph.base_url + "/" + PATH + "?") for link in links)
    assert all("$select=id,userPrincipalName,methodsRegistered" in link for link in links)


def test_report_lags_behind_registration(graph: EmulatedGraph, raw: Any) -> None:
    graph.control.set_report_lag(3600)
    graph.control.register(JOINER, "passKeyDeviceBound", via_tap=False)
    row = raw.get(f"{PATH}/{JOINER}").json()
    assert row["methodsRegistered"] == []  # not refreshed yet
    methods = raw.get(f"users/{JOINER}/authentication/methods").json()["value"]
    assert "#microsoft.graph.fido2AuthenticationMethod" in {m["@odata.type"] for m in methods}
    graph.control.advance_clock(3601)
    row = raw.get(f"{PATH}/{JOINER}").json()
    assert row["methodsRegistered"] == ["passKeyDeviceBound"]
    assert row["isPasswordlessCapable"] is True


def test_audit_log_records_registration_with_filters(graph: EmulatedGraph, raw: Any) -> None:
    before = raw.get("auditLogs/directoryAudits").json()["value"]
    graph.control.register(JOINER, "microsoftAuthenticatorPush", via_tap=False)
    response = raw.get(
        "auditLogs/directoryAudits",
        params={
            "$filter": "activityDisplayName eq 'User registered security info' and "
            "activityDateTime ge 2020-01-01T00:00:00Z"
        },
    )
    [entry] = response.json()["value"]
    assert entry["targetResources"][0]["userPrincipalName"] == "jamie.joiner@contoso.example"
    assert entry["loggedByService"] == "Authentication Methods"
    assert entry["initiatedBy"]["user"]["id"] == JOINER
    assert before == []
    later = raw.get(
        "auditLogs/directoryAudits", params={"$filter": "activityDateTime ge 2999-01-01T00:00:00Z"}
    )
    assert later.json()["value"] == []


def test_999_row_pages_of_a_large_tenant_are_fast(graph: EmulatedGraph, raw: Any) -> None:
    # Page cost does not grow with the tenant (pages slice a snapshot); 20,000 users keep the
    # test quick, docs/graph-emulator.md has the 100,000-user figures.
    graph.control.bulk_users(20_000, seed=7)
    first = raw.get(PATH, params={"$top": "999"})  # builds the listing snapshot
    assert len(first.json()["value"]) == 999
    link = first.json()["@odata.nextLink"]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        page = raw.get(link)
        timings.append(time.perf_counter() - started)
        assert page.status_code == 200
        link = page.json()["@odata.nextLink"]
    assert min(timings) < 0.1, timings
