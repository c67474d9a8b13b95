"""Helpers for the platform tests: storage queues on the session's Azurite, the sample app."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueMessage, TextBase64EncodePolicy

from tests.fixtures.azurite import Azurite, storage_name
from tests.fixtures.host import HostLauncher, RunningHost

SAMPLE_APP = "tests.platform.sample_app:app"
FAST_QUEUES = {
    "maxDequeueCount": 3,
    "visibilityTimeout": "00:00:00",
    "maxPollingInterval": "00:00:00.200",
}


def host_json(**queues: Any) -> dict[str, Any]:
    return {"version": "2.0", "extensions": {"queues": {**FAST_QUEUES, **queues}}}


class Queues:
    """Raw queue access: what is on the wire, not what a client policy makes of it."""

    def __init__(self, connection_string: str) -> None:
        self._connection_string = connection_string
        self._clients: list[QueueClient] = []

    def client(self, name: str, *, base64: bool = False) -> QueueClient:
        policy = TextBase64EncodePolicy() if base64 else None
        client = QueueClient.from_connection_string(
            self._connection_string, name, message_encode_policy=policy
        )
        self._clients.append(client)
        return client

    def send(self, name: str, text: str, *, base64: bool) -> QueueMessage:
        client = self.client(name, base64=base64)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        return client.send_message(text)

    def peek(self, name: str) -> list[str]:
        try:
            return [str(m.content) for m in self.client(name).peek_messages(max_messages=32)]
        except ResourceNotFoundError:
            return []

    def wait_for(self, name: str, count: int = 1, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.peek(name)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def queues(azurite: Azurite) -> Iterator[Queues]:
    helper = Queues(azurite.connection_string)
    yield helper
    helper.close()


def sample_settings(directory: Path) -> dict[str, str]:
    """Every setting the sample app references, with fresh queue names."""
    return {
        "SAMPLE_FLAKY_QUEUE": storage_name("flaky"),
        "SAMPLE_FLAKY_OUT": storage_name("flakyout"),
        "SAMPLE_ECHO_QUEUE": storage_name("echo"),
        "SAMPLE_ECHO_OUT": storage_name("echoout"),
        "SAMPLE_SLOW_QUEUE": storage_name("slow"),
        "SAMPLE_GATE_QUEUE": storage_name("gate"),
        "SAMPLE_WARMUP_OUT": storage_name("warmupout"),
        # Yearly by default: tests that want the timer to fire set their own schedule.
        "SAMPLE_TICK_SCHEDULE": "0 0 0 1 1 *",
        "SAMPLE_TICK_OUT": storage_name("tickout"),
        "SAMPLE_RECORD_FILE": str(directory / "attempts.txt"),
    }


@pytest.fixture
def sample_env(tmp_path: Path) -> dict[str, str]:
    return sample_settings(tmp_path)


@pytest.fixture(scope="module")
def sample_host(
    azurite: Azurite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningHost]:
    """One sample-app host shared by a module's tests that do not change its settings."""
    directory = tmp_path_factory.mktemp("sample-host")
    launcher = HostLauncher(azurite, directory)
    yield launcher.start(app=SAMPLE_APP, env=sample_settings(directory))
    launcher.stop_all()
