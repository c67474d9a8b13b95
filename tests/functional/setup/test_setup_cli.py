"""`tapstart setup plan|apply [--rollback FILE]` on the local stack (Graph emulator, the real
SDK and credential): the diff, the permission it needs, an apply that a second apply finds
nothing left to do for, and a rollback that restores the exact previous state."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.functional.doctor.conftest import run_cli
from tests.functional.setup.conftest import with_roles

PASSWORDLESS = "20000000-0000-4000-8000-000000000001"
EXCLUDED = "20000000-0000-4000-8000-000000000004"
DESIRED = f"""
version = 1

[temporaryAccessPass]
includeTargets = ["PASSWORDLESS_GROUP_IDS"]
excludeTargets = ["{EXCLUDED}"]
maximumLifetimeInMinutes = 240
isUsableOnce = true

[microsoftAuthenticator]
includeTargets = [{{ id = "PASSWORDLESS_GROUP_IDS", authenticationMode = "deviceBasedPush" }}]

[microsoftAuthenticator.featureSettings]
displayLocationInformationRequiredState = "enabled"

[fido2]
includeTargets = ["PASSWORDLESS_GROUP_IDS"]

[fido2.keyRestrictions]
isEnforced = true
enforcementType = "allow"
aaGuids = ["90A3CCDF-635C-4729-A248-9B709135078F", "de1e552d-db1d-4423-a619-566b625cdc84"]

[registrationCampaign]
state = "enabled"
snoozeDurationInDays = 3
"""
WRITE = "Policy.ReadWrite.AuthenticationMethod"


def _file(tmp_path: Path, text: str = DESIRED, name: str = "setup.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_plan_lists_exactly_what_differs_and_exits_1(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    tenant()
    code, out, _ = run_cli(capsys, "setup", "plan", _file(tmp_path), "--json")
    assert code == 1
    changes = {(c["resource"], c["property"]): c for c in json.loads(out)["changes"]}
    # The test seed already has the TAP targets and one-time passes the file asks for.
    assert set(changes) == {
        ("temporaryAccessPass", "maximumLifetimeInMinutes"),
        ("microsoftAuthenticator", "includeTargets"),
        ("microsoftAuthenticator", "featureSettings"),
        ("fido2", "includeTargets"),
        ("fido2", "keyRestrictions"),
        ("registrationCampaign", "state"),
        ("registrationCampaign", "snoozeDurationInDays"),
    }
    assert changes[("temporaryAccessPass", "maximumLifetimeInMinutes")]["now"] == 480
    assert changes[("registrationCampaign", "state")] | {"resource": None} == {
        "resource": None, "property": "state", "now": "default", "wanted": "enabled",
    }  # fmt: skip
    code, table, _ = run_cli(capsys, "setup", "plan", _file(tmp_path))
    assert code == 1 and "7 change(s) in 4 resource(s) to make" in table


def test_apply_without_the_opt_in_permission_names_it_and_changes_nothing(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_policies: Callable[[], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    before = read_policies()
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "setup", "apply", _file(tmp_path))
    assert code == 2 and out == ""
    assert (
        f"error: apply needs the Microsoft Graph application permission {WRITE}, which "
        "Tapstart's identity does not hold (it is opt-in, never granted by default); nothing "
        "was changed"
    ) in err
    assert "--setup-write" in err
    assert read_policies() == before
    assert list(tmp_path.glob("tapstart-rollback-*.json")) == []


def test_apply_lands_a_second_apply_changes_nothing_and_the_rollback_restores_exactly(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_policies: Callable[[], dict[str, Any]],
) -> None:
    tenant(with_roles(WRITE))
    before = read_policies()
    rollback = tmp_path / "rollback.json"
    desired = _file(tmp_path)

    code, out, _ = run_cli(capsys, "setup", "apply", desired, "--rollback-out", str(rollback))
    assert code == 0, out
    assert "7 change(s) in 4 resource(s) made" in out
    assert f"undo: tapstart setup apply --rollback {rollback}" in out
    after = read_policies()
    assert after["temporaryAccessPass"]["maximumLifetimeInMinutes"] == 240
    [target] = after["microsoftAuthenticator"]["includeTargets"]
    assert (target["id"], target["authenticationMode"]) == (PASSWORDLESS, "deviceBasedPush")
    features = after["microsoftAuthenticator"]["featureSettings"]
    assert features["displayLocationInformationRequiredState"]["state"] == "enabled"
    # Only the feature the file names changed; the other keeps its own targets and state.
    assert (
        features["displayAppInformationRequiredState"]
        == before["microsoftAuthenticator"]["featureSettings"]["displayAppInformationRequiredState"]
    )
    restrictions = after["fido2"]["keyRestrictions"]
    assert restrictions["isEnforced"] is True and restrictions["enforcementType"] == "allow"
    campaign = after["policy"]["registrationEnforcement"][
        "authenticationMethodsRegistrationCampaign"
    ]
    assert (campaign["state"], campaign["snoozeDurationInDays"]) == ("enabled", 3)
    assert (
        after["temporaryAccessPass"]["defaultLength"]
        == before["temporaryAccessPass"]["defaultLength"]
    )

    saved = json.loads(rollback.read_text())
    assert saved["kind"] == "tapstart-setup-rollback"
    assert saved["resources"]["temporaryAccessPass"] == {"maximumLifetimeInMinutes": 480}

    code, out, _ = run_cli(
        capsys, "setup", "apply", desired, "--rollback-out", str(tmp_path / "x.json")
    )
    assert (code, out.strip()) == (0, "the tenant matches the file: nothing changed")
    assert not (tmp_path / "x.json").exists()
    assert read_policies() == after
    code, out, _ = run_cli(capsys, "setup", "plan", desired)
    assert (code, out.strip()) == (0, "the tenant matches the file: nothing to change")

    again = tmp_path / "redo.json"
    code, out, _ = run_cli(
        capsys, "setup", "apply", "--rollback", str(rollback), "--rollback-out", str(again)
    )
    assert code == 0, out
    assert read_policies() == before  # exactly the previous state, every property
    code, out, _ = run_cli(capsys, "setup", "apply", "--rollback", str(rollback))
    assert (code, out.strip()) == (0, "the tenant matches the file: nothing changed")
    # The rollback of the rollback is the apply again.
    assert json.loads(again.read_text())["resources"]["registrationCampaign"]["state"] == "enabled"


def test_an_existing_rollback_file_is_never_overwritten(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_policies: Callable[[], dict[str, Any]],
) -> None:
    tenant(with_roles(WRITE))
    before = read_policies()
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    code, _, err = run_cli(capsys, "setup", "apply", _file(tmp_path), "--rollback-out", str(taken))
    assert code == 2 and "cannot write the rollback file" in err and "nothing was changed" in err
    assert read_policies() == before and taken.read_text() == "{}"


def test_graphs_refusal_is_reported_with_the_way_back(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    tenant(with_roles(WRITE))
    # Graph refuses a default lifetime outside the tenant's minimum-maximum (60-480).
    text = "[temporaryAccessPass]\ndefaultLifetimeInMinutes = 600\n"
    rollback = tmp_path / "r.json"
    code, _, err = run_cli(
        capsys, "setup", "apply", _file(tmp_path, text), "--rollback-out", str(rollback)
    )
    assert code == 2
    assert "Graph refused the TAP policy PATCH: 400 badRequest" in err
    assert "'defaultLifetimeInMinutes'" in err
    assert f"tapstart setup apply --rollback {rollback}" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tap]\nstate = 'enabled'\n", "[tap]: unknown table; expected [temporaryAccessPass]"),
        ("[temporaryAccessPass]\nlength = 8\n", "temporaryAccessPass.length: unknown property"),
        ("[temporaryAccessPass]\ndefaultLength = 7\n",
         "temporaryAccessPass.defaultLength: expected an integer from 8 to 48, got 7"),
        ("[fido2]\nincludeTargets = ['engineering']\n",
         "fido2.includeTargets[0].id: expected a group object id"),
        ("[registrationCampaign\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_clear_line(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    text: str,
    message: str,
) -> None:
    tenant()
    path = _file(tmp_path, text)
    code, out, err = run_cli(capsys, "setup", "plan", path)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {path}: ") and message in err
    assert "fix: correct the file (see examples/tenant-setup.toml" in err


def test_the_example_file_is_valid_and_plans_against_the_test_tenant(
    app_env: dict[str, str], tenant: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant()
    example = Path(__file__).resolve().parents[3] / "examples" / "tenant-setup.toml"
    code, out, err = run_cli(capsys, "setup", "plan", str(example), "--json")
    assert code == 1, err
    assert {c["resource"] for c in json.loads(out)["changes"]} >= {"registrationCampaign"}


def test_a_rollback_made_in_another_tenant_is_refused(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_policies: Callable[[], dict[str, Any]],
) -> None:
    tenant(with_roles(WRITE))
    rollback = tmp_path / "rollback.json"
    assert (
        run_cli(capsys, "setup", "apply", _file(tmp_path), "--rollback-out", str(rollback))[0] == 0
    )
    saved = json.loads(rollback.read_text())
    assert saved["tenant"] == app_env["GRAPH_TENANT_ID"]
    applied = read_policies()
    saved["tenant"] = "00000000-0000-4000-8000-0000000000ff"
    rollback.write_text(json.dumps(saved))
    code, _, err = run_cli(capsys, "setup", "apply", "--rollback", str(rollback))
    assert code == 2
    assert "the rollback file is for tenant 00000000-0000-4000-8000-0000000000ff" in err
    assert read_policies() == applied
