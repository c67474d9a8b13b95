"""The whole system on one machine: `python -m local.stack up`.

Starts Azurite, the Graph and ACS Email emulators (when their packages are present) and the
local Functions host, with the app settings that point the app at them; Ctrl-C stops all.
`stack_environment()` is the one place that wiring lives, so tests and the demo reuse it.

The settings the host would run with are validated first (a bad one stops `up` with its
message, not a 500 on the first request). While the stack runs, `.local/local.settings.json`
holds all of them with the live endpoints and the host's URL, for `tapstart --settings`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from local.procs import (
    REPO_ROOT,
    ManagedProcess,
    free_port,
    preferred_port,
    python_module,
    wait_for_http,
)
from shared.config import Settings, read_settings_file
from shared.domain.errors import ConfigurationError

AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's documented, public development key (not a secret).
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURITE_BIN = REPO_ROOT / "node_modules" / ".bin" / "azurite"
STATE_DIR = REPO_ROOT / ".local"
LOCAL_MASTER_KEY = "local-master-key"
# A host key: it opens every FUNCTION-level route, as a host key does in Azure.
LOCAL_FUNCTION_KEY = "local-function-key"
# Function keys, each opening only its own functions (the HR sender gets the HR key, and so on).
LOCAL_HR_KEY = "local-hr-key"
LOCAL_STATUS_KEY = "local-status-key"
LOCAL_REPORTS_KEY = "local-reports-key"
LOCAL_DOCTOR_KEY = "local-doctor-key"
LOCAL_CAMPAIGN_KEY = "local-campaign-key"
FUNCTION_KEYS = {
    LOCAL_HR_KEY: ("hr_events", "hr_events_handshake"),
    LOCAL_STATUS_KEY: ("onboarding_status",),
    LOCAL_REPORTS_KEY: ("report_run", "report_latest"),
    LOCAL_DOCTOR_KEY: ("doctor",),
    LOCAL_CAMPAIGN_KEY: ("campaign",),
}
# The request body limit set in Azure (infra/), so the local host refuses what Azure refuses.
REQUEST_BODY_LIMIT = 1024 * 1024
# The demo tenant when it exists, else the tests' tenant.
SEEDS = (
    REPO_ROOT / "local" / "seeds" / "demo_tenant.json",
    REPO_ROOT / "local" / "seeds" / "test_tenant.json",
)


@dataclass(frozen=True)
class AzuritePorts:
    blob: int
    queue: int
    table: int

    @property
    def connection_string(self) -> str:
        return azurite_connection_string(self)


def azurite_connection_string(ports: AzuritePorts, host: str = "127.0.0.1") -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://{host}:{ports.blob}/{AZURITE_ACCOUNT};"
        f"QueueEndpoint=http://{host}:{ports.queue}/{AZURITE_ACCOUNT};"
        f"TableEndpoint=http://{host}:{ports.table}/{AZURITE_ACCOUNT};"
    )


def ports_from_connection_string(connection_string: str) -> AzuritePorts:
    parts = dict(p.split("=", 1) for p in connection_string.split(";") if "=" in p)

    def port(key: str, default: int) -> int:
        endpoint = parts.get(key)
        if not endpoint:
            return default
        return int(endpoint.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])

    return AzuritePorts(
        blob=port("BlobEndpoint", 10000),
        queue=port("QueueEndpoint", 10001),
        table=port("TableEndpoint", 10002),
    )


# Kept as a name for the callers: ManagedProcess now closes its log handle itself.
LoggedProcess = ManagedProcess


def azurite_process(ports: AzuritePorts, log_path: Path | None = None) -> ManagedProcess:
    if not AZURITE_BIN.exists():
        raise FileNotFoundError(f"{AZURITE_BIN} is missing: run `make node_modules` (npm ci)")
    args = [
        str(AZURITE_BIN),
        "--inMemoryPersistence",
        "--silent",
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--loose",
        *("--blobHost", "127.0.0.1", "--blobPort", str(ports.blob)),
        *("--queueHost", "127.0.0.1", "--queuePort", str(ports.queue)),
        *("--tableHost", "127.0.0.1", "--tablePort", str(ports.table)),
    ]
    return LoggedProcess("azurite", args, log_path=log_path)


def wait_for_azurite(ports: AzuritePorts, process: ManagedProcess, timeout: float = 60.0) -> None:
    """Azurite answers once all three services listen; a dead process fails fast."""
    deadline = time.monotonic() + timeout
    pending = [ports.blob, ports.queue, ports.table]
    while pending:
        if not process.alive():
            raise RuntimeError(f"Azurite exited early; see {process.log_path}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"Azurite did not listen on {pending} within {timeout:.0f} s")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", pending[0]), 1):
            pending.pop(0)
            continue
        time.sleep(0.1)


@dataclass(frozen=True)
class GraphEndpoint:
    port: int
    tls_port: int
    ca_file: Path
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""

    @classmethod
    def from_seed(cls, port: int, tls_port: int, ca_file: Path, seed: Path) -> GraphEndpoint:
        """The app registration the app signs in as is the seed's first app."""
        document = json.loads(seed.read_text(encoding="utf-8"))
        app = document["apps"][0]
        return cls(
            port, tls_port, ca_file, document["tenant"]["id"], app["clientId"], app["clientSecret"]
        )


@dataclass(frozen=True)
class AcsEndpoint:
    port: int
    access_key: str


def stack_environment(
    azurite_connection: str,
    graph: GraphEndpoint | None = None,
    acs: AcsEndpoint | None = None,
    master_key: str = LOCAL_MASTER_KEY,
    function_keys: tuple[str, ...] = (LOCAL_FUNCTION_KEY,),
) -> dict[str, str]:
    """App settings that point the app (and the local host) at the local services."""
    env = {
        "AzureWebJobsStorage": azurite_connection,
        "TAPSTART_MASTER_KEY": master_key,
        "TAPSTART_FUNCTION_KEYS": ",".join(function_keys),
        "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": str(REQUEST_BODY_LIMIT),
    }
    for key, functions in FUNCTION_KEYS.items():
        for function in functions:  # the local host's setting for a function's own keys
            env[f"TAPSTART_FUNCTION_KEYS_{function.upper()}"] = key
    if graph is not None:
        env["GRAPH_BASE_URL"] = f"http://127.0.0.1:{graph.port}/v1.0"
        # The token endpoint is served over TLS (azure-identity refuses a plain-http authority).
        env["GRAPH_AUTHORITY_HOST"] = f"https://127.0.0.1:{graph.tls_port}"
        env["GRAPH_CA_BUNDLE"] = str(graph.ca_file)
        if graph.client_id:
            env["GRAPH_TENANT_ID"] = graph.tenant_id
            env["GRAPH_CLIENT_ID"] = graph.client_id
            env["GRAPH_CLIENT_SECRET"] = graph.client_secret
    if acs is not None:
        env["ACS_ENDPOINT"] = f"http://127.0.0.1:{acs.port}"
        env["ACS_ACCESS_KEY"] = acs.access_key
    return env


def _module_exists(name: str) -> bool:
    return importlib.util.find_spec(f"{name}.__main__") is not None


def app_settings_file() -> Path:
    """local.settings.json if the developer has one; a fresh clone runs on the example's values."""
    own = REPO_ROOT / "local.settings.json"
    return own if own.exists() else REPO_ROOT / "local.settings.example.json"


# What `make up` writes for the CLI: the host's settings with the live endpoints and full keys.
CLI_SETTINGS = STATE_DIR / "local.settings.json"
# The running host's base URL in that file (`tapstart hr send` posts to it).
HOST_URL_SETTING = "TAPSTART_HOST_URL"


def host_settings(env: Mapping[str, str], settings_file: Path) -> dict[str, str]:
    """The app settings the local host runs with: the settings file's Values under *env*."""
    return {**read_settings_file(settings_file), **env}


def check_settings(env: Mapping[str, str], settings_file: Path) -> None:
    """Validate the settings the host would run with, as the app does on its first request.

    Raises:
        ConfigurationError: naming every missing or malformed setting.
    """
    Settings.from_env({**os.environ, **env}, settings_file=settings_file)


def write_cli_settings(path: Path, values: Mapping[str, str], host_url: str) -> Path:
    """A local.settings.json-shaped file `tapstart --settings` reads: the host's settings and
    the host's URL. Local keys only (the emulators' and the local host's), written in full."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"IsEncrypted": False, "Values": {**values, HOST_URL_SETTING: host_url}}
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)  # whole or not at all, for a reader waiting for it
    return path


class Stack:
    """The processes of `up`, started in dependency order and stopped in reverse."""

    def __init__(self, state_dir: Path = STATE_DIR) -> None:
        self.state_dir = state_dir
        self.processes: list[ManagedProcess] = []
        self.summary: list[str] = []
        self.host_url = ""
        self.settings_file = app_settings_file()
        self._ports: set[int] = set()

    def _start(self, process: ManagedProcess) -> ManagedProcess:
        self.processes.append(process.start())
        return process

    def _port(self, wanted: int) -> int:
        """The well-known port if free, else a free one no other service of this stack has."""
        port = preferred_port(wanted)
        while port in self._ports:
            port = free_port()
        self._ports.add(port)
        return port

    def up(
        self,
        host_port: int = 7071,
        extra_env: dict[str, str] | None = None,
        host_log: Path | None = None,
    ) -> dict[str, str]:
        """Start everything; `extra_env` overrides app settings, `host_log` quiets the host.

        The settings are checked before anything starts: a ConfigurationError names them.
        """
        ports = AzuritePorts(self._port(10000), self._port(10001), self._port(10002))
        graph_plan = self._plan_graph()
        acs = self._plan_acs()
        port = self._port(host_port)
        graph = graph_plan[0] if graph_plan else None
        env = {**stack_environment(ports.connection_string, graph, acs), **(extra_env or {})}
        check_settings(env, self.settings_file)

        self.state_dir.mkdir(parents=True, exist_ok=True)
        logs = self.state_dir / "logs"
        logs.mkdir(exist_ok=True)
        azurite = self._start(azurite_process(ports, logs / "azurite.log"))
        wait_for_azurite(ports, azurite)
        self.summary.append(
            f"Azurite        blob :{ports.blob}  queue :{ports.queue}  table :{ports.table}"
        )
        if graph_plan:
            self._start_graph(*graph_plan, logs)
        if acs:
            self._start_acs(acs, logs)
        host_args = ["--port", str(port), "--settings", str(self.settings_file)]
        host = ManagedProcess(
            "host", python_module("local.host", *host_args), env=env, log_path=host_log
        )
        if host_log is None:
            # The host logs to this terminal: one line per invocation is the point of `up`.
            self.processes.append(_inherit_output(host))
        else:
            self._start(host)
        wait_ready(host, f"http://127.0.0.1:{port}/admin/host/status")
        self.host_url = f"http://127.0.0.1:{port}"
        self.summary.append(f"Functions host http://127.0.0.1:{port}/api/...")
        self.summary.append(
            f"  admin API (the master key {env['TAPSTART_MASTER_KEY']} only): "
            f"POST http://127.0.0.1:{port}/admin/functions/<name> "
            f'-H "x-functions-key: {env["TAPSTART_MASTER_KEY"]}" -d \'{{"input": ""}}\''
        )
        self.summary.append(f"  host key (every FUNCTION route): {LOCAL_FUNCTION_KEY}")
        for key, functions in FUNCTION_KEYS.items():
            self.summary.append(f"  function key {key}: {', '.join(functions)} only")
        return env

    def _plan_graph(self) -> tuple[GraphEndpoint, Path] | None:
        if not _module_exists("local.graph_emulator"):
            self.summary.append("Graph emulator (not present yet)")
            return None
        seed = next((p for p in SEEDS if p.exists()), None)
        if seed is None:
            self.summary.append(f"Graph emulator (no seed: {SEEDS[0]} missing)")
            return None
        endpoint = GraphEndpoint.from_seed(
            self._port(7101), self._port(7102), self.state_dir / "graph-ca.pem", seed
        )
        return endpoint, seed

    def _start_graph(self, endpoint: GraphEndpoint, seed: Path, logs: Path) -> None:
        args = ["--port", str(endpoint.port), "--tls-port", str(endpoint.tls_port)]
        args += ["--ca-file", str(endpoint.ca_file), "--seed", str(seed)]
        process = self._start(
            LoggedProcess(
                "graph",
                python_module("local.graph_emulator", *args),
                log_path=logs / "graph.log",
            )
        )
        wait_ready(process, f"http://127.0.0.1:{endpoint.port}/_emulator/health")
        self.summary.append(
            f"Graph emulator http://127.0.0.1:{endpoint.port}/v1.0  "
            f"token https://127.0.0.1:{endpoint.tls_port}  seed {seed.relative_to(REPO_ROOT)}"
        )

    def _plan_acs(self) -> AcsEndpoint | None:
        if not _module_exists("local.acs_email_emulator"):
            self.summary.append("ACS Email emulator (not present yet)")
            return None
        from local.acs_email_emulator.config import WELL_KNOWN_ACCESS_KEY

        return AcsEndpoint(self._port(7103), WELL_KNOWN_ACCESS_KEY)

    def _start_acs(self, endpoint: AcsEndpoint, logs: Path) -> None:
        outbox = self.state_dir / "outbox"
        args = ["--port", str(endpoint.port), "--outbox", str(outbox)]
        args += ["--access-key", endpoint.access_key]
        process = self._start(
            LoggedProcess(
                "acs",
                python_module("local.acs_email_emulator", *args),
                log_path=logs / "acs.log",
            )
        )
        wait_ready(process, f"http://127.0.0.1:{endpoint.port}/_emulator/health")
        self.summary.append(
            f"ACS emulator   http://127.0.0.1:{endpoint.port}  "
            f"outbox http://127.0.0.1:{endpoint.port}/  (files: {outbox})"
        )

    def down(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()


def wait_ready(process: ManagedProcess, url: str, timeout: float = 60.0) -> None:
    """Wait for a health URL, failing at once if the process has exited."""
    deadline = time.monotonic() + timeout
    while True:
        if not process.alive():
            where = f"; see {process.log_path}" if process.log_path else ""
            raise RuntimeError(f"{process.name} exited during start{where}")
        try:
            wait_for_http(url, timeout=0.5)
            return
        except TimeoutError:
            if time.monotonic() > deadline:
                raise


def _inherit_output(process: ManagedProcess) -> ManagedProcess:
    """Start a process whose output goes to this terminal rather than a log file."""
    process.proc = subprocess.Popen(
        list(process.args),
        cwd=REPO_ROOT,
        env={**os.environ, **process.env},
        start_new_session=True,
    )
    return process


@contextlib.contextmanager
def running_stack(
    host_port: int = 7071, state_dir: Path = STATE_DIR
) -> Iterator[tuple[Stack, dict[str, str]]]:
    stack = Stack(state_dir)
    try:
        env = stack.up(host_port)
        yield stack, env
    finally:
        stack.down()


def _shown(path: Path) -> str:
    """*path* as a person in the current directory types it (`make up` runs in the clone)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def tapstart_command() -> str:
    """The CLI beside this interpreter (`.venv/bin/tapstart` under make)."""
    return _shown(Path(sys.executable).parent / "tapstart")


def up(host_port: int, state_dir: Path = STATE_DIR) -> int:
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    cli_settings = state_dir / CLI_SETTINGS.name
    try:
        with running_stack(host_port, state_dir) as (stack, env):
            write_cli_settings(
                cli_settings, host_settings(env, stack.settings_file), stack.host_url
            )
            print("\nTapstart local stack is up (Ctrl-C stops everything):")
            for line in stack.summary:
                print(f"  {line}")
            print("  app settings set by the stack (over " + _shown(stack.settings_file) + "):")
            for name in sorted(env):
                print(f"    {name}={env[name]}")
            shown, cli = _shown(cli_settings), tapstart_command()
            print(f"  all the host's settings, for the CLI: {shown}")
            print("  try it (from the clone, in another terminal):")
            print(f"    {cli} --settings {shown} hr send examples/hr-events/joiner.json")
            if cli_settings == CLI_SETTINGS:  # what `make event` reads
                print("      (the same: make event FILE=examples/hr-events/joiner.json)")
            print(f"    {cli} --settings {shown} status <trackingId from the answer>")
            print(f"  logs: {_shown(stack.state_dir / 'logs')}", flush=True)
            while not stopping and all(p.alive() for p in stack.processes):
                time.sleep(0.5)
            dead = [p.name for p in stack.processes if not p.alive()]
            if dead:
                print(f"stopped because {', '.join(dead)} exited", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    except ConfigurationError as exc:
        print(f"local stack not started: {exc}", file=sys.stderr)
        print(
            "  fix: correct the setting in local.settings.json (or the environment); "
            "the stack sets only the endpoints and keys",
            file=sys.stderr,
        )
        return 2
    except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
        print(f"local stack failed to start: {exc}", file=sys.stderr)
        return 1
    finally:
        cli_settings.unlink(missing_ok=True)  # only while the stack runs
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.stack")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start the local stack in the foreground")
    up_parser.add_argument("--port", type=int, default=7071, help="Functions host port")
    up_parser.add_argument(
        "--state-dir",
        type=Path,
        default=STATE_DIR,
        help="logs, outbox and the CLI's local.settings.json (default: .local)",
    )
    args = parser.parse_args(argv)
    return up(args.port, args.state_dir)


if __name__ == "__main__":
    sys.exit(main())
