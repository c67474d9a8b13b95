"""Tokens from the emulated authority through azure-identity; 401/403 as Graph answers them."""

from __future__ import annotations

import base64
import json
import ssl

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from graph_testkit import JOINER, READONLY_APP, bearer, error_of
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.temporary_access_pass_authentication_method import (
    TemporaryAccessPassAuthenticationMethod,
)

from tests.fixtures.graph import EmulatedGraph, graph_call


def _credential(graph: EmulatedGraph, secret: str) -> ClientSecretCredential:
    return ClientSecretCredential(
        graph.tenant_id,
        graph.client_id,
        secret,
        authority=graph.authority,
        disable_instance_discovery=True,
        connection_verify=graph.ca_file,
    )


def test_the_apps_credential_construction_gets_a_token_with_roles(graph: EmulatedGraph) -> None:
    with _credential(graph, graph.client_secret) as credential:
        token = credential.get_token("https://graph.microsoft.com/.default")
    payload = token.token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["roles"] == graph.seed["apps"][0]["roles"]
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["tid"] == graph.tenant_id


def test_sdk_client_reads_a_user(graph: EmulatedGraph) -> None:
    user = graph_call(graph, lambda c: c.users.by_user_id(JOINER).get())
    assert user.display_name == "Jamie Joiner"


def test_wrong_secret_is_refused_by_the_authority(graph: EmulatedGraph) -> None:
    with (
        _credential(graph, "not-the-secret") as credential,
        pytest.raises(ClientAuthenticationError, match="AADSTS7000215"),
    ):
        credential.get_token("https://graph.microsoft.com/.default")


def test_missing_token_is_401_invalid_authentication_token(graph: EmulatedGraph) -> None:
    response = httpx.get(f"{graph.base_url}/users/{JOINER}")
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"] == "Access token is empty."
    assert response.headers["request-id"]


def test_forged_token_is_401(graph: EmulatedGraph) -> None:
    header, body, _ = bearer(graph).split(".")
    response = httpx.get(
        f"{graph.base_url}/users/{JOINER}",
        headers={"Authorization": f"Bearer {header}.{body}.AAAA"},
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAuthenticationToken"


def test_token_for_another_audience_is_401(graph: EmulatedGraph) -> None:
    # GraphServiceClient without scopes= asks for "http://127.0.0.1/.default": a classic slip.
    with _credential(graph, graph.client_secret) as credential:
        token = credential.get_token("http://127.0.0.1/.default").token
    response = httpx.get(
        f"{graph.base_url}/users/{JOINER}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert error_of(response)["message"] == "Access token validation failure. Invalid audience."


def test_missing_permission_is_403_authorization_request_denied(graph: EmulatedGraph) -> None:
    with pytest.raises(ODataError) as caught:
        graph_call(
            graph,
            lambda c: c.users.by_user_id(JOINER).authentication.temporary_access_pass_methods.post(
                TemporaryAccessPassAuthenticationMethod(lifetime_in_minutes=60)
            ),
            READONLY_APP,
        )
    assert caught.value.response_status_code == 403
    assert caught.value.error.code == "Authorization_RequestDenied"
    assert caught.value.error.message == "Insufficient privileges to complete the operation."
    assert graph.control.taps() == []


def test_request_and_client_request_ids_on_every_response(graph: EmulatedGraph) -> None:
    auth = {"Authorization": f"Bearer {bearer(graph)}"}
    ok = httpx.get(
        f"{graph.base_url}/users/{JOINER}", headers={**auth, "client-request-id": "abc-123"}
    )
    assert ok.status_code == 200
    assert ok.headers["client-request-id"] == "abc-123"
    assert len(ok.headers["request-id"]) == 36
    missing = httpx.get(
        f"{graph.base_url}/users/nobody@contoso.example", headers={**auth, "client-request-id": "x"}
    )
    inner = error_of(missing)["innerError"]
    assert inner["client-request-id"] == "x"
    assert inner["request-id"] == missing.headers["request-id"]


def test_authority_refuses_unknown_clients_and_bad_scopes(graph: EmulatedGraph) -> None:
    tls = ssl.create_default_context(cafile=graph.ca_file)
    token_url = f"{graph.authority}/{graph.tenant_id}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_secret": "x",
        "scope": "https://graph.microsoft.com/.default",
    }
    unknown = httpx.post(token_url, data={**form, "client_id": "nobody"}, verify=tls)
    assert unknown.status_code == 400 and unknown.json()["error"] == "unauthorized_client"
    bad_scope = httpx.post(
        token_url,
        data={**form, "client_id": graph.client_id, "client_secret": graph.client_secret,
              "scope": "https://graph.microsoft.com/User.Read"},
        verify=tls,
    )  # fmt: skip
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"
    metadata = httpx.get(
        f"{graph.authority}/{graph.tenant_id}/v2.0/.well-known/openid-configuration",
        verify=tls,
    ).json()
    assert metadata["token_endpoint"] == token_url
