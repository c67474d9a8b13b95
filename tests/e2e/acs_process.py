"""An ACS Email emulator process a test owns: its own flags, stopped and started on one port.

The session fixture (`tests/fixtures/acs.py`) runs one emulator with the default flags for all
tests; a test that needs other flags (Entra tokens, another repeated-Operation-Id mode) or a
restart of the emulator starts one of these instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from local.acs_email_emulator import WELL_KNOWN_ACCESS_KEY, ControlClient
from local.procs import ManagedProcess, free_port, python_module, wait_for_http
from tests.fixtures.acs import AcsEmulator


@dataclass
class AcsProcess:
    root: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    _process: ManagedProcess | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AcsEmulator:
        """Start (again, on the same port, outbox and state) and wait until it answers."""
        outbox, log_path = self.root / "outbox", self.root / "emulator.log"
        command = ("--port", str(self.port), "--outbox", str(outbox), "--log-file", str(log_path))
        process = ManagedProcess(
            "acs-email-emulator", python_module("local.acs_email_emulator", *command, *self.args)
        ).start()
        self._process = process
        try:
            wait_for_http(f"{self.endpoint}/_emulator/health", timeout=30)
        except TimeoutError as exc:
            self.stop()
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            raise RuntimeError(f"ACS Email emulator did not start:\n{log}") from exc
        return AcsEmulator(
            endpoint=self.endpoint,
            access_key=WELL_KNOWN_ACCESS_KEY,
            outbox_dir=outbox,
            control=ControlClient(self.endpoint),
            log_path=log_path,
        )

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def restart(self) -> AcsEmulator:
        self.stop()
        return self.start()
