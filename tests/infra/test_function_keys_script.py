"""scripts/function-keys.sh against a stand-in `az` that plays a Function App's keys.

The stand-in keeps each function's keys in a JSON file, draws a value when `keys set` is given
none (as Azure does), fails for a function that does not exist (code not deployed), and logs
every call, so the tests see exactly what a run would change and that no value is printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "function-keys.sh"
FUNCTIONS = [
    "hr_events",
    "hr_events_handshake",
    "onboarding_status",
    "report_run",
    "report_latest",
    "doctor",
    "campaign",
]
CALLERS = {
    "hr": ["hr_events", "hr_events_handshake"],
    "servicedesk": ["onboarding_status"],
    "reporting": ["report_run", "report_latest"],
    "monitoring": ["doctor"],
    "campaign": ["campaign"],
}

FAKE_AZ = r"""
import json, os, secrets, sys

args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
state_path = os.environ["FAKE_STATE"]
with open(state_path) as f:
    state = json.load(f)


def opt(name):
    return args[args.index(name) + 1] if name in args else None


if args[:3] != ["functionapp", "function", "keys"]:
    sys.exit(f"unexpected az call: {args}")
if opt("-g") != "rg-test" or opt("-n") != "func-test":
    sys.exit("wrong app")
fn = opt("--function-name")
if fn not in state:
    sys.exit(f"ERROR: function {fn} not found")
keys = state[fn]
if args[3] == "list":
    query = opt("--query")
    if query == "keys(@)":
        print("\n".join(keys))
    elif query in keys:
        print(keys[query])
    else:
        sys.exit(f"unexpected query {query}")
elif args[3] == "set":
    keys[opt("--key-name")] = opt("--key-value") or secrets.token_urlsafe(32)
    with open(state_path, "w") as f:
        json.dump(state, f)
    if opt("-o") != "none":
        print(json.dumps({"name": opt("--key-name"), "value": keys[opt("--key-name")]}))
else:
    sys.exit(f"unexpected az call: {args}")
"""


def _run(
    tmp_path: Path, *args: str, keys: dict[str, dict[str, str]] | None = None
) -> tuple[int, str, dict[str, dict[str, str]], list[list[str]]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    az = bin_dir / "az"
    az.write_text(f"#!{sys.executable}\n{FAKE_AZ}")
    az.chmod(0o755)
    state = tmp_path / "state.json"
    if keys is None:
        keys = {fn: {"default": f"default-{fn}-value"} for fn in FUNCTIONS}
    state.write_text(json.dumps(keys))
    log = tmp_path / "az.log"
    log.write_text("")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "FAKE_LOG": str(log),
        "FAKE_STATE": str(state),
        "AZURE_RESOURCE_GROUP": "rg-test",
        "AZURE_FUNCTION_APP_NAME": "func-test",
    }
    proc = subprocess.run(
        ["bash", str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return proc.returncode, proc.stdout + proc.stderr, json.loads(state.read_text()), calls


def _sets(calls: list[list[str]]) -> list[tuple[str, str]]:
    return [
        (c[c.index("--function-name") + 1], c[c.index("--key-name") + 1])
        for c in calls
        if c[3] == "set"
    ]


def test_creates_one_named_key_per_caller_and_prints_no_value(tmp_path: Path) -> None:
    code, out, keys, calls = _run(tmp_path)
    assert code == 0, out
    for key, functions in CALLERS.items():
        values = {keys[fn][key] for fn in functions}
        assert len(values) == 1, key  # one value opens all of the caller's endpoints
        assert all(value not in out for value in values)
        assert f"created: {key} of {functions[0]}" in out
    # Each function holds its own caller's key and no other caller's.
    for fn in FUNCTIONS:
        (caller,) = [k for k, fns in CALLERS.items() if fn in fns]
        assert set(keys[fn]) == {"default", caller}
    # Only function keys are touched: no host key, no master key.
    assert all(c[:3] == ["functionapp", "function", "keys"] for c in calls)
    assert not any("_master" in c or "masterKey" in c for c in calls)
    # The first function's value is drawn by Azure: no value on that command line.
    for functions in CALLERS.values():
        (first_set,) = [
            c for c in calls if c[3] == "set" and c[c.index("--function-name") + 1] == functions[0]
        ]
        assert "--key-value" not in first_set


def test_existing_keys_are_kept_without_rotate(tmp_path: Path) -> None:
    _, _, keys, _ = _run(tmp_path)
    code, out, again, calls = _run(tmp_path, keys=keys)
    assert code == 0, out
    assert _sets(calls) == []
    assert again == keys
    assert out.count("kept: ") == len(FUNCTIONS)


def test_rotate_gives_every_named_key_a_new_value(tmp_path: Path) -> None:
    _, _, keys, _ = _run(tmp_path)
    code, out, rotated, _ = _run(tmp_path, "--rotate", keys=keys)
    assert code == 0, out
    for key, functions in CALLERS.items():
        assert rotated[functions[0]][key] != keys[functions[0]][key]
        assert {rotated[fn][key] for fn in functions} == {rotated[functions[0]][key]}
        assert f"rotated: {key} of {functions[0]}" in out
    assert all(rotated[fn]["default"] == keys[fn]["default"] for fn in FUNCTIONS)


def test_a_key_missing_on_one_function_is_copied_from_the_first(tmp_path: Path) -> None:
    keys = {fn: {"default": "d"} for fn in FUNCTIONS}
    keys["hr_events"]["hr"] = "existing-hr-value-that-must-stay-the-same"
    code, out, after, calls = _run(tmp_path, keys=keys)
    assert code == 0, out
    assert after["hr_events"]["hr"] == after["hr_events_handshake"]["hr"] == keys["hr_events"]["hr"]
    assert ("hr_events", "hr") not in _sets(calls)
    assert keys["hr_events"]["hr"] not in out


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    code, out, keys, calls = _run(tmp_path, "--dry-run")
    assert code == 0, out
    assert _sets(calls) == []
    assert all(set(k) == {"default"} for k in keys.values())
    assert "would have created: hr of hr_events" in out


def test_stops_with_a_hint_when_the_code_is_not_deployed(tmp_path: Path) -> None:
    code, out, _, calls = _run(tmp_path, keys={})
    assert code != 0
    assert "azd deploy" in out
    assert _sets(calls) == []


@pytest.mark.parametrize("missing", ["AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME"])
def test_refuses_to_run_without_an_app(tmp_path: Path, missing: str) -> None:
    code, out, _, calls = _run(
        tmp_path, "--app" if missing == "AZURE_FUNCTION_APP_NAME" else "-g", ""
    )
    assert code != 0
    assert "no resource group or app" in out
    assert calls == []
