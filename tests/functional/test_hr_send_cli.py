"""`tapstart hr send` against a running local host, with the settings file `make up` writes.

The console script beside this interpreter is run as a person runs it (`.venv/bin/tapstart`),
so the lines it prints are the lines a person copies.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.procs import REPO_ROOT
from local.stack import LOCAL_STATUS_KEY, write_cli_settings
from tests.e2e.stack import Tapstart, launch
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher

pytestmark = pytest.mark.azurite

TAPSTART = Path(sys.executable).parent / "tapstart"
JOINER = "examples/hr-events/joiner.json"


@pytest.fixture(scope="module")
def stack(
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Tapstart]:
    launcher = HostLauncher(azurite, tmp_path_factory.mktemp("hosts"))
    try:
        yield launch(launcher, azurite, graph_emulator, acs_emulator)
    finally:
        launcher.stop_all()


@pytest.fixture(scope="module")
def settings_file(stack: Tapstart, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make up` writes: the host's settings and its URL."""
    path = tmp_path_factory.mktemp("cli") / "local.settings.json"
    return write_cli_settings(path, stack.settings, stack.host.base_url)


def tapstart(*args: str) -> subprocess.CompletedProcess[str]:
    assert TAPSTART.exists(), f"{TAPSTART} missing: `make venv` installs the console script"
    # Only the settings file configures the CLI here (the environment would win over it).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAPSTART_", "HR_"))}
    return subprocess.run(
        [str(TAPSTART), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_example_joiner_is_accepted_and_its_status_is_readable(
    stack: Tapstart, settings_file: Path
) -> None:
    done = tapstart("--settings", str(settings_file), "hr", "send", JOINER)
    assert done.returncode == 0, done.stderr
    assert "HTTP 202 Accepted" in done.stderr
    answer = json.loads(done.stdout)
    [tracking_id] = answer["trackingIds"]
    assert answer["statusUrls"] == [f"/api/onboarding/{tracking_id}"]

    # The service desk reads it with its own key ...
    status = stack.host.request("GET", f"/api/onboarding/{tracking_id}", key=LOCAL_STATUS_KEY)
    assert status.status == 200, status.text
    assert status.json()["trackingId"] == tracking_id

    # ... and the line the command prints to follow it works as printed.
    [follow] = [line for line in done.stderr.splitlines() if "follow it:" in line]
    command = shlex.split(follow.split("follow it:", 1)[1].split("(or GET", 1)[0])
    assert command[0] == str(TAPSTART)
    shown = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert tracking_id in shown.stdout and "E1108" in shown.stdout


def test_a_bad_file_is_named_and_nothing_is_sent(tmp_path: Path, settings_file: Path) -> None:
    event = json.loads((REPO_ROOT / JOINER).read_text(encoding="utf-8"))
    event["timezone"] = event.pop("timeZone")  # the misspelling the schema exists to catch
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(event), encoding="utf-8")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        done = tapstart("--settings", str(settings_file), "hr", "send", str(bad), "--url", url)
        with pytest.raises(BlockingIOError):
            listener.accept()  # no connection was ever made
    assert done.returncode == 2
    assert "/timezone is not a property of the joiner event" in done.stderr
    assert "nothing was sent" in done.stderr
    assert done.stdout == ""


def test_not_json_is_named(tmp_path: Path, settings_file: Path) -> None:
    bad = tmp_path / "half.json"
    bad.write_text('{"eventId": "x",', encoding="utf-8")
    done = tapstart("--settings", str(settings_file), "hr", "send", str(bad))
    assert done.returncode == 2
    assert f"{bad} is not an HR event Tapstart accepts" in done.stderr
    assert "HTTP" not in done.stderr


def test_a_refusal_by_the_endpoint_is_non_zero_with_its_problem_detail(
    stack: Tapstart, settings_file: Path, tmp_path: Path
) -> None:
    event = json.loads((REPO_ROOT / JOINER).read_text(encoding="utf-8"))
    del event["employeeId"]
    bad = tmp_path / "no-employee.json"
    bad.write_text(json.dumps(event), encoding="utf-8")
    done = tapstart("--settings", str(settings_file), "hr", "send", str(bad), "--no-check")
    assert done.returncode == 1
    assert "HTTP 400 Bad Request" in done.stderr
    assert "error: HTTP 400: /employeeId is required" in done.stderr
    assert json.loads(done.stdout)["errors"][0]["field"] == "/employeeId"


def test_a_wrong_key_is_a_401(stack: Tapstart, settings_file: Path) -> None:
    done = tapstart("--settings", str(settings_file), "hr", "send", JOINER, "--key", "wrong")
    assert done.returncode == 1
    assert "HTTP 401 Unauthorized" in done.stderr
    assert "pass a key of the hr_events function" in done.stderr


def test_without_a_secret_nothing_is_sent(tmp_path: Path) -> None:
    done = tapstart("hr", "send", JOINER, "--url", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert "HR_WEBHOOK_SECRETS is missing" in done.stderr
    assert "--settings .local/local.settings.json" in done.stderr


def test_the_example_withdrawal_cancels_the_example_joiner(settings_file: Path) -> None:
    hired = tapstart("--settings", str(settings_file), "hr", "send", JOINER)
    assert hired.returncode == 0, hired.stderr
    [tracking_id] = json.loads(hired.stdout)["trackingIds"]
    withdrawn = tapstart(
        "--settings", str(settings_file), "hr", "send", "examples/hr-events/withdrawal.json"
    )
    assert withdrawn.returncode == 0, withdrawn.stderr
    answer = json.loads(withdrawn.stdout)
    # A cancel answers with the onboarding it acts on.
    assert answer["trackingIds"] == [tracking_id]
    assert answer["status"][0] in {"cancelling", "cancelled"}
