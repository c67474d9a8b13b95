"""Benchmark: cold import of `function_app` (what a new worker pays before its first invocation).

    python -m bench.import_bench [--runs 5] [--top 15]

Each measurement is a fresh interpreter (`python -X importtime -c "import function_app"`), with
the bytecode cache as the repository has it (the OS file cache is warm after the first run; a
truly cold disk is not reproducible here). Baselines in the same run: the bare interpreter and
`import azure.functions` alone. The heaviest imports are listed from `-X importtime`.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)$")


@dataclass(frozen=True)
class Imported:
    module: str
    self_us: int
    cumulative_us: int
    depth: int


def run_import(statement: str) -> tuple[float, list[Imported]]:
    """(wall seconds of the whole interpreter run, -X importtime records)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    wall = time.perf_counter() - started
    records = []
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            self_us, cumulative, indent, module = match.groups()
            records.append(Imported(module, int(self_us), int(cumulative), len(indent) // 2))
    return wall, records


def measure(statement: str, runs: int) -> tuple[float, float, list[Imported]]:
    """(median wall s, median import-time s of the statement's imports, records of the last run)."""
    walls, totals = [], []
    records: list[Imported] = []
    for _ in range(runs):
        wall, records = run_import(statement)
        walls.append(wall)
        totals.append(sum(r.cumulative_us for r in records if r.depth == 0) / 1e6)
    return statistics.median(walls), statistics.median(totals), records


def _third_party_package(module: str, own: set[str]) -> bool:
    if module.startswith("azure."):  # a namespace: its distributions are the second level
        return module.count(".") == 1
    return (
        "." not in module
        and not module.startswith("_")
        and module not in (sys.stdlib_module_names | own | {"azure"})
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    run_import("import function_app")  # writes nothing, but warms the OS file cache
    rows = [
        ("bare interpreter (python -c pass)", "pass"),
        ("import azure.functions", "import azure.functions"),
        ("import function_app", "import function_app"),
    ]
    results = {label: measure(statement, args.runs) for label, statement in rows}
    lines = [
        f"Cold import, median of {args.runs} fresh interpreters",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "",
        f"{'':<36}{'process wall s':>15}{'imports s':>11}{'modules':>9}",
    ]
    for label, _ in rows:
        wall, total, records = results[label]
        lines.append(f"{label:<36}{wall:>15.3f}{total:>11.3f}{len(records):>9}")
    _, app_total, records = results["import function_app"]
    lines += ["", f"Heaviest imports under function_app (cumulative, top {args.top}):"]
    top_level = sorted((r for r in records if r.depth <= 1), key=lambda r: -r.cumulative_us)
    for r in top_level[: args.top]:
        share = 100 * r.cumulative_us / 1e6 / app_total if app_total else 0
        lines.append(f"  {r.module:<56}{r.cumulative_us / 1e3:>9.1f} ms {share:>5.1f} %")
    lines += ["", "Third-party packages, cumulative at their first import:"]
    own = {"function_app", "functions", "shared"}
    packages = [r for r in records if _third_party_package(r.module, own)]
    for r in sorted(packages, key=lambda r: -r.cumulative_us)[: args.top]:
        lines.append(f"  {r.module:<56}{r.cumulative_us / 1e3:>9.1f} ms")
    cli = next((r for r in records if r.module == "httpx._main"), None)
    if cli is not None:
        lines.append(
            f"  note: httpx imports its command line (httpx._main, {cli.cumulative_us / 1e3:.0f} ms:"
            " rich, click, pygments) only because click and rich are installed (dev tools)"
        )
    lines += ["", f"Largest self times (top {args.top}):"]
    for r in sorted(records, key=lambda r: -r.self_us)[: args.top]:
        lines.append(f"  {r.module:<56}{r.self_us / 1e3:>9.1f} ms")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
