"""`tapstart onboard --rehire` on the local stack: a returning employee's account is refused
without the override and onboarded with it, audited, with the stale methods removed only when
asked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures.acs import AcsEmulator
from tests.fixtures.graph import EmulatedGraph
from tests.functional.doctor.conftest import run_cli as run

RETURNING = "erin.enrolled@contoso.example"  # 35 days old, Authenticator registered
ADMINS = "identity-admins@contoso.example"


def grant(*permissions: str) -> Callable[[dict[str, Any]], None]:
    """A tenant change: Tapstart's app (the seed's first) also holds `permissions`."""

    def change(seed: dict[str, Any]) -> None:
        seed["apps"][0]["roles"] = [*seed["apps"][0]["roles"], *permissions]

    return change


def methods_of(graph: EmulatedGraph) -> list[str]:
    return sorted(m["type"] for m in graph.control.user(RETURNING)["methods"])


def test_a_rehire_is_refused_without_the_override_and_onboarded_with_it(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    acs: AcsEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant()
    code, out, _ = run(capsys, "onboard", "--employee-id", "E1003")
    assert code == 1 and "refused" in out
    assert graph.control.taps() == []

    code, _, err = run(capsys, "onboard", "--employee-id", "E1003", "--rehire")
    assert code != 0 and "--reason" in err  # no override without saying why

    before = methods_of(graph)
    code, out, err = run(
        capsys,
        "onboard",
        "--employee-id",
        "E1003",
        "--rehire",
        "--reason",
        "back from leave",
        "--operator",
        "ada.admin@contoso.example",
    )

    assert code == 0, err
    assert "delivered" in out
    [tap] = graph.control.taps()
    assert tap["userPrincipalName"] == RETURNING
    assert methods_of(graph) == before  # kept: no second flag
    alerts = [m for m in acs.control.messages() if ADMINS in json.dumps(m["to"])]
    assert len(alerts) == 1 and "rehire_override" in alerts[0]["subject"]
    [tracking_id] = re.findall(r"^tracking id\s+(\S+)", out, re.M)
    code, out, _ = run(capsys, "status", tracking_id, "--json")
    steps = {s["step"]: s["detail"] for s in json.loads(out)["steps"]}
    assert steps["rehire_override"] == "by ada.admin@contoso.example: back from leave"
    assert steps["stale_methods"].startswith("authenticator ")


def test_the_stale_methods_are_listed_in_the_dry_run_and_removed_only_with_the_second_flag(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant(grant("UserAuthMethod-MicrosoftAuthApp.ReadWrite.All"))
    rehire = ("onboard", "--employee-id", "E1003", "--rehire", "--reason", "contractor hired")
    code, out, _ = run(capsys, *rehire, "--remove-stale-methods", "--dry-run")
    assert code == 0 and "would remove before the pass" in out and "authenticator" in out
    assert "would DELIVER" in out
    assert graph.control.taps() == []  # a dry run changes nothing

    code, out, err = run(capsys, *rehire, "--remove-stale-methods")

    assert code == 0, out + err
    assert "authenticator" not in " ".join(methods_of(graph)).lower()
    [tap] = graph.control.taps()
    assert tap["userPrincipalName"] == RETURNING


def test_without_the_permission_to_remove_methods_nothing_is_issued(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant()  # least privilege: Tapstart may create passes, not delete other methods
    before = methods_of(graph)
    code, out, _ = run(
        capsys,
        "onboard",
        "--employee-id",
        "E1003",
        "--rehire",
        "--reason",
        "back",
        "--remove-stale-methods",
    )
    assert code == 2 and "failed (graph_forbidden)" in out
    assert "UserAuthMethod-MicrosoftAuthApp.ReadWrite.All" in out
    assert graph.control.taps() == [] and methods_of(graph) == before  # fail closed


def test_the_override_flags_go_together(
    app_env: dict[str, str], tenant: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant()
    code, _, err = run(capsys, "onboard", "--employee-id", "E1003", "--remove-stale-methods")
    assert code != 0 and "go with --rehire" in err
