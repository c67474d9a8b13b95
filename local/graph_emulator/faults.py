"""Run-time fault injection: latency, 500/503 answers, 429s, dropped connections.

``latencyMs`` delays a request before Graph acts on it; ``responseLatencyMs`` delays the answer
after Graph has acted (a write that lands while its caller dies or times out waiting).

Each rule matches by method and a regular expression searched in the Graph path (without
``/v1.0``); ``count`` limits a rule to its next N matches. Random draws use a seeded generator so
a failing test can be replayed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any


@dataclass
class FaultRule:
    path: re.Pattern[str] | None = None
    method: str | None = None
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    response_latency_ms: float = 0.0
    error_rate: float = 0.0
    status: int = 503
    drop_rate: float = 0.0
    retry_after: int | None = None
    count: int | None = None

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> FaultRule:
        status = int(spec.get("status", 503))
        error_rate = float(spec.get("errorRate", 1.0 if "status" in spec else 0.0))
        return cls(
            path=re.compile(spec["path"]) if spec.get("path") else None,
            method=str(spec["method"]).upper() if spec.get("method") else None,
            latency_ms=float(spec.get("latencyMs", 0)),
            latency_jitter_ms=float(spec.get("latencyJitterMs", 0)),
            response_latency_ms=float(spec.get("responseLatencyMs", 0)),
            error_rate=error_rate,
            status=status,
            drop_rate=float(spec.get("dropRate", 0)),
            retry_after=int(spec["retryAfter"]) if spec.get("retryAfter") is not None else None,
            count=int(spec["count"]) if spec.get("count") is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path.pattern if self.path else None,
            "method": self.method,
            "latencyMs": self.latency_ms,
            "latencyJitterMs": self.latency_jitter_ms,
            "responseLatencyMs": self.response_latency_ms,
            "errorRate": self.error_rate,
            "status": self.status,
            "dropRate": self.drop_rate,
            "retryAfter": self.retry_after,
            "count": self.count,
        }

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.method and self.method != method:
            return False
        return self.path is None or bool(self.path.search(path))


@dataclass
class Decision:
    delay_seconds: float = 0.0
    response_delay_seconds: float = 0.0
    drop: bool = False
    status: int | None = None
    retry_after: int | None = None


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._random = random.Random(0)

    def configure(self, spec: dict[str, Any]) -> None:
        rules = [FaultRule.from_json(r) for r in spec.get("rules", [])]
        top_level = ("latencyMs", "responseLatencyMs", "errorRate", "dropRate", "status")
        if any(k in spec for k in top_level):
            rules.append(FaultRule.from_json(spec))  # a top-level rule applies to every path
        self.rules = rules
        self._random = random.Random(spec.get("seed", 0))

    def describe(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.rules]

    def decide(self, method: str, path: str, *, in_batch: bool = False) -> Decision:
        decision = Decision()
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            fired = False
            if rule.latency_ms and not in_batch:
                jitter = self._random.uniform(-1, 1) * rule.latency_jitter_ms
                decision.delay_seconds += max(0.0, rule.latency_ms + jitter) / 1000
                fired = True
            if rule.response_latency_ms and not in_batch:
                decision.response_delay_seconds += rule.response_latency_ms / 1000
                fired = True
            if rule.drop_rate and not in_batch and self._random.random() < rule.drop_rate:
                decision.drop = True
                fired = True
            elif (
                rule.error_rate
                and decision.status is None
                and self._random.random() < rule.error_rate
            ):
                decision.status = rule.status
                decision.retry_after = rule.retry_after
                fired = True
            if fired and rule.count is not None:
                rule.count -= 1
        return decision
