"""The opt-in Graph permissions: the grant script grants them only when asked (the stand-in
`az` of tests/infra plays the tenant), and the Bicep module grants them only behind parameters
that default to false."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.test_grant_script import ALL_GRANULAR, PRINCIPAL, _roles, _run

OPT_IN = {"Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"}
BICEP = Path(__file__).resolve().parents[3] / "infra" / "graph-permissions.bicep"


def test_the_default_grant_has_no_opt_in_permission(tmp_path: Path) -> None:
    code, out, posted = _run(tmp_path, "--principal-id", PRINCIPAL)
    assert code == 0, out
    assert _roles(posted) == ALL_GRANULAR
    assert not _roles(posted) & OPT_IN


@pytest.mark.parametrize(
    ("flag", "permission"),
    [
        ("--conditional-access-read", "Policy.Read.All"),
        ("--setup-write", "Policy.ReadWrite.AuthenticationMethod"),
    ],
)
def test_each_flag_adds_exactly_its_permission(tmp_path: Path, flag: str, permission: str) -> None:
    code, out, posted = _run(tmp_path, "--principal-id", PRINCIPAL, flag)
    assert code == 0, out
    assert _roles(posted) == ALL_GRANULAR | {permission}
    assert f"granted: {permission}" in out


def test_the_bicep_module_grants_them_behind_false_defaults() -> None:
    text = BICEP.read_text(encoding="utf-8")
    assert "param grantConditionalAccessRead bool = false" in text
    assert "param grantSetupWrite bool = false" in text
    assert "grantConditionalAccessRead ? ['Policy.Read.All'] : []" in text
    assert "grantSetupWrite ? ['Policy.ReadWrite.AuthenticationMethod'] : []" in text
