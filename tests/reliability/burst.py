"""Burst: N signed HR events posted concurrently; intake latency, time to onboard all, Graph
requests per joiner, losses and duplicates, and (throttled) the throttle-bound minimum.

Graph requests are counted from the emulator's request log: HTTP requests the app sent, a
`$batch` counted once, token requests apart. The log keeps the last 5,000 requests, so for a
large burst the per-joiner figure comes from the emulator's per-endpoint counters instead.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
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
    write_capacity: float = 0.0  # writes the throttle lets through before pacing (bucket size)
    throttled_429: int = 0
    host_cpu_s: float | None = None
    machine_busy: float | None = None  # share of all CPUs busy from first POST to last email
    leaked: list[str] = field(default_factory=list)

    @property
    def per_joiner(self) -> float:
        return self.graph_requests / self.events

    @property
    def throttle_bound_s(self) -> float | None:
        """Writes beyond what the bucket holds at the start, at the sustained write rate."""
        if not self.write_limit_per_s:
            return None
        return max(0.0, self.writes - self.write_capacity) / self.write_limit_per_s

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
            "write_capacity_at_start": self.write_capacity,
            "graph_429": self.throttled_429,
            "host_cpu_seconds": self.host_cpu_s,
            "machine_busy_share": self.machine_busy,
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
    canary: bool = True,
) -> Burst:
    employees, upns = seed_joiners(stack, events)
    settings = app_settings(stack.azurite.info, stack.graph, stack.acs, **RAISED_LIMITS)
    host = launch(stack, settings)
    tapstart = Tapstart(host, stack.graph, stack.acs, settings)
    control = stack.graph.control
    if throttle == "drained":
        control.set_faults(throttle={"profile": "realistic", "startEmpty": True})
    elif throttle != "off":
        control.set_faults(throttle=throttle)
    write_limit_per_s, write_capacity = _write_budget(control.call("GET", "faults")["throttle"])
    control.clear_requests()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    bodies = [canonical_event(e, today) for e in employees]

    def post(body: dict[str, Any]) -> tuple[float, int, str]:
        t0 = time.perf_counter()
        answer = tapstart.post_event(body)
        return (time.perf_counter() - t0) * 1000, answer.status, answer.text

    started = time.perf_counter()
    cpu_at_start = _machine_jiffies()
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(post, bodies))
    delivered = 0
    while time.perf_counter() - started < timeout:
        delivered = len(stack.acs.control.messages())
        if delivered >= events:
            break
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    busy = _busy_share(cpu_at_start, _machine_jiffies())
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
    throttled = sum(c["count"] for c in control.requests()["counts"] if c["status"] == 429)
    control.clear_faults()
    host_cpu = _process_cpu_s(host.process.proc.pid if host.process.proc else None)
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
        write_capacity=write_capacity,
        throttled_429=throttled,
        host_cpu_s=host_cpu,
        machine_busy=busy,
        leaked=leaked,
    )


def _write_budget(throttle: dict[str, Any]) -> tuple[float | None, float]:
    """(sustained writes per second, writes let through at once) as the emulator enforces them."""
    write = throttle["classes"].get("directory_write")
    if write is None:
        return None, 0.0
    capacity = float(write["limit"])
    return capacity / float(write["periodSeconds"]), 0.0 if throttle["startEmpty"] else capacity


def _process_cpu_s(pid: int | None) -> float | None:
    """User + system CPU seconds of a live process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies over all CPUs since boot (Linux /proc/stat), None elsewhere."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def _busy_share(start: tuple[int, int] | None, end: tuple[int, int] | None) -> float | None:
    if start is None or end is None or end[1] == start[1]:
        return None
    return (end[0] - start[0]) / (end[1] - start[1])


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
        ("Graph 429 answers", str(b.throttled_429)),
        ("TAP canary", "clean" if not b.leaked else f"LEAK {b.leaked[:3]}"),
    ]
    if b.host_cpu_s is not None:
        rows.append(("host process CPU, s", f"{b.host_cpu_s:.1f}"))
    if b.machine_busy is not None:
        rows.append(("all CPUs busy during the run", f"{b.machine_busy:.0%}"))
    if b.throttle_bound_s is not None:
        rows.append(("writes free at start (bucket)", f"{b.write_capacity:.0f}"))
        rows.append(("throttle-bound minimum, s", f"{b.throttle_bound_s:.1f}"))
        ratio = b.seconds_to_all / b.throttle_bound_s if b.throttle_bound_s else float("inf")
        rows.append(("total / minimum (target <= 1.25)", f"{ratio:.2f}"))
    lines = [f"Burst: {b.events} events, Graph throttle {b.throttle}"]
    lines += [f"  {label:<42}{value:>20}" for label, value in rows]
    lines.append("  Graph requests by endpoint:")
    lines += [f"    {k:<60}{n:>7}" for k, n in sorted(b.by_endpoint.items())]
    return "\n".join(lines)
