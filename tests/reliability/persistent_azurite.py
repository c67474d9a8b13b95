"""An Azurite that keeps its data on disk, so it can be stopped and restarted on the same ports.

The session Azurite runs in memory and other tests share it; the fault matrix needs one it may
take down ("storage briefly unavailable") without losing the queues and the ledger.
"""

from __future__ import annotations

import time
from pathlib import Path

from local.procs import ManagedProcess, free_port
from local.stack import AZURITE_BIN, AzuritePorts, LoggedProcess, wait_for_azurite
from tests.fixtures.azurite import Azurite


class PersistentAzurite:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ports = AzuritePorts(free_port(), free_port(), free_port())
        self.info = Azurite(
            self.ports.connection_string, self.ports.blob, self.ports.queue, self.ports.table
        )
        self._process: ManagedProcess | None = None
        self._starts = 0

    def start(self) -> PersistentAzurite:
        self._starts += 1
        args = [
            str(AZURITE_BIN),
            *("--location", str(self.workdir / "data")),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--loose",
            *("--blobHost", "127.0.0.1", "--blobPort", str(self.ports.blob)),
            *("--queueHost", "127.0.0.1", "--queuePort", str(self.ports.queue)),
            *("--tableHost", "127.0.0.1", "--tablePort", str(self.ports.table)),
        ]
        log = self.workdir / f"azurite-{self._starts}.log"
        self._process = LoggedProcess("azurite-persistent", args, log_path=log).start()
        wait_for_azurite(self.ports, self._process)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def outage(self, seconds: float) -> None:
        """Storage unreachable for `seconds`, then back on the same ports with its data."""
        self.stop()
        time.sleep(seconds)
        self.start()
