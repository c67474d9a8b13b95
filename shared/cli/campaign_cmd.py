"""`tapstart campaign plan|start|pause|status|exclude`: the registration campaign by hand.

- `plan [--limit N] [--json]`: the dry run — reads the registration report, shows the users
  eligible per path, the emails per day and the day the last first contact goes out, and lists
  who would be written to first and when. Sends nothing, records nothing.
- `start` / `pause`: run or hold the campaign (the daily run queues its mail while it runs; a
  pause also holds mail already queued). `start` again resumes, keeping the waves' numbers.
- `status [--json]`: the funnel and conversion the digest shows.
- `exclude USER [--reason TEXT]`: a user (object id or UPN) who asked to stop is never written
  to again.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from shared.cli.context import CliContext
from shared.cli.onboard_cmd import operator
from shared.cli.output import table
from shared.domain.campaign import PATH_LABELS, PATH_ORDER, NotEligible
from shared.domain.campaign_figures import WINDOWS_DAYS, ConversionRow, Funnel


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "campaign",
        help="the registration campaign: plan (dry run), start, pause, status, exclude a user",
        description="Bring every in-scope user without a passwordless method there: plan shows "
        "who would be written to and when (nothing is sent); start and pause run or hold it; "
        "status shows the funnel and conversion; exclude stops a user who asked to stop.",
    )
    parser.add_argument("action", choices=["plan", "start", "pause", "status", "exclude"])
    parser.add_argument("user", nargs="?", help="exclude: the user's object id or UPN")
    parser.add_argument("--reason", default="", help="exclude: why (e.g. 'asked to stop')")
    parser.add_argument("--operator", help="who acts, for the record (default: login name)")
    parser.add_argument(
        "--limit", type=int, default=20, help="plan: how many first contacts to list (20)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=campaign)


async def campaign(ctx: CliContext, args: argparse.Namespace) -> int:
    services = ctx.services
    if args.action == "plan":
        ctx.progress("reading the registration report for the campaign's plan (nothing is sent)")
        view = await services.campaign_plan()
        if args.json:
            print(json.dumps(view.to_json(args.limit), indent=2, ensure_ascii=False))
            return 0
        _print_plan(view.to_json(args.limit))
        return 0
    if args.action in ("start", "pause"):
        control = services.campaign_control
        change = control.start if args.action == "start" else control.pause
        state = await change(operator(args))
        body = {
            "status": state.status.value,
            "startedOn": state.started_on.isoformat() if state.started_on else None,
        }
        if args.json:
            print(json.dumps(body, indent=2))
        else:
            print(
                f"campaign {state.status.value}"
                + (f" (day 0: {body['startedOn']})" if body["startedOn"] else "")
            )
            if state.running:
                print(
                    "the daily run queues the day's campaign mail; `tapstart campaign status` follows it"
                )
        return 0
    if args.action == "exclude":
        if not args.user:
            from shared.cli.context import UsageError

            raise UsageError("campaign exclude needs the user's object id or UPN")
        done = await services.campaign_control.exclude(args.user, operator(args), args.reason)
        answer: dict[str, object] = {
            "userId": done.user_id,
            "upn": done.upn,
            "excluded": True,
            "alreadyExcluded": not done.new,
        }
        if args.json:
            print(json.dumps(answer, indent=2))
        else:
            who = done.upn or done.user_id
            print(
                f"{who}: {'already excluded' if not done.new else 'excluded'}; no more campaign mail"
            )
        return 0
    funnel = await services.campaign_control.status()
    if args.json:
        print(json.dumps(funnel.to_json(), indent=2, ensure_ascii=False))
    else:
        print_funnel(funnel)
    return 0


def _print_plan(body: dict[str, Any]) -> None:
    eligible = body["eligible"]
    rows = [[PATH_LABELS[p], str(eligible[p.value])] for p in PATH_ORDER]
    table(["eligible, by path", "users"], rows)
    print()
    not_eligible = {k: v for k, v in body["notEligible"].items() if v}
    if not_eligible:
        table(
            ["not written to", "users"],
            [[k.replace("_", " "), str(v)] for k, v in not_eligible.items()],
        )
        print()
    summary = [
        ["users read", str(body["usersRead"])],
        ["emails per day (capacity)", str(body["capacityPerDay"])],
        ["emails per hour (campaign share)", str(body["hourlyAllowance"])],
        ["waves", str(body["waves"])],
        ["emails planned (upper bound)", str(body["emails"])],
        ["peak emails in a day", str(body["peakPerDay"])],
        ["last first contact", body["lastFirstContact"] or "-"],
        ["last email", body["lastEmail"] or "-"],
    ]
    if body["waiting"]:
        summary.append(["no room in the horizon", str(body["waiting"])])
    table(["plan", "value"], summary)
    firsts = body["firstContacts"]
    if firsts:
        print()
        table(
            ["day", "wave", "user", "path"],
            [[c["day"], str(c["wave"]), c["upn"] or c["userId"], c["path"]] for c in firsts],
        )
        print(f"\nfirst {len(firsts)} first contacts listed (--limit N for more); nothing was sent")


def _conversion_row(label: str, row: ConversionRow) -> list[str]:
    return [
        label,
        str(row.contacted),
        *(str(row.within[w]) for w in WINDOWS_DAYS),
        str(row.converted),
        "-" if row.median_days is None else f"{row.median_days:g}",
        str(row.bounced),
        str(row.opted_out),
    ]


CONVERSION_HEADERS = [
    "",
    "contacted",
    *(f"≤{w} d" for w in WINDOWS_DAYS),
    "converted",
    "median days",
    "bounced",
    "opted out",
]


def print_funnel(funnel: Funnel) -> None:
    c = funnel.conversion
    head = [
        ["status", funnel.status],
        ["day 0", funnel.started_on or "-"],
        ["scope counted", funnel.counted_at or "not yet (the next daily run counts it)"],
        ["emails per day (capacity)", str(funnel.capacity_per_day)],
        ["last first contact (planned)", funnel.last_first_contact_on or "-"],
        ["planned or written to", str(c.planned)],
    ]
    table(["campaign", "value"], head)
    print()
    eligible = [[PATH_LABELS[p], str(funnel.eligible.get(p, 0))] for p in PATH_ORDER]
    table(["still to convert, by path", "users"], eligible)
    print()
    stopped = [
        [r.value.replace("_", " "), str(n)]
        for r in NotEligible
        if (n := funnel.not_eligible.get(r, 0))
    ]
    if stopped:
        table(["not written to", "users"], stopped)
        print()
    rows = [_conversion_row("all", c.total)]
    rows += [_conversion_row(r.path.value if r.path else "", r) for r in c.by_path]
    rows += [
        _conversion_row(f"wave {r.wave} {r.path.value if r.path else ''}", r) for r in c.by_wave
    ]
    table(CONVERSION_HEADERS, rows)
