"""The local stack for benchmarks, outside pytest: Azurite, the Graph and ACS Email emulators,
and hosts launched exactly as the end-to-end tests launch them (tests/e2e/stack.py)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from local.acs_email_emulator import WELL_KNOWN_ACCESS_KEY, ControlClient
from local.procs import ManagedProcess, free_port, python_module, wait_for_http
from local.stack import AzuritePorts, azurite_process, wait_for_azurite
from tests.e2e.stack import Tapstart, app_settings, host_json
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph, start_graph_emulator
from tests.fixtures.host import HostLauncher

# Business-safety limits of the example settings (30 mails a minute, 50 TAPs an hour) would
# make a throughput benchmark measure them; they are raised for the run and said so.
UNLIMITED = {
    "EMAIL_RATE_PER_MINUTE": "10000",
    "EMAIL_RATE_PER_HOUR": "100000",
    "TAP_MAX_PER_HOUR": "100000",
}


@dataclass
class BenchStack:
    azurite: Azurite
    graph: EmulatedGraph
    acs: AcsEmulator
    launcher: HostLauncher
    workdir: Path

    def launch(self, app: str = "function_app:app", **overrides: str) -> Tapstart:
        settings = app_settings(self.azurite, self.graph, self.acs, **(UNLIMITED | overrides))
        host = self.launcher.start(app=app, env=settings, host_json=host_json())
        return Tapstart(host, self.graph, self.acs, settings)


@contextlib.contextmanager
def graph_only() -> Iterator[EmulatedGraph]:
    """The Graph emulator alone (the report benchmark needs nothing else)."""
    with tempfile.TemporaryDirectory(prefix="tapstart-bench-") as tmp:
        proc, graph = start_graph_emulator(Path(tmp))
        try:
            yield graph
        finally:
            proc.stop()


@contextlib.contextmanager
def bench_stack() -> Iterator[BenchStack]:
    with (
        contextlib.ExitStack() as stack,
        tempfile.TemporaryDirectory(prefix="tapstart-bench-") as tmp,
    ):
        workdir = Path(tmp)
        ports = AzuritePorts(free_port(), free_port(), free_port())
        azurite_proc = azurite_process(ports, workdir / "azurite.log").start()
        stack.callback(azurite_proc.stop)
        wait_for_azurite(ports, azurite_proc)
        azurite = Azurite(ports.connection_string, ports.blob, ports.queue, ports.table)

        graph_proc, graph = start_graph_emulator(workdir)
        stack.callback(graph_proc.stop)

        acs = _start_acs(workdir)
        stack.callback(acs[0].stop)

        launcher = HostLauncher(azurite, workdir)
        stack.callback(launcher.stop_all)
        yield BenchStack(azurite, graph, acs[1], launcher, workdir)


def _start_acs(workdir: Path) -> tuple[ManagedProcess, AcsEmulator]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = workdir / "acs.log"
    args = ("--port", str(port), "--outbox", str(workdir / "outbox"), "--log-file", str(log_path))
    process = ManagedProcess("acs-email-emulator", python_module("local.acs_email_emulator", *args))
    process.start()
    try:
        wait_for_http(f"{endpoint}/_emulator/health", timeout=30)
    except TimeoutError:
        process.stop()
        raise
    emulator = AcsEmulator(
        endpoint=endpoint,
        access_key=WELL_KNOWN_ACCESS_KEY,
        outbox_dir=workdir / "outbox",
        control=ControlClient(endpoint),
        log_path=log_path,
    )
    return process, emulator
