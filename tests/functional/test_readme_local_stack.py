"""Every command of the README's local stack section works against a running `make up` stack.

The stack is the real one (`python -m local.stack up`, demo tenant), in its own state
directory. Each shell line of the section runs as written, with two substitutions only: the
host's URL, if 7071 was taken, and the path of the settings file `make up` wrote. `make`
targets that are not long-running run for real (`make event`); the long ones are checked to
exist in tests/unit/test_readme_commands.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.procs import REPO_ROOT
from tests.unit.test_readme_commands import LONG_TARGETS, local_stack_commands, target_of

README_URL = "http://127.0.0.1:7071"
README_SETTINGS = ".local/local.settings.json"
# A make target never remakes the installed venv from a test.
VENV_STAMP = ".venv/.tapstart-installed"

pytestmark = pytest.mark.azurite


@dataclass
class UpStack:
    process: subprocess.Popen[bytes]
    settings_file: Path
    host_url: str
    values: dict[str, str]


@pytest.fixture(scope="module")
def up_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpStack]:
    state = tmp_path_factory.mktemp("up")
    log = (state.parent / "up.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "local.stack", "up", "--state-dir", str(state)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    settings_file = state / "local.settings.json"
    try:
        deadline = time.monotonic() + 60
        while not settings_file.exists():
            assert process.poll() is None, (state.parent / "up.log").read_text()
            assert time.monotonic() < deadline, "make up's settings file did not appear"
            time.sleep(0.2)
        values = json.loads(settings_file.read_text(encoding="utf-8"))["Values"]
        yield UpStack(process, settings_file, values["TAPSTART_HOST_URL"], values)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        log.close()


def runnable(command: str, stack: UpStack) -> list[str]:
    """The line as bash runs it, pointed at this stack."""
    line = command.replace(README_URL, stack.host_url)
    line = line.replace(README_SETTINGS, str(stack.settings_file))
    if line.startswith("make "):
        line = f"make -s -o {VENV_STAMP} LOCAL_SETTINGS={stack.settings_file} {line[5:]}"
    return ["bash", "-c", line]


def test_the_readme_commands_work_against_the_running_stack(up_stack: UpStack) -> None:
    commands = local_stack_commands()
    assert commands
    # The environment wins over a settings file: keep the test runner's out of the way.
    env = {k: v for k, v in os.environ.items() if k not in up_stack.values}
    ran = 0
    for command in commands:
        if command.startswith("make ") and target_of(command) in LONG_TARGETS:
            continue
        started = time.monotonic()
        done = subprocess.run(
            runnable(command, up_stack),
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (
            f"README command failed (exit {done.returncode}): {command}\n"
            f"stdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}"
        )
        assert time.monotonic() - started < 30, f"too slow: {command}"
        ran += 1
    assert ran >= 5


def test_the_settings_file_goes_when_the_stack_stops(up_stack: UpStack) -> None:
    os.killpg(up_stack.process.pid, signal.SIGTERM)
    assert up_stack.process.wait(30) == 0
    assert not up_stack.settings_file.exists()
