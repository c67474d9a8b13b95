"""scripts/grant-graph-permissions.sh against a stand-in `az` that plays a tenant.

There is no Azure CLI or tenant offline; the stand-in answers the three calls the script makes
(Graph's service principal, its app roles by name, the identity's current assignments) and
records every grant, so the tests see exactly what an admin's run would change.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "grant-graph-permissions.sh"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"

FAKE_AZ = r"""#!/usr/bin/env bash
# Stand-in for the Azure CLI: role ids are "role-<permission>"; FAKE_GRANTED lists role ids
# already assigned; FAKE_NOT_OFFERED lists permissions this tenant's Graph does not offer.
echo "$*" >> "$FAKE_LOG"
args="$*"
case "$args" in
  "ad sp show --id 00000003-0000-0000-c000-000000000000 --query id -o tsv")
    echo "graph-sp" ;;
  "ad sp show --id 00000003-0000-0000-c000-000000000000 --query appRoles"*)
    permission="$(sed -E "s/.*value=='([^']+)'.*/\1/" <<<"$args")"
    for missing in $FAKE_NOT_OFFERED; do [[ "$missing" == "$permission" ]] && exit 0; done
    echo "role-$permission" ;;
  "rest --method GET"*)
    for id in $FAKE_GRANTED; do echo "$id"; done ;;
  "rest --method POST"*)
    body="${args##*--body }"; body="${body%% --output*}"
    echo "$body" >> "$FAKE_GRANTS" ;;
  *) echo "unexpected az call: $args" >&2; exit 2 ;;
esac
"""

ALL_GRANULAR = {
    "UserAuthMethod-TAP.ReadWrite.All",
    "UserAuthenticationMethod.Read.All",
    "GroupMember.ReadWrite.All",
    "User.Read.All",
    "AuditLog.Read.All",
    "Policy.Read.AuthenticationMethod",
    "Device.Read.All",
    "RoleManagement.Read.Directory",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
}


def _run(
    tmp_path: Path, *args: str, granted: str = "", not_offered: str = ""
) -> tuple[int, str, list[dict[str, str]]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    az = bin_dir / "az"
    az.write_text(FAKE_AZ)
    az.chmod(0o755)
    grants = tmp_path / "grants.jsonl"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "FAKE_LOG": str(tmp_path / "az.log"),
        "FAKE_GRANTS": str(grants),
        "FAKE_GRANTED": granted,
        "FAKE_NOT_OFFERED": not_offered,
    }
    proc = subprocess.run(
        ["bash", str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    posted = (
        [json.loads(line) for line in grants.read_text().splitlines()] if grants.exists() else []
    )
    return proc.returncode, proc.stdout + proc.stderr, posted


def _roles(posted: list[dict[str, str]]) -> set[str]:
    return {p["appRoleId"].removeprefix("role-") for p in posted}


def test_grants_each_missing_permission_once_and_skips_granted_ones(tmp_path: Path) -> None:
    code, out, posted = _run(tmp_path, "--principal-id", PRINCIPAL, granted="role-User.Read.All")
    assert code == 0, out
    assert _roles(posted) == ALL_GRANULAR - {"User.Read.All"}
    assert all(p["principalId"] == PRINCIPAL and p["resourceId"] == "graph-sp" for p in posted)
    assert "already granted: User.Read.All" in out


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    code, out, posted = _run(tmp_path, "--principal-id", PRINCIPAL, "--dry-run")
    assert code == 0, out
    assert posted == []
    assert out.count("would grant:") == len(ALL_GRANULAR)


def test_broad_tap_permission_replaces_the_granular_pair(tmp_path: Path) -> None:
    code, out, posted = _run(tmp_path, "--principal-id", PRINCIPAL, "--broad-tap-permission")
    assert code == 0, out
    roles = _roles(posted)
    assert "UserAuthenticationMethod.ReadWrite.All" in roles
    assert not roles & {"UserAuthMethod-TAP.ReadWrite.All", "UserAuthenticationMethod.Read.All"}
    assert roles == ALL_GRANULAR - {
        "UserAuthMethod-TAP.ReadWrite.All",
        "UserAuthenticationMethod.Read.All",
    } | {"UserAuthenticationMethod.ReadWrite.All"}


def test_tenant_without_the_granular_permission_stops_with_a_hint(tmp_path: Path) -> None:
    code, out, posted = _run(
        tmp_path, "--principal-id", PRINCIPAL, not_offered="UserAuthMethod-TAP.ReadWrite.All"
    )
    assert code != 0
    assert "--broad-tap-permission" in out
    assert posted == []


@pytest.mark.parametrize("args", [(), ("--principal-id", "")])
def test_refuses_to_run_without_a_principal(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, out, posted = _run(tmp_path, *args)
    assert code != 0
    assert "principal id" in out
    assert posted == []


def test_device_read_is_granted_with_the_others(tmp_path: Path) -> None:
    code, out, posted = _run(tmp_path, "--principal-id", PRINCIPAL)
    assert code == 0, out
    assert "Device.Read.All" in _roles(posted)
    assert "granted: Device.Read.All" in out


def test_device_read_already_granted_is_left_alone(tmp_path: Path) -> None:
    code, out, posted = _run(tmp_path, "--principal-id", PRINCIPAL, granted="role-Device.Read.All")
    assert code == 0, out
    assert "already granted: Device.Read.All" in out
    assert _roles(posted) == ALL_GRANULAR - {"Device.Read.All"}
