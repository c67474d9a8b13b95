"""Indexing: what the host reads from an app's bindings, and the real app's settings names.

The listings run `python -m local.host --list` in a subprocess: `get_functions()` may be called
only once per app object, and other tests may index the same app in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local.host.settings import setting_references
from local.host.timers import next_occurrence
from local.procs import REPO_ROOT
from tests.platform.conftest import SAMPLE_APP

EXAMPLE_SETTINGS = REPO_ROOT / "local.settings.example.json"
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def listing(app: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "local.host", "--app", app, "--list"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"indexing {app} failed:\n{result.stderr}"
    functions: list[dict[str, Any]] = json.loads(result.stdout)
    return functions


@pytest.fixture(scope="module")
def sample_functions() -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in listing(SAMPLE_APP)}


@pytest.fixture(scope="module")
def real_functions() -> list[dict[str, Any]]:
    assert (REPO_ROOT / "function_app.py").is_file(), "function_app.py is the app's entry point"
    return listing("function_app:app")


def binding(function: dict[str, Any], name: str) -> dict[str, Any]:
    return next(b for b in function["bindings"] if b["name"] == name)


def test_sample_app_is_indexed_from_its_bindings(
    sample_functions: dict[str, dict[str, Any]],
) -> None:
    assert sorted(sample_functions) == [
        "boom",
        "echo",
        "files",
        "flaky",
        "gate",
        "hello",
        "items",
        "secret",
        "slow",
        "tick",
        "warmup",
    ]
    hello = binding(sample_functions["hello"], "req")
    # The app-level auth level reaches routes that set none, as in get_functions().
    assert (hello["route"], hello["methods"], hello["authLevel"]) == (
        "hello/{name}",
        ["GET"],
        "FUNCTION",
    )
    assert binding(sample_functions["items"], "req")["authLevel"] == "ANONYMOUS"
    assert binding(sample_functions["secret"], "req")["authLevel"] == "ADMIN"

    echo = sample_functions["echo"]
    assert echo["trigger"] == "queueTrigger"
    assert echo["is_async"] is True
    assert binding(echo, "msg")["queueName"] == "%SAMPLE_ECHO_QUEUE%"
    assert binding(echo, "out") == {
        "direction": "OUT",
        "type": "queue",
        "name": "out",
        "queueName": "%SAMPLE_ECHO_OUT%",
        "connection": "AzureWebJobsStorage",
    }
    assert echo["settings"] == ["SAMPLE_ECHO_OUT", "SAMPLE_ECHO_QUEUE"]
    assert echo["connections"] == ["AzureWebJobsStorage"]

    tick = sample_functions["tick"]
    assert tick["trigger"] == "timerTrigger"
    assert binding(tick, "timer")["schedule"] == "%SAMPLE_TICK_SCHEDULE%"
    assert binding(tick, "timer")["runOnStartup"] is False
    assert tick["settings"] == ["SAMPLE_TICK_OUT", "SAMPLE_TICK_SCHEDULE"]


def _declared(values: dict[str, str], name: str) -> bool:
    return name in values or any(key.startswith(f"{name}__") for key in values)


def test_real_app_bindings_name_only_declared_settings(
    real_functions: list[dict[str, Any]],
) -> None:
    """A `%SETTING%` or connection typo in a decorator fails here, not in Azure."""
    values: dict[str, str] = json.loads(EXAMPLE_SETTINGS.read_text(encoding="utf-8"))["Values"]
    functions = real_functions
    if not functions:
        pytest.skip("function_app registers no functions yet (the sample app test covers indexing)")

    problems = []
    for function in functions:
        problems += [
            f"{function['name']}: %{name}% is not in local.settings.example.json"
            for name in function["settings"]
            if name not in values
        ]
        problems += [
            f"{function['name']}: connection {name} is not in local.settings.example.json"
            for name in function["connections"]
            if not _declared(values, name)
        ]
    assert problems == []


def test_real_app_timer_schedules_are_valid_ncrontab(
    real_functions: list[dict[str, Any]],
) -> None:
    values: dict[str, str] = json.loads(EXAMPLE_SETTINGS.read_text(encoding="utf-8"))["Values"]
    timers = [f for f in real_functions if f["trigger"] == "timerTrigger"]
    if not timers:
        pytest.skip("function_app has no timer function yet")
    for function in timers:
        schedule = next(b for b in function["bindings"] if b["type"] == "timerTrigger")["schedule"]
        for name in setting_references(schedule):
            schedule = schedule.replace(f"%{name}%", values[name])
        assert next_occurrence(schedule, NOON) > NOON, function["name"]


def test_an_unsupported_binding_is_refused_at_index_time(tmp_path: Path) -> None:
    module = tmp_path / "blob_app.py"
    module.write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n"
        "@app.queue_trigger(arg_name='msg', queue_name='q', connection='AzureWebJobsStorage')\n"
        "@app.blob_output(arg_name='out', path='c/b', connection='AzureWebJobsStorage')\n"
        "def copy(msg, out):\n"
        "    pass\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "local.host", "--app", "blob_app:app", "--list"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "function copy: out binding blob (out) is not emulated" in result.stderr
