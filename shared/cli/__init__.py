"""`tapstart`: the admin CLI — doctor, onboard, status, report, poison.

Uses the same settings and composition root as the functions (`build_services`). Errors end in one line
and a fix on stderr, never a traceback (`--debug` shows it). Exit codes: 0 fine, 1 warnings /
refused / not found, 2 failures and errors (argparse usage errors are 2 as well).
"""

from __future__ import annotations

import argparse
import asyncio
import traceback
from collections.abc import Awaitable, Callable, Sequence

from shared.cli.context import CliContext, UsageError, make_context
from shared.cli.output import error
from shared.domain.errors import (
    ConfigurationError,
    ConflictError,
    PermanentError,
    TapstartError,
    TransientError,
)

Command = Callable[[CliContext, argparse.Namespace], Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    from shared.cli import doctor_cmd, onboard_cmd, poison_cmd, report_cmd, status_cmd

    parser = argparse.ArgumentParser(
        prog="tapstart",
        description="Operate Tapstart without the portal: check the tenant, onboard one joiner, "
        "see where joiners stand, build the report, handle poison messages.",
    )
    parser.add_argument(
        "--settings",
        metavar="FILE",
        help="read app settings from a local.settings.json (environment variables win)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the app's logs")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    doctor = sub.add_parser("doctor", help="check tenant policies, groups, permissions, services")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument(
        "--probe-email",
        action="store_true",
        help="send one test email to the first ADMIN_EMAILS address to prove the sender domain",
    )
    doctor.set_defaults(run=doctor_cmd.doctor)

    onboard = sub.add_parser("onboard", help="run one joiner through onboarding now")
    who = onboard.add_mutually_exclusive_group(required=True)
    who.add_argument("--upn", help="the user's userPrincipalName")
    who.add_argument("--employee-id", help="the user's employeeId (as HR sends it)")
    onboard.add_argument("--hire-date", metavar="YYYY-MM-DD", help="default: today")
    onboard.add_argument(
        "--dry-run", action="store_true", help="show what would happen; change nothing"
    )
    onboard.add_argument(
        "--rehire",
        action="store_true",
        help="a returning employee or converted contractor: waive the account-too-old and "
        "already-enrolled guardrails for this account (audited; the admins are told)",
    )
    onboard.add_argument("--reason", help="why the override is right (required with --rehire)")
    onboard.add_argument(
        "--operator", help="who runs the override, for the audit trail (default: login name)"
    )
    onboard.add_argument(
        "--remove-stale-methods",
        action="store_true",
        help="with --rehire: delete the account's earlier sign-in methods before the pass",
    )
    onboard.set_defaults(run=onboard_cmd.onboard)

    status = sub.add_parser("status", help="one joiner (tracking id or UPN), or the recent ones")
    status.add_argument("joiner", nargs="?", help="tracking id or UPN")
    status.add_argument("--limit", type=int, default=20, help="how many recent joiners (20)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=status_cmd.status)

    report = sub.add_parser("report", help="build the registration report now")
    report.add_argument("--send", action="store_true", help="also email it to ADMIN_EMAILS")
    report.add_argument("--json", action="store_true")
    report.set_defaults(run=report_cmd.report)

    poison = sub.add_parser("poison", help="list, replay or discard poison messages")
    poison.add_argument("action", choices=["list", "replay", "discard"])
    poison.add_argument("--queue", choices=["onboarding", "reminders"], default="onboarding")
    poison.add_argument("--id", action="append", help="message id (repeatable)")
    poison.add_argument("--all", action="store_true", help="replay/discard every message")
    poison.add_argument("--json", action="store_true")
    poison.set_defaults(run=poison_cmd.poison)

    from shared.cli import setup_cmd

    setup_cmd.register(sub)
    from shared.cli import hr_cmd

    hr_cmd.register(sub)
    from shared.cli import campaign_cmd

    campaign_cmd.register(sub)
    return parser


def _fix_for(exc: BaseException) -> str:
    if isinstance(exc, UsageError):
        return "see `tapstart <command> --help`"
    if isinstance(exc, ConfigurationError):
        if "missing" in str(exc):
            return "set the app settings in the environment, or pass --settings local.settings.json"
        return (
            "correct the setting in the environment or the --settings file; see `tapstart --help`"
        )
    if isinstance(exc, PermanentError) and exc.reason == "graph_forbidden":
        return "grant the missing Graph permission; `tapstart doctor` lists what is missing"
    if isinstance(exc, TransientError):
        return "retry in a minute; `tapstart doctor` checks each service"
    if isinstance(exc, ConflictError):
        return "another worker is handling this joiner; retry shortly"
    return "`tapstart doctor` checks the tenant and services; --debug shows the traceback"


async def _run(args: argparse.Namespace) -> int:
    if getattr(args, "standalone", None) is not None:  # needs no services (`hr send`)
        return int(args.standalone(args))
    ctx = make_context(args.settings, args.quiet, args.verbose)
    command: Command = args.run
    try:
        return await command(ctx, args)
    finally:
        await ctx.services.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except TapstartError as exc:
        if args.debug:
            traceback.print_exc()
        error(str(exc), _fix_for(exc))
        return 2
    except Exception as exc:  # the promise is one line, not a traceback
        if args.debug:
            traceback.print_exc()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        error(f"{type(exc).__name__}: {first}", _fix_for(exc))
        return 2
