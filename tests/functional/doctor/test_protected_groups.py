"""PROTECTED_GROUP_IDS through the composition root: members never get a TAP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.functional.doctor.conftest import run_cli

TAP_EXCLUDED = "20000000-0000-4000-8000-000000000004"  # xena.excluded is a member


def test_a_member_of_a_protected_group_is_refused(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    monkeypatch.setenv("PROTECTED_GROUP_IDS", TAP_EXCLUDED)

    code, out, _ = run_cli(capsys, "onboard", "--upn", "xena.excluded@contoso.example", "--dry-run")

    assert code == 1 and "REFUSED: protected_account" in out
