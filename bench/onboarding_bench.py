"""Benchmark: onboarding throughput and Graph requests per joiner on the local stack.

    python -m bench.onboarding_bench [--joiners 200] [--throttle off|realistic]

N joiners (accounts already provisioned, all starting today, one manager) are posted as signed
HR events, concurrently, to a local host; the clock runs until every manager email is in the
ACS outbox. The same run is then repeated on a fresh host whose Directory is the
straightforward one-request-per-step baseline (bench/baseline_directory.py). Printed side by
side: wall time, joiners per second, intake latency, and Graph HTTP requests per joiner (what
the emulator received, `$batch` counted once, token requests apart).

Mail and TAP business limits of the example settings are raised for the run (bench.local_stack),
and the ACS emulator's sending limits (ACS's defaults: 30 a minute, 100 an hour) are lifted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.local_stack import BenchStack, bench_stack
from local.acs_email_emulator import UNLIMITED
from tests.e2e.stack import Tapstart, canonical_event

MANAGER = "maria.manager@contoso.example"
TOKEN_ENDPOINT = "/{tenant}/oauth2/v2.0/token"
LOG_LIMIT = 5000  # the emulator keeps this many requests in its log


@dataclass
class Run:
    name: str
    joiners: int
    wall_seconds: float
    intake_ms: list[float]
    delivered: int
    http_requests: int
    batch_items: int
    by_endpoint: Counter[str] = field(default_factory=Counter)

    @property
    def per_joiner(self) -> float:
        return self.http_requests / self.joiners

    @property
    def throughput(self) -> float:
        return self.joiners / self.wall_seconds


def seed_joiners(stack: BenchStack, count: int) -> list[str]:
    stack.graph.control.reset()
    stack.acs.control.reset()
    # ACS's default sending limits (30 a minute, 100 an hour) would be all this measured.
    stack.acs.control.set_limits(
        per_minute=UNLIMITED,
        per_hour=UNLIMITED,
        status_per_minute=UNLIMITED,
        status_per_hour=UNLIMITED,
    )
    ids = []
    for i in range(count):
        employee_id = f"B{i:06d}"
        stack.graph.control.add_user(
            userPrincipalName=f"bench.joiner{i:05d}@contoso.example",
            displayName=f"Bench Joiner {i:05d}",
            givenName="Bench",
            employeeId=employee_id,
            manager=MANAGER,
            createdDateTime="now-1d",
        )
        ids.append(employee_id)
    return ids


def _post(tapstart: Tapstart, employee_id: str, today: str) -> tuple[float, int]:
    started = time.perf_counter()
    result = tapstart.post_event(canonical_event(employee_id, today))
    return (time.perf_counter() - started) * 1000, result.status


def run_once(
    stack: BenchStack, name: str, app: str, joiners: int, throttle: str, timeout: float
) -> Run:
    employee_ids = seed_joiners(stack, joiners)
    tapstart = stack.launch(app=app)
    control = stack.graph.control
    if throttle != "off":
        control.set_faults(throttle=throttle)
    control.clear_requests()
    today = datetime.now(UTC).date().isoformat()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda e: _post(tapstart, e, today), employee_ids))
    refused = [status for _, status in answers if status != 202]
    if refused:
        raise RuntimeError(
            f"{name}: {len(refused)} events refused: {Counter(refused)}\n{tapstart.host.logs()[-3000:]}"
        )
    delivered = 0
    while time.perf_counter() - started < timeout:
        delivered = len(tapstart.messages_to(MANAGER))
        if delivered >= joiners:
            break
        time.sleep(0.2)
    wall = time.perf_counter() - started
    log = control.requests()
    tapstart.host.stop()
    control.clear_faults()
    if len(log["requests"]) >= LOG_LIMIT:
        raise RuntimeError("the emulator's request log overflowed; use fewer joiners")
    outer = [r for r in log["requests"] if not r["inBatch"] and r["endpoint"] != TOKEN_ENDPOINT]
    return Run(
        name=name,
        joiners=joiners,
        wall_seconds=wall,
        intake_ms=[ms for ms, _ in answers],
        delivered=delivered,
        http_requests=len(outer),
        batch_items=sum(1 for r in log["requests"] if r["inBatch"]),
        by_endpoint=Counter(f"{r['method']} {r['endpoint']}" for r in outer),
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def render(runs: list[Run], throttle: str) -> str:
    ours, base = runs
    rows = [
        (
            "joiners delivered",
            f"{ours.delivered}/{ours.joiners}",
            f"{base.delivered}/{base.joiners}",
        ),
        (
            "wall time, s (first POST to last email)",
            f"{ours.wall_seconds:.1f}",
            f"{base.wall_seconds:.1f}",
        ),
        ("throughput, joiners/s", f"{ours.throughput:.1f}", f"{base.throughput:.1f}"),
        ("intake latency p50 / p99, ms", _lat(ours), _lat(base)),
        ("Graph HTTP requests", str(ours.http_requests), str(base.http_requests)),
        ("Graph requests per joiner", f"{ours.per_joiner:.2f}", f"{base.per_joiner:.2f}"),
        ("  of which $batch items (not HTTP calls)", str(ours.batch_items), str(base.batch_items)),
    ]
    width = max(len(r[0]) for r in rows) + 2
    lines = [
        f"Onboarding: {ours.joiners} joiners, Graph throttling {throttle}",
        f"{'':<{width}}{'Tapstart':>14}{'baseline':>14}",
        *(f"{label:<{width}}{a:>14}{b:>14}" for label, a, b in rows),
        "",
        "Graph requests by endpoint (Tapstart | baseline):",
    ]
    for endpoint in sorted(set(ours.by_endpoint) | set(base.by_endpoint)):
        lines.append(
            f"  {endpoint:<60}{ours.by_endpoint[endpoint]:>8}{base.by_endpoint[endpoint]:>8}"
        )
    ok = ours.per_joiner <= 4
    lines.append(f"Target <= 4 Graph requests per joiner: {'met' if ok else 'NOT met'}")
    return "\n".join(lines)


def _lat(run: Run) -> str:
    return f"{statistics.median(run.intake_ms):.0f} / {_pct(run.intake_ms, 0.99):.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joiners", type=int, default=200)
    parser.add_argument("--throttle", choices=["off", "realistic"], default="off")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    with bench_stack() as stack:
        runs = [
            run_once(
                stack, "tapstart", "function_app:app", args.joiners, args.throttle, args.timeout
            ),
            run_once(
                stack,
                "baseline",
                "bench.baseline_app:app",
                args.joiners,
                args.throttle,
                args.timeout,
            ),
        ]
    print(render(runs, args.throttle))
    return 0 if all(r.delivered == r.joiners for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
