"""`tapstart status [trackingId|upn] [--limit N] [--json]`: one joiner, or the most recent ones."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from shared.cli.context import CliContext
from shared.cli.onboard_cmd import print_record
from shared.cli.output import error, table
from shared.domain.record import JoinerRecord
from shared.usecases.joiner_status import status_view

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def status(ctx: CliContext, args: argparse.Namespace) -> int:
    ledger = ctx.services.ledger
    if args.joiner:
        key: str = args.joiner
        record = await ledger.find_by_upn(key) if "@" in key else await ledger.get(key)
        if record is None:
            error(
                f"no joiner with {'UPN' if '@' in key else 'tracking id'} {key!r}",
                "run `tapstart status` to list recent joiners",
            )
            return 1
        if args.json:
            print(json.dumps(status_view(record), indent=2, ensure_ascii=False))
        else:
            print_record(record)
        return 0
    ctx.progress("reading the ledger")
    records: list[JoinerRecord] = [r async for r in ledger.all()]
    records.sort(key=lambda r: r.updated_at or r.accepted_at or _EPOCH, reverse=True)
    recent = records[: args.limit]
    if args.json:
        print(json.dumps([status_view(r) for r in recent], indent=2, ensure_ascii=False))
        return 0
    rows = [
        [
            r.tracking_id,
            r.upn or r.employee_id,
            r.status.value,
            r.reason or "",
            r.hire_date.isoformat(),
            (r.updated_at or r.accepted_at).isoformat(timespec="minutes"),
        ]
        for r in recent
    ]
    table(["tracking id", "joiner", "status", "reason", "hire date", "updated (UTC)"], rows)
    print(f"\n{len(recent)} of {len(records)} joiners (most recently updated first)")
    return 0
