"""All benchmarks, one after the other, each in its own interpreter (so that peak RSS and
import times are each benchmark's own).

    python -m bench            # full: 200 joiners, 100,000 users with the realistic throttle
    python -m bench --quick    # minutes: 40 joiners, 10,000 users

Each benchmark prints its figures next to the baseline it measured in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

FULL: list[tuple[str, list[str]]] = [
    ("bench.import_bench", ["--runs", "5"]),
    ("bench.tap_cap_bench", ["--takers", "200", "--cap", "200"]),
    ("bench.email_budget_bench", ["--seconds", "8"]),
    ("bench.onboarding_bench", ["--joiners", "200"]),
    ("bench.report_bench", ["--users", "100000", "--sdk-users", "2000"]),
    ("bench.report_emulator_bench", ["--users", "100000", "--sdk-users", "5000"]),
    ("bench.campaign_bench", ["--users", "100000"]),
]
QUICK: list[tuple[str, list[str]]] = [
    ("bench.import_bench", ["--runs", "3"]),
    ("bench.tap_cap_bench", ["--takers", "60", "--cap", "50"]),
    ("bench.email_budget_bench", ["--seconds", "4"]),
    ("bench.onboarding_bench", ["--joiners", "40"]),
    ("bench.report_bench", ["--users", "10000", "--sdk-users", "1000"]),
    ("bench.report_emulator_bench", ["--users", "10000", "--sdk-users", "1000"]),
    ("bench.campaign_bench", ["--users", "10000"]),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    parser.add_argument("--only", help="run just this module, e.g. bench.import_bench")
    args = parser.parse_args(argv)
    plan = [(m, a) for m, a in (QUICK if args.quick else FULL) if args.only in (None, m)]
    failed = []
    for module, module_args in plan:
        print(f"\n=== {module} {' '.join(module_args)}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", module, *module_args], check=False)
        print(
            f"--- {module}: exit {done.returncode}, {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        if done.returncode != 0:
            failed.append(module)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
