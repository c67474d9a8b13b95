"""`tapstart report [--send]`: build the registration report now (the timer's use case).

Without --send it is archived but not mailed; reminders are left to the scheduled run, so an
on-demand report never changes who gets chased.
"""

from __future__ import annotations

import argparse
import json

from shared.cli.context import CliContext
from shared.cli.output import table


async def report(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.progress("streaming the registration report from Graph (5 requests / 10 s)")
    run = await ctx.services.daily_run(send=args.send, scheduled=False, fan_out=False)
    rows = [
        ["run", run.run_id],
        ["outcome", run.outcome + (f" ({run.failure_reason})" if run.failure_reason else "")],
        ["users", str(run.users)],
        ["admin findings", str(run.admin_findings)],
        ["snapshot", run.snapshot_prefix or "-"],
        ["ledger pruned", str(run.ledger_pruned)],
        ["failed jobs", ", ".join(run.failed_jobs) or "none"],
        [
            "email",
            f"sent to {', '.join(ctx.settings.admin_emails)}"
            if run.email_operation_id
            else "not sent (use --send)",
        ],
    ]
    figures = await _key_figures(ctx) if run.ok else {}
    shown = {row[0] for row in rows}
    rows += [[k, v] for k, v in figures.items() if k not in shown]
    if args.json:
        print(json.dumps(dict(rows), indent=2))
    else:
        table(["report", "value"], rows, wrap=(1,))
    return 0 if run.ok else 2


async def _key_figures(ctx: CliContext) -> dict[str, str]:
    store = ctx.services.snapshots
    ref = await store.latest()
    stored = await store.figures(ref) if ref else None
    tenant = (stored or {}).get("tenant") or {}
    return {
        str(k): str(v)
        for k, v in tenant.items()
        if isinstance(v, int | float | str) and not isinstance(v, bool)
    }
