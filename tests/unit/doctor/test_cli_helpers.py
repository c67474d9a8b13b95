"""CLI helpers: the --settings file (environment wins, as in the host) and table layout."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from shared.cli.output import table
from shared.config import Settings, read_settings_file
from shared.domain.errors import ConfigurationError


def test_settings_file_fills_only_what_the_environment_leaves_unset(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    env = _required_env()
    values = {**env, "BRAND_COMPANY_NAME": "From the file", "TAP_MAX_PER_HOUR": "7"}
    path.write_text(json.dumps({"Values": values}))
    before = dict(os.environ)
    settings = Settings.from_env(
        {**env, "BRAND_COMPANY_NAME": "From the environment"}, settings_file=path
    )
    assert settings.brand_company_name == "From the environment"  # the environment wins
    assert settings.tap_max_per_hour == 7  # the file fills the gap
    assert dict(os.environ) == before  # nothing is written into the process environment


def _required_env() -> dict[str, str]:
    return {
        "ACS_ENDPOINT": "https://acs.example.com",
        "MAIL_SENDER": "noreply@example.com",
        "ADMIN_EMAILS": "admin@example.com",
        "HR_WEBHOOK_SECRETS": "whsec_" + "A" * 32,
        "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
        "PASSWORDLESS_GROUP_IDS": "11111111-1111-1111-1111-111111111111",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not JSON"), ('{"IsEncrypted": false}', 'has no "Values" object')],
)
def test_bad_settings_files_are_configuration_errors(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        read_settings_file(path)
    with pytest.raises(ConfigurationError, match="cannot read settings file"):
        read_settings_file(tmp_path / "missing.json")


def test_table_wraps_only_the_wide_columns_within_the_width() -> None:
    out = io.StringIO()
    rows = [["a.check", "pass", "word " * 30, ""], ["b", "FAIL", "short", "fix " * 30]]
    table(["check", "status", "found", "fix"], rows, wrap=(2, 3), out=out, width=100)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["check", "status", "found", "fix"]
    assert all(len(line) <= 100 for line in lines)
    assert lines[2].startswith("a.check  pass    word word")
    assert len(lines) > 4  # long cells continued on further lines
