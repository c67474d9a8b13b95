"""Graph's response headers that clients read or log (issue 20).

Recorded Graph v1.0 answers (Azure/azure-sdk-for-js,
``sdk/identity/identity/recordings/node/cae/recording_usernamepasswordcredential.js``): a 200
carries ``Content-Type: application/json;odata.metadata=minimal;…``, ``Cache-Control: no-cache``,
``request-id``, ``client-request-id``, ``x-ms-ags-diagnostic`` (a ``ServerInfo`` JSON) and
``OData-Version: 4.0``; a 401 carries ``WWW-Authenticate: Bearer realm="", authorization_uri=…,
client_id="00000003-0000-0000-c000-000000000000"`` and ``x-ms-ags-diagnostic``, but no
``OData-Version``. kiota reads ``Content-Type`` (which parser), ``Retry-After`` (429/503/504),
``WWW-Authenticate`` (a 401's claims challenge) and ``Location`` (redirects).
"""

from __future__ import annotations

import json

import httpx
import pytest
from graph_testkit import JOINER, PASSWORDLESS_GROUP

from tests.fixtures.graph import EmulatedGraph

ODATA_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


def _diagnostic(response: httpx.Response) -> dict[str, object]:
    info = json.loads(response.headers["x-ms-ags-diagnostic"])
    assert isinstance(info, dict)
    return info


def test_a_success_carries_graphs_headers(raw: httpx.Client) -> None:
    ok = raw.get(f"users/{JOINER}", headers={"client-request-id": "my-correlation"})
    assert ok.status_code == 200
    assert ok.headers["content-type"] == ODATA_JSON
    assert ok.headers["OData-Version"] == "4.0"
    assert ok.headers["Cache-Control"] == "no-cache"
    assert ok.headers["client-request-id"] == "my-correlation"
    assert len(ok.headers["request-id"]) == 36
    assert set(_diagnostic(ok)["ServerInfo"]) >= {"DataCenter", "RoleInstance"}  # type: ignore[arg-type]


def test_without_a_client_request_id_the_request_id_is_repeated(raw: httpx.Client) -> None:
    ok = raw.get(f"users/{JOINER}")
    assert ok.headers["client-request-id"] == ok.headers["request-id"]


def test_a_204_has_no_body_headers_but_keeps_the_ids(
    graph: EmulatedGraph, raw: httpx.Client
) -> None:
    graph.control.update_user(JOINER, groups=[])
    body = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{JOINER}"}
    added = raw.post(f"groups/{PASSWORDLESS_GROUP}/members/$ref", json=body)
    assert added.status_code == 204
    assert "content-type" not in added.headers
    assert added.headers["OData-Version"] == "4.0"
    assert added.headers["request-id"] and added.headers["x-ms-ags-diagnostic"]


def test_an_error_has_the_diagnostic_but_no_odata_version(raw: httpx.Client) -> None:
    missing = raw.get("users/ghost@contoso.example")
    assert missing.status_code == 404
    assert "OData-Version" not in missing.headers
    assert "Cache-Control" not in missing.headers
    assert _diagnostic(missing)["ServerInfo"]
    assert missing.json()["error"]["innerError"]["request-id"] == missing.headers["request-id"]


def test_a_401_challenges_with_the_authority(graph: EmulatedGraph) -> None:
    refused = httpx.get(f"{graph.base_url}/users/{JOINER}")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == (
        f'Bearer realm="", authorization_uri="{graph.authority}/common/oauth2/authorize", '
        'client_id="00000003-0000-0000-c000-000000000000"'
    )
    assert (
        "claims=" not in refused.headers["WWW-Authenticate"]
    )  # no CAE challenge: kiota won't retry
    assert refused.headers["x-ms-ags-diagnostic"]


@pytest.mark.parametrize(("status", "retry_after"), [(429, "3"), (503, "4")])
def test_retry_after_on_throttling_and_unavailable(
    graph: EmulatedGraph, raw: httpx.Client, status: int, retry_after: str
) -> None:
    graph.control.set_faults(
        rules=[{"path": "^/users/", "status": status, "retryAfter": int(retry_after), "count": 1}]
    )
    refused = raw.get(f"users/{JOINER}")
    assert refused.status_code == status
    assert refused.headers["Retry-After"] == retry_after
    assert refused.headers["x-ms-ags-diagnostic"] and refused.headers["request-id"]


def test_control_endpoints_are_not_dressed_as_graph(graph: EmulatedGraph) -> None:
    health = httpx.get(f"{graph.root_url}/_emulator/health")
    assert "x-ms-ags-diagnostic" not in health.headers
