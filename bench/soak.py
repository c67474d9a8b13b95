"""Soak: the full fault matrix and the 2,000-event burst under the Graph write throttle.

    python -m bench.soak [--joiners 5] [--burst 2000] [--only NAME ...] [--no-burst]

Prints the fault × invariant table and the burst figures; writes both as JSON under `.local/`.
The stack is Azurite with on-disk storage (so a storage outage can be simulated by restarting
it), the Graph and ACS Email emulators, and local hosts launched as the end-to-end tests do.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.local_stack import _start_acs
from local.procs import REPO_ROOT
from tests.fixtures.graph import start_graph_emulator
from tests.fixtures.host import HostLauncher
from tests.reliability.burst import render_burst, run_burst
from tests.reliability.matrix import Stack, all_scenarios, render, run_scenario, write_json
from tests.reliability.persistent_azurite import PersistentAzurite

ARTEFACTS = REPO_ROOT / ".local"


@contextlib.contextmanager
def soak_stack() -> Iterator[Stack]:
    with (
        contextlib.ExitStack() as stack,
        tempfile.TemporaryDirectory(prefix="tapstart-soak-") as tmp,
    ):
        workdir = Path(tmp)
        azurite = PersistentAzurite(workdir).start()
        stack.callback(azurite.stop)
        graph_proc, graph = start_graph_emulator(workdir)
        stack.callback(graph_proc.stop)
        acs_proc, acs = _start_acs(workdir)
        stack.callback(acs_proc.stop)
        launcher = HostLauncher(azurite.info, workdir)
        stack.callback(launcher.stop_all)
        yield Stack(azurite, graph, acs, launcher)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joiners", type=int, default=5, help="joiners per fault")
    parser.add_argument("--burst", type=int, default=2000, help="events in the burst")
    parser.add_argument(
        "--throttle",
        choices=["off", "realistic", "drained"],
        default="drained",
        help="realistic: Graph's limits with a fresh budget; drained: the same limits with the "
        "write budget already spent, so the burst is paced at 20 writes/s from the start",
    )
    parser.add_argument("--only", nargs="*", help="run only these faults (names as printed)")
    parser.add_argument("--no-burst", action="store_true")
    parser.add_argument("--no-matrix", action="store_true")
    args = parser.parse_args(argv)
    ok = True
    with soak_stack() as stack:
        if not args.no_matrix:
            scenarios = [s for s in all_scenarios() if not args.only or s.name in args.only]
            results = []
            for scenario in scenarios:
                result = run_scenario(stack, scenario, joiners=args.joiners)
                results.append(result)
                print(f"{scenario.name}: {'ok' if result.ok else 'FAIL'} {result.details}")
            print(render(results))
            write_json(results, ARTEFACTS / "soak-fault-matrix.json")
            ok = ok and all(r.ok for r in results)
        if not args.no_burst:
            burst = run_burst(
                stack,
                args.burst,
                throttle=args.throttle,
                timeout=1800,
            )
            print(render_burst(burst))
            ARTEFACTS.mkdir(exist_ok=True)
            (ARTEFACTS / "soak-burst.json").write_text(json.dumps(burst.as_json(), indent=2))
            ok = ok and burst.ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
