"""Entra ID bearer tokens from the local authority, checked as ACS checks a managed identity's.

The old emulator refused every bearer token, so the production credential could not be
exercised locally. Tokens come from the Graph emulator's login authority through azure-identity,
exactly as a service principal gets them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from azure.communication.email import EmailClient
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from tests.e2e.acs_process import AcsProcess
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.graph import EmulatedGraph

ACS_SCOPE = "https://communication.azure.com//.default"  # what the SDK asks for
MESSAGE: dict[str, Any] = {
    "senderAddress": "DoNotReply@contoso.example",
    "recipients": {"to": [{"address": "someone@contoso.example"}]},
    "content": {"subject": "Hello", "plainText": "Hi"},
}
# Bearer tokens over http: azure-core refuses them unless told this is intended (loopback only).
PLAIN_HTTP: dict[str, Any] = {"enforce_https": False}


def credential(graph: EmulatedGraph) -> ClientSecretCredential:
    return ClientSecretCredential(
        graph.tenant_id,
        graph.client_id,
        graph.client_secret,
        authority=graph.authority,
        disable_instance_discovery=True,
        connection_verify=graph.ca_file,
    )


@pytest.fixture(scope="module")
def entra_acs(
    graph_emulator: EmulatedGraph, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsEmulator]:
    process = AcsProcess(
        tmp_path_factory.mktemp("acs-entra"),
        (
            "--entra-tenant",
            graph_emulator.tenant_id,
            "--entra-issuer-graph",
            graph_emulator.base_url,
        ),
    )
    try:
        yield process.start()
    finally:
        process.stop()


@pytest.fixture
def acs_entra(entra_acs: AcsEmulator) -> AcsEmulator:
    entra_acs.control.reset()
    return entra_acs


class StaticToken:
    """A credential that hands out one given token (to present forged or foreign tokens)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, 4_102_444_800)


def denied(acs: AcsEmulator, token_credential: Any) -> str:
    with (
        EmailClient(acs.endpoint, token_credential, retry_total=0) as client,
        pytest.raises(ClientAuthenticationError) as caught,
    ):
        client.begin_send(MESSAGE, polling=False, **PLAIN_HTTP)
    assert caught.value.status_code == 401
    assert caught.value.error is not None and caught.value.error.code == "Denied"
    assert acs.control.messages() == []
    return str(caught.value.error.message)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def test_a_token_from_the_local_authority_sends_through_the_sdk(
    acs_entra: AcsEmulator, graph_emulator: EmulatedGraph
) -> None:
    with EmailClient(acs_entra.endpoint, credential(graph_emulator)) as client:
        result = client.begin_send(MESSAGE, operation_id="op-mi", polling=False, **PLAIN_HTTP)
        assert result.result() == {"id": "op-mi", "status": "Running"}
    [record] = acs_entra.control.messages()
    assert record["operationId"] == "op-mi"


def test_the_same_token_keeps_working_and_the_access_key_still_does(
    acs_entra: AcsEmulator, graph_emulator: EmulatedGraph
) -> None:
    with EmailClient(acs_entra.endpoint, credential(graph_emulator)) as client:
        for _ in range(3):
            client.begin_send(MESSAGE, polling=False, **PLAIN_HTTP)
    acs_entra.email_client().begin_send(MESSAGE, polling=False)
    assert len(acs_entra.control.messages()) == 4


def test_a_token_for_another_audience_is_denied(
    acs_entra: AcsEmulator, graph_emulator: EmulatedGraph
) -> None:
    graph_token = credential(graph_emulator).get_token("https://graph.microsoft.com/.default")
    message = denied(acs_entra, StaticToken(graph_token.token))
    assert "audience 'https://graph.microsoft.com'" in message


def test_a_token_of_another_tenant_is_denied(
    acs_entra: AcsEmulator, graph_emulator: EmulatedGraph
) -> None:
    token = credential(graph_emulator).get_token(ACS_SCOPE).token
    header, _payload, signature = token.split(".")
    other = "11111111-2222-3333-4444-555555555555"
    forged = claims(token) | {"tid": other, "iss": f"https://sts.windows.net/{other}/"}
    message = denied(acs_entra, StaticToken(f"{header}.{b64(forged)}.{signature}"))
    assert "not issued by the resource's tenant" in message


def test_a_token_whose_claims_were_changed_fails_its_signature(
    acs_entra: AcsEmulator, graph_emulator: EmulatedGraph
) -> None:
    token = credential(graph_emulator).get_token(ACS_SCOPE).token
    header, _payload, signature = token.split(".")
    longer = claims(token) | {"exp": claims(token)["exp"] + 86_400, "appid": "someone-else"}
    message = denied(acs_entra, StaticToken(f"{header}.{b64(longer)}.{signature}"))
    assert "signature" in message


def test_an_expired_token_is_denied(acs_entra: AcsEmulator, graph_emulator: EmulatedGraph) -> None:
    token = credential(graph_emulator).get_token(ACS_SCOPE).token
    EmailClient(acs_entra.endpoint, StaticToken(token)).begin_send(
        MESSAGE, polling=False, **PLAIN_HTTP
    )
    # Tokens live an hour; ACS allows five minutes of clock skew past `exp`.
    acs_entra.control.advance_clock(3600 + 5 * 60 + 1)
    acs_entra.control.clear()
    assert "expired" in denied(acs_entra, StaticToken(token))


def test_something_that_is_not_a_jwt_is_denied(acs_entra: AcsEmulator) -> None:
    assert "well-formed JWT" in denied(acs_entra, StaticToken("not-a-token"))


def test_without_entra_settings_a_bearer_token_is_denied(
    acs: AcsEmulator, graph_emulator: EmulatedGraph
) -> None:
    token = credential(graph_emulator).get_token(ACS_SCOPE).token
    assert "HMAC-SHA256" in denied(acs, StaticToken(token))
