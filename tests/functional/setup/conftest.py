"""`tapstart setup` against the Graph emulator: the doctor's fixtures (app settings in the
environment, a tenant reset per test) and a reader of the policies as Graph returns them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.graph import GRAPH_SCOPES, EmulatedGraph, graph_credential
from tests.functional.doctor.conftest import app_env, tenant  # noqa: F401  (fixtures)

POLICY_ADMIN_APP = "5e1d0b7a-0000-4000-8000-00000000a003"  # the test seed's policy writer
METHODS = "policies/authenticationMethodsPolicy/authenticationMethodConfigurations"
PATHS = {
    "temporaryAccessPass": f"{METHODS}/TemporaryAccessPass",
    "microsoftAuthenticator": f"{METHODS}/MicrosoftAuthenticator",
    "fido2": f"{METHODS}/Fido2",
    "policy": "policies/authenticationMethodsPolicy",
}


@pytest.fixture
def read_policies(graph: EmulatedGraph) -> Iterator[Callable[[], dict[str, Any]]]:
    """Every resource setup manages, exactly as Graph answers it (context URLs left out)."""
    token = graph_credential(graph, POLICY_ADMIN_APP).get_token(*GRAPH_SCOPES).token
    with httpx.Client(
        base_url=graph.base_url + "/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:

        def read() -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, path in PATHS.items():
                body = http.get(path).json()
                body.pop("@odata.context", None)
                out[key] = body
            return out

        yield read


def with_roles(*roles: str) -> Callable[[dict[str, Any]], None]:
    def change(seed: dict[str, Any]) -> None:
        seed["apps"][0]["roles"] = [*seed["apps"][0]["roles"], *roles]

    return change
