"""CLI helpers: the --settings file (environment wins, as in the host) and table layout."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from shared.cli.context import load_settings_file
from shared.cli.output import table
from shared.domain.errors import ConfigurationError


def test_settings_file_fills_only_unset_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"Values": {"TAPSTART_X_A": "file", "TAPSTART_X_B": "file"}}))
    monkeypatch.setenv("TAPSTART_X_A", "env")
    monkeypatch.delenv("TAPSTART_X_B", raising=False)
    assert load_settings_file(path) == 1
    assert (os.environ["TAPSTART_X_A"], os.environ["TAPSTART_X_B"]) == ("env", "file")
    monkeypatch.delenv("TAPSTART_X_B")


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
        load_settings_file(path)
    with pytest.raises(ConfigurationError, match="cannot read settings file"):
        load_settings_file(tmp_path / "missing.json")


def test_table_wraps_only_the_wide_columns_within_the_width() -> None:
    out = io.StringIO()
    rows = [["a.check", "pass", "word " * 30, ""], ["b", "FAIL", "short", "fix " * 30]]
    table(["check", "status", "found", "fix"], rows, wrap=(2, 3), out=out, width=100)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["check", "status", "found", "fix"]
    assert all(len(line) <= 100 for line in lines)
    assert lines[2].startswith("a.check  pass    word word")
    assert len(lines) > 4  # long cells continued on further lines
