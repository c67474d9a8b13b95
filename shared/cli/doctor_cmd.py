"""`tapstart doctor [--json] [--probe-email]`: exit 0 / 1 / 2 for pass / warnings / failures."""

from __future__ import annotations

import argparse
import json

from shared.cli.context import CliContext
from shared.cli.output import table
from shared.doctor import DoctorReport

_MARK = {"pass": "pass", "warn": "WARN", "fail": "FAIL"}


def print_report(report: DoctorReport) -> None:
    rows = [[r.name, _MARK[r.status.value], r.found, r.fix] for r in report.results]
    table(["check", "status", "found", "fix"], rows, wrap=(2, 3))
    counts = report.to_json()["counts"]
    print(
        f"\n{report.status.value.upper()}: {counts['pass']} passed, "
        f"{_count(counts['warn'], 'warning')}, {_count(counts['fail'], 'failure')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


async def doctor(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.progress("checking the tenant, the app's permissions and its services")
    report = await ctx.services.tenant_doctor(probe_email=args.probe_email, progress=ctx.progress)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print_report(report)
    return report.exit_code
