"""Helpers for the platform tests: storage queues on the session's Azurite, the minimal app."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueMessage, TextBase64EncodePolicy

from tests.fixtures.azurite import Azurite, storage_name
from tests.fixtures.host import HostLauncher, RunningHost

APP = "tests.platform.minimal_app:app"
# The shared host runs with the limit Tapstart sets in Azure, and with keys of its own for two
# FUNCTION-level functions besides the host keys every launched host has.
BODY_LIMIT = 1024 * 1024
HELLO_KEY = "hello-own-key"
ITEM_KEY = "item-own-key"
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
        return wait_until(lambda: self.peek(name), count, timeout)

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def queues(azurite: Azurite) -> Iterator[Queues]:
    helper = Queues(azurite.connection_string)
    yield helper
    helper.close()


def app_settings(directory: Path) -> dict[str, str]:
    """Every setting the minimal app references, with a fresh queue name."""
    return {
        "WORK_QUEUE": storage_name("work"),
        # Yearly by default: tests that want the timer to fire set their own schedule.
        "TICK_SCHEDULE": "0 0 0 1 1 *",
        "RECORD_FILE": str(directory / "records.jsonl"),
    }


def records(env: dict[str, str], event: str) -> list[dict[str, Any]]:
    """What the minimal app recorded so far, for one kind of event."""
    path = Path(env["RECORD_FILE"])
    # Whole lines only: the app may be half-way through writing the last one.
    lines = path.read_text(encoding="utf-8").split("\n")[:-1] if path.exists() else []
    return [r for r in map(json.loads, lines) if r["event"] == event]


def wait_until(found: Callable[[], list[Any]], count: int = 1, timeout: float = 20.0) -> list[Any]:
    """`found()` once it holds `count` items, or as it is when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while len(result := found()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return result


@pytest.fixture
def app_env(tmp_path: Path) -> dict[str, str]:
    return app_settings(tmp_path)


@pytest.fixture(scope="module")
def shared_host(
    azurite: Azurite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningHost]:
    """One host of the minimal app, shared by a module's tests that do not change its settings."""
    directory = tmp_path_factory.mktemp("shared-host")
    launcher = HostLauncher(azurite, directory)
    env = {
        **app_settings(directory),
        "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": str(BODY_LIMIT),
        "TAPSTART_FUNCTION_KEYS_HELLO": f"{HELLO_KEY},second-{HELLO_KEY}",
        "TAPSTART_FUNCTION_KEYS_ITEM": ITEM_KEY,
    }
    yield launcher.start(app=APP, env=env)
    launcher.stop_all()
