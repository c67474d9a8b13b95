"""Send operations and repeatable-request records, kept in a state file across restarts.

ACS keeps an operation after the send that created it, so a client that asks for it later (after
a crash, a redelivery, or a restart of the emulator) is told what happened to its mail, never a
404 for mail that went out. The emulator writes every change to `<state dir>/operations.json`
(whole file, replaced atomically) and reads it at start-up.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.acs_email_emulator.ratelimit import Clock

log = logging.getLogger(__name__)

STATE_VERSION = 1


@dataclass
class Operation:
    id: str
    message_id: str
    ready_at: float  # clock time at which the operation turns terminal
    final_status: str
    error: dict[str, str] | None
    request_hash: str = ""

    def status(self, now: float) -> str:
        return "Running" if now < self.ready_at else self.final_status


@dataclass
class RepeatableAnswer:
    """What a repeatable request (Repeatability-Request-Id) was answered, for its repeats."""

    request_hash: str
    first_sent: float  # wall-clock epoch of Repeatability-First-Sent
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class OperationStore:
    path: Path
    clock: Clock
    # By operation id the newest send wins; by message id each message keeps its own operation.
    by_id: dict[str, Operation] = field(default_factory=dict)
    by_message: dict[str, Operation] = field(default_factory=dict)
    repeatable: dict[str, RepeatableAnswer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._load()

    def add(self, operation: Operation) -> None:
        self.by_id[operation.id] = operation
        self.by_message[operation.message_id] = operation
        self._save()

    def remember(self, request_id: str, answer: RepeatableAnswer) -> None:
        self.repeatable[request_id] = answer
        self._save()

    def forget_repeatable_before(self, epoch: float) -> None:
        stale = [k for k, a in self.repeatable.items() if a.first_sent < epoch]
        for key in stale:
            del self.repeatable[key]

    def clear(self) -> None:
        self.by_id.clear()
        self.by_message.clear()
        self.repeatable.clear()
        self.path.unlink(missing_ok=True)

    # -- the state file -------------------------------------------------------------------

    def _epoch(self, clock_time: float) -> float:
        return time.time() + (clock_time - self.clock.now())

    def _clock_time(self, epoch: float) -> float:
        return self.clock.now() + (epoch - time.time())

    def _save(self) -> None:
        document = {
            "version": STATE_VERSION,
            "operations": [
                {
                    "id": op.id,
                    "messageId": op.message_id,
                    "readyAt": self._epoch(op.ready_at),
                    "finalStatus": op.final_status,
                    "error": op.error,
                    "requestHash": op.request_hash,
                }
                # Oldest first, so that loading them in order lets the newest win by id again.
                for op in self.by_message.values()
            ],
            "repeatable": {
                key: {
                    "requestHash": a.request_hash,
                    "firstSent": a.first_sent,
                    "status": a.status,
                    "body": a.body,
                    "headers": a.headers,
                }
                for key, a in self.repeatable.items()
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(document), encoding="utf-8")
        temporary.replace(self.path)

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            if document.get("version") != STATE_VERSION:
                raise ValueError(f"state file version {document.get('version')}")
            for item in document["operations"]:
                operation = Operation(
                    str(item["id"]),
                    str(item["messageId"]),
                    self._clock_time(float(item["readyAt"])),
                    str(item["finalStatus"]),
                    item.get("error"),
                    str(item.get("requestHash", "")),
                )
                self.by_id[operation.id] = operation
                self.by_message[operation.message_id] = operation
            for key, item in document.get("repeatable", {}).items():
                self.repeatable[key] = RepeatableAnswer(
                    str(item["requestHash"]),
                    float(item["firstSent"]),
                    int(item["status"]),
                    dict(item["body"]),
                    dict(item["headers"]),
                )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Never start on half a state: an unreadable file is set aside, not trusted.
            log.error("unreadable operations state %s set aside: %s", self.path, exc)
            self.by_id.clear()
            self.by_message.clear()
            self.repeatable.clear()
            self.path.replace(self.path.with_name(self.path.name + ".unreadable"))
            return
        log.info("loaded %d operation(s) from %s", len(self.by_message), self.path)
