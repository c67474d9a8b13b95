"""`tapstart onboard --upn X | --employee-id X [--hire-date D] [--dry-run]
[--rehire --reason TEXT [--remove-stale-methods]]`.

For a missed HR event: records a synthetic joiner event in the ledger (as the HR intake would)
and runs the same onboarding use case inline. `--dry-run` only reads: the same use case's
`preview` reads the same facts and asks the same `decide` as the worker.

`--rehire` is the sanctioned path for a returning employee or a converted contractor, whose
existing account the guardrails refuse (`account_too_old`, `already_enrolled`): it waives those
rules for this one record, lists the methods the account still has, and records who ran it
(`--operator`, else the login name) and why; the admins get an alert. Only with
`--remove-stale-methods` are those methods deleted, right before the pass is issued.
"""

from __future__ import annotations

import argparse
import getpass
import uuid
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.cli.context import CliContext, UsageError
from shared.cli.output import table
from shared.domain import reasons
from shared.domain.commands import OnboardJoiner
from shared.domain.directory import DirectoryUser
from shared.domain.email import mask_email
from shared.domain.joiner import JoinerEvent
from shared.domain.onboarding_decision import Fail, Refuse, Verdict, Wait
from shared.domain.record import JoinerRecord, Status, tracking_id_for
from shared.domain.rehire import check_reason
from shared.usecases.joiner_status import status_view
from shared.usecases.onboard_joiner import Preview


def _hire_date(ctx: CliContext, args: argparse.Namespace) -> date:
    if args.hire_date:
        try:
            return date.fromisoformat(args.hire_date)
        except ValueError:
            raise UsageError(f"--hire-date {args.hire_date!r} is not a date (YYYY-MM-DD)") from None
    return ctx.services.clock.now().astimezone(ZoneInfo(ctx.settings.default_time_zone)).date()


async def resolve_user(ctx: CliContext, args: argparse.Namespace) -> DirectoryUser | None:
    ctx.progress("resolving the user in Entra ID")
    users = ctx.services.users
    if args.employee_id:
        return await users.find_user(args.employee_id, args.upn)
    return await users.find_user_by_upn(args.upn)


def operator(args: argparse.Namespace) -> str:
    """Who runs the CLI, for the audit trail: `--operator` (e.g. the admin's UPN), else the
    login name."""
    named = " ".join(str(getattr(args, "operator", None) or "").split())
    return (named or getpass.getuser() or "unknown")[:100]


def _rehire_reason(args: argparse.Namespace) -> str | None:
    rehire = bool(getattr(args, "rehire", False))
    if not rehire:
        if getattr(args, "reason", None) or getattr(args, "remove_stale_methods", False):
            raise UsageError("--reason and --remove-stale-methods go with --rehire")
        return None
    try:
        return check_reason(args.reason)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


async def onboard(ctx: CliContext, args: argparse.Namespace) -> int:
    hire_date = _hire_date(ctx, args)
    reason = _rehire_reason(args)
    user = await resolve_user(ctx, args)
    app = ctx.services
    now = app.clock.now()
    event = _event(args, user, hire_date, now)
    record = JoinerRecord.accept(
        event, now, tracking_id_for(event.event_id, app.settings.tracking_id_key)
    )
    remove = bool(getattr(args, "remove_stale_methods", False))
    if reason is not None and user is None:
        raise UsageError("--rehire is for an existing account; no such Entra user was found")
    if args.dry_run:
        ctx.progress("reading what onboarding decides on: guardrails, groups, TAP policy, cap")
        stale = None
        if reason is not None and user is not None:
            record = replace(record, rehire_by=operator(args), rehire_reason=reason)
            stale = await app.rehire.stale(user.id)
        preview = await app.onboard_joiner.preview(record)
        return _show_preview(preview, user, hire_date, stale=stale, remove=remove)
    if user is None and not args.employee_id:
        raise UsageError(
            f"no Entra user {args.upn!r}; pass --employee-id to record the joiner and wait for "
            "the account to appear"
        )
    if reason is not None and user is not None:
        ctx.progress("rehire override: recording who and why, telling the admins")
        record = await app.rehire.record(
            record, user_id=user.id, actor=operator(args), reason=reason, remove_methods=remove
        )
    else:
        record, _ = await app.ledger.create(record)
    ctx.progress(f"recorded joiner {record.tracking_id}; running onboarding")
    outcome = await app.onboard_joiner(OnboardJoiner(record.tracking_id))
    stored = await app.ledger.get(record.tracking_id)
    print_record(stored or record)
    if outcome.retry_in_seconds:
        print(f"\nThe onboarding queue resumes this joiner in {outcome.retry_in_seconds} s.")
    if outcome.status is Status.FAILED:
        return 2
    return 1 if outcome.status is Status.REFUSED else 0


def _event(
    args: argparse.Namespace, user: DirectoryUser | None, hire_date: date, now: datetime
) -> JoinerEvent:
    # Onboarding looks the user up by employeeId, then by UPN. A user without an employeeId gets
    # the UPN in its place: it matches no employeeId, so the UPN lookup finds the account.
    employee_id = (
        args.employee_id
        or (user.employee_id if user else None)
        or (user.user_principal_name if user else "")
    )
    return JoinerEvent(
        # A fresh id per run: an operator re-running onboarding means a new attempt (rehire).
        event_id=f"tapstart-cli:{uuid.uuid4()}",
        occurred_at=now,
        employee_id=employee_id,
        hire_date=hire_date,
        upn=user.user_principal_name if user else args.upn,
        given_name=user.given_name if user else None,
        display_name=user.display_name if user else None,
        preferred_language=user.preferred_language if user else None,
        source="cli",
    )


def _show_preview(
    preview: Preview,
    user: DirectoryUser | None,
    hire_date: date,
    *,
    stale: str | None = None,
    remove: bool = False,
) -> int:
    """The dry run's table and verdict; exit 0 wait/deliver, 1 refuse, 2 fail."""
    rows = [["hire date", hire_date.isoformat()]]
    if stale is not None:
        rows.append(["rehire override", "account-too-old and already-enrolled waived"])
        action = "would remove before the pass" if remove else "kept (--remove-stale-methods)"
        rows.append(["stale methods", f"{stale}: {action}" if stale != "none" else "none"])
    rows.append(["TAP valid from", preview.valid_from.isoformat(timespec="minutes")])
    rows.append(["resolve user", f"{user.user_principal_name} ({user.id})" if user else "-"])
    facts = preview.facts
    if facts is not None:
        for group in facts.groups:
            action = "already a member" if group.id in preview.member_of else "would add"
            kind = ", dynamic membership" if group.dynamic else ""
            rows.append(["group", f"{group.id}: {action} ({group.display_name}{kind})"])
        rows.append(["flood cap", "a TAP slot is free" if facts.cap_open else "reached this hour"])
    verdict, when = preview.verdict, ""
    if preview.then is not None and preview.starts_at is not None:
        rows.append(["today", _describe(verdict)])
        verdict = preview.then
        when = f" on {preview.starts_at.isoformat(timespec='minutes')}"
    rows.append(["decision" + when, _describe(verdict)])
    table(["step", "what would happen"], rows, wrap=(1,))
    code, headline = _verdict_line(verdict)
    print(f"\n{headline}{when} (dry run: nothing changed)")
    return code


def _describe(verdict: Verdict) -> str:
    if isinstance(verdict, Wait):
        return f"WAIT ({verdict.status.value}): resume in {int(verdict.delay.total_seconds())} s"
    if isinstance(verdict, Refuse):
        return f"REFUSED: {verdict.reason} ({reasons.label(verdict.reason)})"
    if isinstance(verdict, Fail):
        return f"FAIL: {verdict.reason} ({verdict.detail})"
    plan = verdict.plan
    start = plan.start.isoformat(timespec="minutes") if plan.start else "immediately"
    clamped = f" (asked {plan.clamped_from}, clamped by the policy)" if plan.clamped_from else ""
    once = "one-time" if plan.one_time else "multi-use"
    return (
        f"TAP {once}, valid from {start}, {plan.lifetime_minutes} min{clamped}; email to the "
        f"{verdict.recipient_label} {mask_email(verdict.recipient)}"
    )


def _verdict_line(verdict: Verdict) -> tuple[int, str]:
    if isinstance(verdict, Refuse):
        return 1, "would REFUSE; nothing would change"
    if isinstance(verdict, Fail):
        return 2, f"would FAIL ({verdict.reason})"
    if isinstance(verdict, Wait):
        return 0, f"would WAIT ({verdict.status.value})"
    return 0, "would DELIVER a TAP"


def print_record(record: JoinerRecord) -> None:
    view: dict[str, Any] = status_view(record)
    tap = view["tap"] or {}
    rows = [
        ["tracking id", view["trackingId"]],
        ["employee id", view["employeeId"] or "-"],
        ["upn", record.upn or "-"],
        ["status", view["status"] + (f" ({view['reason']})" if view["reason"] else "")],
        ["hire date", view["hireDate"]],
        [
            "TAP",
            f"{tap.get('id')} valid from {tap.get('validFrom')}, {tap.get('lifetimeMinutes')} min"
            if tap
            else "-",
        ],
        ["delivered to", view["delivery"]["recipient"] or "-"],
    ]
    if view["reasonDetail"]:
        rows.insert(4, ["detail", view["reasonDetail"]])
    table(["field", "value"], rows, wrap=(1,))
    print()
    steps = [[s["at"][:19], s["step"], s["outcome"], s["detail"]] for s in view["steps"]]
    table(["at (UTC)", "step", "outcome", "detail"], steps, wrap=(3,))
