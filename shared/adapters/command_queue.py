"""Typed queue ports on Queue storage: each instance owns one queue name and one command type."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from shared.adapters.storage_queue import StorageJobQueue


class _Command(Protocol):
    def to_payload(self) -> dict[str, object]: ...


C = TypeVar("C", bound=_Command, contravariant=True)


class StorageCommandQueue(Generic[C]):
    def __init__(self, queues: StorageJobQueue, name: str) -> None:
        self._queues = queues
        self.name = name

    async def send(self, command: C, delay_seconds: int = 0) -> None:
        await self._queues.enqueue(self.name, command.to_payload(), delay_seconds)
