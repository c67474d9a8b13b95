"""Both shipped seeds aim the TAP policy at the passwordless group (never all users), and the
emulator refuses a pass outside the policy's targets as Graph does — until the joiner is added to
the group, which is the order Tapstart follows."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from graph_testkit import JOINER, PASSWORDLESS_GROUP

from tests.fixtures.graph import REPO_ROOT, EmulatedGraph

SEEDS = {
    "test_tenant.json": "20000000-0000-4000-8000-000000000001",
    "demo_tenant.json": "6a1f0d2e-0000-4000-8000-00000000c001",
}
POLICY_TEXT = (
    "Converged UserCredentialPolicy does not allow creating or updating this authentication "
    "method. AuthMethodType [TemporaryAccessPass]."
)


@pytest.mark.parametrize(("seed", "group"), SEEDS.items())
def test_the_seeds_target_the_passwordless_group_only(seed: str, group: str) -> None:
    document: dict[str, Any] = json.loads(
        (REPO_ROOT / "local" / "seeds" / seed).read_text(encoding="utf-8")
    )
    names = {g["id"]: g["displayName"] for g in document["groups"]}
    tap = document["policies"]["TemporaryAccessPass"]
    assert [t["id"] for t in tap["includeTargets"]] == [group]
    assert names[group] == "Passwordless Users"


def test_a_joiner_gets_a_pass_only_once_in_the_group(graph: EmulatedGraph, raw: Any) -> None:
    url = f"users/{JOINER}/authentication/temporaryAccessPassMethods"
    body = {"lifetimeInMinutes": 60}
    refused: httpx.Response = raw.post(url, json=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "badRequest"
    assert refused.json()["error"]["message"] == POLICY_TEXT
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{JOINER}"}
    assert raw.post(f"groups/{PASSWORDLESS_GROUP}/members/$ref", json=ref).status_code == 204
    assert raw.post(url, json=body).status_code == 201
