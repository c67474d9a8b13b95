"""`make up` (local.stack): the well-known ports right after another run, the settings file it
writes for the CLI, and settings checked before anything starts."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local.acs_email_emulator.config import WELL_KNOWN_ACCESS_KEY
from local.procs import REPO_ROOT, port_is_free, preferred_port
from local.stack import (
    HOST_URL_SETTING,
    LOCAL_HR_KEY,
    AcsEndpoint,
    host_settings,
    stack_environment,
    write_cli_settings,
)
from shared.config import Settings, read_settings_file


def _time_wait_port() -> int:
    """A loopback port whose listener is closed and whose server side closed a connection
    first, so that connection is in TIME_WAIT on the port (as after `make demo`)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = int(listener.getsockname()[1])
    client = socket.create_connection(("127.0.0.1", port))
    server_side, _ = listener.accept()
    server_side.close()  # the active close: this end goes to TIME_WAIT
    client.recv(1)  # the FIN arrived
    client.close()
    listener.close()
    return port


def test_a_port_in_time_wait_counts_as_free() -> None:
    port = _time_wait_port()
    # The precondition: a bind without SO_REUSEADDR (the old check) is refused on this port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain:
        with pytest.raises(OSError) as refused:
            plain.bind(("127.0.0.1", port))
        assert refused.value.errno == errno.EADDRINUSE
    assert port_is_free(port)
    assert preferred_port(port) == port
    # ... and a server binding as aiohttp and Node do really can listen there.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(1)


def test_a_port_someone_listens_on_is_taken() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = int(server.getsockname()[1])
        assert not port_is_free(port)
        other = preferred_port(port)
        assert other != port
        assert port_is_free(other)


def test_up_refuses_bad_settings_before_starting_anything(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "MAIL_SENDER": "not-an-address", "TAP_MAX_PER_HOUR": "many"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "local.stack", "up", "--state-dir", str(state)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    # The ConfigurationError's own message, naming each bad setting, not a 500 later on.
    assert "local stack not started: Tapstart settings:" in done.stderr
    assert "MAIL_SENDER is malformed" in done.stderr
    assert "TAP_MAX_PER_HOUR is malformed" in done.stderr
    assert "Traceback" not in done.stderr
    assert not state.exists(), "nothing was started or written"
    assert time.monotonic() - started < 30


def test_the_cli_settings_file_is_what_the_host_runs_with(tmp_path: Path) -> None:
    env = stack_environment(
        "UseDevelopmentStorage=true", acs=AcsEndpoint(7103, WELL_KNOWN_ACCESS_KEY)
    )
    example = REPO_ROOT / "local.settings.example.json"
    path = write_cli_settings(
        tmp_path / "local.settings.json", host_settings(env, example), "http://127.0.0.1:7071"
    )
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["IsEncrypted"] is False
    values = read_settings_file(path)
    assert values[HOST_URL_SETTING] == "http://127.0.0.1:7071"
    # The emulator's key in full (the example file's is another), the stack's keys as well.
    assert values["ACS_ACCESS_KEY"] == WELL_KNOWN_ACCESS_KEY
    assert values["ACS_ACCESS_KEY"] != read_settings_file(example)["ACS_ACCESS_KEY"]
    assert values["TAPSTART_FUNCTION_KEYS_HR_EVENTS"] == LOCAL_HR_KEY
    assert values["HR_WEBHOOK_SECRETS"] == read_settings_file(example)["HR_WEBHOOK_SECRETS"]
    settings = Settings.from_env({}, settings_file=path)
    assert settings.acs_endpoint == "http://127.0.0.1:7103"
