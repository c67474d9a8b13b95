"""Burst: N signed HR events posted concurrently; intake latency, time to onboard all, Graph
requests per joiner, losses and duplicates, and (throttled) the throttle-bound minimum.

Graph requests are counted from the emulator's request log: HTTP requests the app sent, a
`$batch` counted once, token requests apart. The log keeps the last 5,000 requests, so for a
large burst the per-joiner figure comes from the emulator's per-endpoint counters instead.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.canary import leaks, passcodes_in, storage_texts
from tests.e2e.stack import Tapstart, app_settings, canonical_event
from tests.reliability.matrix import RAISED_LIMITS, Stack, launch, seed_joiners

TOKEN_ENDPOINT = "/{tenant}/oauth2/v2.0/token"


@dataclass
class Burst:
    events: int
    throttle: str
    intake_ms: list[float]
    refused: int
    seconds_to_all: float
    delivered: int
    duplicates: int
    lost: int
    graph_requests: int
    writes: int
    by_endpoint: Counter[str] = field(default_factory=Counter)
    write_limit_per_s: float | None = None
    leaked: list[str] = field(default_factory=list)

    @property
    def per_joiner(self) -> float:
        return self.graph_requests / self.events

    @property
    def throttle_bound_s(self) -> float | None:
        if not self.write_limit_per_s:
            return None
        return self.writes / self.write_limit_per_s

    @property
    def ok(self) -> bool:
        return not (self.refused or self.lost or self.duplicates or self.leaked)

    def as_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "throttle": self.throttle,
            "intake_p50_ms": round(_pct(self.intake_ms, 0.5), 1),
            "intake_p99_ms": round(_pct(self.intake_ms, 0.99), 1),
            "refused": self.refused,
            "seconds_to_all_onboarded": round(self.seconds_to_all, 1),
            "delivered": self.delivered,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "graph_requests": self.graph_requests,
            "graph_requests_per_joiner": round(self.per_joiner, 2),
            "graph_writes": self.writes,
            "throttle_bound_seconds": self.throttle_bound_s,
            "by_endpoint": dict(self.by_endpoint),
            "canary_leaks": self.leaked,
        }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_burst(
    stack: Stack,
    events: int,
    throttle: str = "off",
    timeout: float = 300.0,
    write_limit_per_s: float | None = None,
    canary: bool = True,
) -> Burst:
    employees, upns = seed_joiners(stack, events)
    settings = app_settings(stack.azurite.info, stack.graph, stack.acs, **RAISED_LIMITS)
    host = launch(stack, settings)
    tapstart = Tapstart(host, stack.graph, stack.acs, settings)
    control = stack.graph.control
    if throttle != "off":
        control.set_faults(throttle=throttle)
    control.clear_requests()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    bodies = [canonical_event(e, today) for e in employees]

    def post(body: dict[str, Any]) -> tuple[float, int, str]:
        t0 = time.perf_counter()
        answer = tapstart.post_event(body)
        return (time.perf_counter() - t0) * 1000, answer.status, answer.text

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(post, bodies))
    delivered = 0
    while time.perf_counter() - started < timeout:
        delivered = len(stack.acs.control.messages())
        if delivered >= events:
            break
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    time.sleep(2)  # late duplicates, if any, would land now
    messages = stack.acs.control.messages()
    texts = [m.get("plainText") or "" for m in messages]
    per_joiner = Counter(upn for upn in upns for t in texts if _display(upn) in t)
    by_endpoint = outer_requests(control.requests())
    writes = sum(
        n for k, n in by_endpoint.items() if not k.startswith("GET ") and "$batch" not in k
    )
    leaked: list[str] = []
    if canary:
        places = storage_texts(stack.azurite.info.connection_string)
        places["host log"] = host.logs()
        places.update({f"http answer {i}": a[2] for i, a in enumerate(answers)})
        leaked = leaks(passcodes_in(messages), places)
    control.clear_faults()
    host.stop()
    return Burst(
        events=events,
        throttle=throttle,
        intake_ms=[a[0] for a in answers],
        refused=sum(1 for a in answers if a[1] != 202),
        seconds_to_all=seconds,
        delivered=len(per_joiner),
        duplicates=sum(n - 1 for n in per_joiner.values() if n > 1),
        lost=events - len(per_joiner),
        graph_requests=sum(by_endpoint.values()),
        writes=writes,
        by_endpoint=by_endpoint,
        write_limit_per_s=write_limit_per_s,
        leaked=leaked,
    )


def outer_requests(log: dict[str, Any]) -> Counter[str]:
    """HTTP requests by endpoint, `$batch` items and token requests left out.

    The counters cover the whole run but do not tell a `$batch` item from a plain request; the
    recent-request log does. Endpoints the log only ever saw inside a `$batch` are left out.
    """
    seen: dict[str, set[bool]] = {}
    for r in log["requests"]:
        seen.setdefault(f"{r['method']} {r['endpoint']}", set()).add(bool(r["inBatch"]))
    counts: Counter[str] = Counter()
    for c in log["counts"]:
        key = f"{c['method']} {c['endpoint']}"
        if c["endpoint"] != TOKEN_ENDPOINT and seen.get(key) != {True}:
            counts[key] += c["count"]
    return counts


def _display(upn: str) -> str:
    return upn.split("@")[0].replace("rel.", "Rel ").replace(".", " ")


def render_burst(b: Burst) -> str:
    rows = [
        ("events posted / refused", f"{b.events} / {b.refused}"),
        (
            "intake latency p50 / p99, ms",
            f"{_pct(b.intake_ms, 0.5):.0f} / {_pct(b.intake_ms, 0.99):.0f}",
        ),
        ("time until all onboarded, s", f"{b.seconds_to_all:.1f}"),
        ("delivered / lost / duplicate emails", f"{b.delivered} / {b.lost} / {b.duplicates}"),
        ("Graph HTTP requests (no tokens)", str(b.graph_requests)),
        ("Graph requests per joiner (target <= 4)", f"{b.per_joiner:.2f}"),
        ("Graph writes", str(b.writes)),
        ("TAP canary", "clean" if not b.leaked else f"LEAK {b.leaked[:3]}"),
    ]
    if b.throttle_bound_s:
        rows.append(("throttle-bound minimum, s", f"{b.throttle_bound_s:.1f}"))
        rows.append(
            ("total / minimum (target <= 1.25)", f"{b.seconds_to_all / b.throttle_bound_s:.2f}")
        )
    lines = [f"Burst: {b.events} events, Graph throttle {b.throttle}"]
    lines += [f"  {label:<42}{value:>20}" for label, value in rows]
    lines.append("  Graph requests by endpoint:")
    lines += [f"    {k:<60}{n:>7}" for k, n in sorted(b.by_endpoint.items())]
    return "\n".join(lines)
