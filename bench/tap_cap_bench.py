"""Benchmark: the hourly TAP cap under a burst of concurrent takers, on Azurite.

One ETag-guarded counter (the design before shards) against the sharded counter, in the same
run: table requests per admitted pass, conditional writes lost, and takes that gave up after 20
lost races (a TransientError: the joiner goes back to the queue). Each taker retries a give-up,
as the queue would, until the burst is admitted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from local.procs import free_port
from local.stack import AzuritePorts, azurite_process, wait_for_azurite
from shared.adapters.table_ledger import TableLedger
from shared.config import resolve_storage
from shared.domain.errors import TransientError
from shared.domain.tap_cap import MAX_SHARDS

HOUR = "2026112809"


@dataclass(frozen=True)
class CapRun:
    label: str
    concurrency: int
    admitted: int
    requests: int
    conflicts: int
    give_ups: int
    seconds: float


@contextlib.contextmanager
def azurite_connection() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="tapstart-bench-") as tmp:
        ports = AzuritePorts(free_port(), free_port(), free_port())
        process = azurite_process(ports, Path(tmp) / "azurite.log").start()
        try:
            wait_for_azurite(ports, process)
            yield ports.connection_string
        finally:
            process.stop()


async def _burst(ledger: TableLedger, takers: int, cap: int, concurrency: int) -> tuple[int, int]:
    give_ups = 0
    gate = asyncio.Semaphore(concurrency)

    async def take() -> bool:
        nonlocal give_ups
        async with gate:
            return await _take()

    async def _take() -> bool:
        nonlocal give_ups
        while True:
            try:
                return await ledger.take_tap_slot(HOUR, cap)
            except TransientError:
                give_ups += 1

    results = await asyncio.gather(*(take() for _ in range(takers)))
    return sum(results), give_ups


def measure(
    connection: str, label: str, shards: int, takers: int, cap: int, concurrency: int
) -> CapRun:
    storage = resolve_storage({"AzureWebJobsStorage": connection})
    ledger = TableLedger(storage, "cap" + uuid.uuid4().hex[:10], cap_shards=shards)
    asyncio.run(ledger.tap_slots_used(HOUR))  # creates the table outside the timing
    started = time.perf_counter()
    admitted, give_ups = asyncio.run(_burst(ledger, takers, cap, concurrency))
    elapsed = time.perf_counter() - started
    return CapRun(
        label, concurrency, admitted, ledger.cap_requests, ledger.cap_conflicts, give_ups, elapsed
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--takers", type=int, default=200)
    parser.add_argument("--cap", type=int, default=200)
    # host.json's batchSize 16 + newBatchThreshold 8: one host's concurrent onboarding workers.
    parser.add_argument("--concurrency", type=int, default=24, help="takers at once (per host)")
    args = parser.parse_args(argv)
    with azurite_connection() as connection:
        runs = [
            measure(connection, label, shards, args.takers, args.cap, concurrency)
            for concurrency in (args.concurrency, 3 * args.concurrency)
            for label, shards in (("one counter", 1), (f"{MAX_SHARDS} shards", MAX_SHARDS))
        ]
    print(f"{args.takers} takers, cap {args.cap}, Azurite; {args.concurrency} at once = 1 host")
    print(
        f"{'':14}{'at once':>8}{'admitted':>10}{'requests':>10}{'per pass':>10}{'lost':>8}{'give-ups':>10}{'s':>8}"
    )
    for run in runs:
        per = run.requests / max(run.admitted, 1)
        print(
            f"{run.label:14}{run.concurrency:>8}{run.admitted:>10}{run.requests:>10}{per:>10.2f}"
            f"{run.conflicts:>8}{run.give_ups:>10}{run.seconds:>8.2f}"
        )
    ok = all(r.admitted == min(args.takers, args.cap) for r in runs)
    print(f"Cap held exactly in every run: {'yes' if ok else 'NO'}")
    print("The design needs 2 table requests per pass (read, conditional write).")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
