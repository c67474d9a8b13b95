"""Indexing: what the host reads from an app's bindings, what it refuses, the real app's settings.

The listings run `python -m local.host --list` in a subprocess: `get_functions()` may be called
only once per app object, and other tests may index the same app in this process. The refusal
cases build a fresh FunctionApp each, so they index in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from local.host.indexing import check_supported, index_app
from local.host.keys import HOST_KEYS_SETTING, function_keys_setting
from local.host.settings import HostConfigError, setting_references
from local.host.timers import next_occurrence
from local.procs import REPO_ROOT
from local.stack import stack_environment
from tests.platform.conftest import APP

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
def app_functions() -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in listing(APP)}


@pytest.fixture(scope="module")
def real_functions() -> list[dict[str, Any]]:
    assert (REPO_ROOT / "function_app.py").is_file(), "function_app.py is the app's entry point"
    return listing("function_app:app")


def binding(function: dict[str, Any], name: str) -> dict[str, Any]:
    return next(b for b in function["bindings"] if b["name"] == name)


def test_an_app_is_indexed_from_its_bindings(app_functions: dict[str, dict[str, Any]]) -> None:
    assert sorted(app_functions) == ["boom", "hello", "item", "plain", "secret", "tick", "work"]
    hello = binding(app_functions["hello"], "req")
    # The app-level auth level reaches routes that set none, as in get_functions().
    assert (hello["route"], hello["methods"], hello["authLevel"]) == (
        "hello/{name}",
        ["GET", "POST"],
        "FUNCTION",
    )
    assert binding(app_functions["secret"], "req")["authLevel"] == "ADMIN"

    work = app_functions["work"]
    assert (work["trigger"], work["is_async"]) == ("queueTrigger", True)
    assert binding(work, "msg")["queueName"] == "%WORK_QUEUE%"
    assert (work["settings"], work["connections"]) == (["WORK_QUEUE"], ["AzureWebJobsStorage"])

    tick = app_functions["tick"]
    assert (tick["trigger"], tick["is_async"]) == ("timerTrigger", False)
    assert binding(tick, "timer")["schedule"] == "%TICK_SCHEDULE%"
    assert tick["settings"] == ["TICK_SCHEDULE"]


def _declared(values: dict[str, str], name: str) -> bool:
    return name in values or any(key.startswith(f"{name}__") for key in values)


def test_real_app_bindings_name_only_declared_settings(
    real_functions: list[dict[str, Any]],
) -> None:
    """A `%SETTING%` or connection typo in a decorator fails here, not in Azure."""
    values: dict[str, str] = json.loads(EXAMPLE_SETTINGS.read_text(encoding="utf-8"))["Values"]
    functions = real_functions
    if not functions:
        pytest.skip("function_app registers no functions yet (the minimal app covers indexing)")

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


def test_the_local_stack_gives_every_http_function_of_the_real_app_its_own_key(
    real_functions: list[dict[str, Any]],
) -> None:
    """A renamed function would otherwise lose its key in `make up` without anyone noticing."""
    http = {f["name"] for f in real_functions if f["trigger"] == "httpTrigger"}
    env = stack_environment("UseDevelopmentStorage=true")
    named = {name for name in env if name.startswith(HOST_KEYS_SETTING + "_")}

    assert named == {function_keys_setting(name) for name in http}
    assert all(env[name] and env[name] != env[HOST_KEYS_SETTING] for name in named)
    # The HR sender's key opens the HR routes only: no other function shares it.
    hr = {env[function_keys_setting(name)] for name in ("hr_events", "hr_events_handshake")}
    others = {
        env[function_keys_setting(name)] for name in http - {"hr_events", "hr_events_handshake"}
    }
    assert len(hr) == 1
    assert not hr & others


STORAGE = "AzureWebJobsStorage"
REFUSALS: list[Any] = []


def refused(expected: str) -> Callable[[Callable[[func.FunctionApp], None]], object]:
    """Registers an app declaration the host must refuse with `expected` in its message."""

    def register(declare: Callable[[func.FunctionApp], None]) -> object:
        REFUSALS.append(pytest.param(declare, expected, id=declare.__name__))
        return declare

    return register


@refused("function copy: out binding queue (out) is not emulated")
def queue_output(app: func.FunctionApp) -> None:
    @app.queue_trigger(arg_name="msg", queue_name="q", connection=STORAGE)
    @app.queue_output(arg_name="out", queue_name="o", connection=STORAGE)
    def copy(msg: func.QueueMessage, out: func.Out[str]) -> None: ...


@refused("function on_blob: trigger blobTrigger is not emulated")
def blob_trigger(app: func.FunctionApp) -> None:
    @app.blob_trigger(arg_name="blob", path="c/{name}", connection=STORAGE)
    def on_blob(blob: func.InputStream) -> None: ...


@refused("function item: route 'items/{id:int}': segment '{id:int}' is not emulated")
def route_constraint(app: func.FunctionApp) -> None:
    @app.route(route="items/{id:int}", methods=["GET"])
    def item(req: func.HttpRequest) -> func.HttpResponse: ...


@refused("function files: route 'files/{*path}': segment '{*path}' is not emulated")
def catch_all_route(app: func.FunctionApp) -> None:
    @app.route(route="files/{*path}", methods=["GET"])
    def files(req: func.HttpRequest) -> func.HttpResponse: ...


@refused("function open_door: authLevel ANONYMOUS is not emulated")
def anonymous_route(app: func.FunctionApp) -> None:
    @app.route(route="open", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    def open_door(req: func.HttpRequest) -> func.HttpResponse: ...


@refused("function plain: return type str is not emulated")
def str_return(app: func.FunctionApp) -> None:
    @app.route(route="plain", methods=["GET"])
    def plain(req: func.HttpRequest) -> str: ...


@refused("function text: parameter 'msg' of type str is not emulated")
def str_parameter(app: func.FunctionApp) -> None:
    @app.queue_trigger(arg_name="msg", queue_name="q", connection=STORAGE)
    def text(msg: str) -> None: ...


@refused("function raw: parameter 'msg' of type bytes is not emulated")
def bytes_parameter(app: func.FunctionApp) -> None:
    @app.queue_trigger(arg_name="msg", queue_name="q", connection=STORAGE)
    def raw(msg: bytes) -> None: ...


@refused("function with_context: parameter 'context' is not emulated")
def context_parameter(app: func.FunctionApp) -> None:
    @app.queue_trigger(arg_name="msg", queue_name="q", connection=STORAGE)
    def with_context(msg: func.QueueMessage, context: func.Context) -> None: ...


@refused("function warmup: runOnStartup is not emulated")
def run_on_startup(app: func.FunctionApp) -> None:
    @app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
    def warmup(timer: func.TimerRequest) -> None: ...


@pytest.mark.parametrize(("declare", "expected"), REFUSALS)
def test_indexing_refuses_what_the_host_does_not_emulate(
    declare: Callable[[func.FunctionApp], None], expected: str
) -> None:
    app = func.FunctionApp()
    declare(app)
    [spec] = index_app(app)
    with pytest.raises(HostConfigError) as refusal:
        check_supported(spec)
    assert expected in str(refusal.value)


def test_the_host_does_not_start_an_app_it_refuses(tmp_path: Path) -> None:
    module = tmp_path / "output_app.py"
    module.write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n"
        "@app.queue_trigger(arg_name='msg', queue_name='q', connection='AzureWebJobsStorage')\n"
        "@app.queue_output(arg_name='out', queue_name='o', connection='AzureWebJobsStorage')\n"
        "def copy(msg, out):\n"
        "    pass\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "local.host", "--app", "output_app:app", "--list"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "function copy: out binding queue (out) is not emulated" in result.stderr
