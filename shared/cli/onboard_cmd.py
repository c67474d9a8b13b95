"""`tapstart onboard --upn X | --employee-id X [--hire-date D] [--dry-run]`.

For a rehire or a missed HR event: records a synthetic joiner event in the ledger (as the HR
intake would) and runs the same onboarding use case inline. `--dry-run` only reads: it resolves
the user and evaluates the guardrails and the TAP plan with the same pure functions.
"""

from __future__ import annotations

import argparse
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from shared.adapters.graph_directory import USER_FIELDS, user_from_json
from shared.adapters.graph_raw import GraphRequestError
from shared.cli.context import CliContext, UsageError
from shared.cli.output import table
from shared.doctor import graph_of
from shared.domain.directory import DirectoryUser
from shared.domain.email import mask_email
from shared.domain.errors import PermanentError
from shared.domain.guardrails import REASONS, refusal_reason
from shared.domain.joiner import JoinerEvent
from shared.domain.record import JoinerRecord, Status
from shared.domain.tap_plan import hire_day_start, onboarding_wait, plan_tap
from shared.usecases.joiner_status import status_view
from shared.usecases.onboard_joiner import Deps, onboard_joiner


def _hire_date(ctx: CliContext, args: argparse.Namespace) -> date:
    if args.hire_date:
        try:
            return date.fromisoformat(args.hire_date)
        except ValueError:
            raise UsageError(f"--hire-date {args.hire_date!r} is not a date (YYYY-MM-DD)") from None
    return datetime.now(ZoneInfo(ctx.settings.default_time_zone)).date()


async def resolve_user(ctx: CliContext, args: argparse.Namespace) -> DirectoryUser | None:
    ctx.progress("resolving the user in Entra ID")
    if args.employee_id:
        return await ctx.container.directory.find_user(args.employee_id, args.upn)
    try:
        body = await graph_of(ctx.container.directory).request(
            "GET", f"/users/{quote(args.upn)}?$select={USER_FIELDS}"
        )
    except GraphRequestError as exc:
        if exc.status == 404:
            return None
        raise exc.as_tapstart_error("find user") from exc
    return user_from_json(body)


async def onboard(ctx: CliContext, args: argparse.Namespace) -> int:
    hire_date = _hire_date(ctx, args)
    user = await resolve_user(ctx, args)
    if args.dry_run:
        return await _dry_run(ctx, user, hire_date)
    if user is None and not args.employee_id:
        raise UsageError(
            f"no Entra user {args.upn!r}; pass --employee-id to record the joiner and wait for "
            "the account to appear"
        )
    c = ctx.container
    event = _event(args, user, hire_date, c.clock.now())
    record, _ = await c.ledger.create(JoinerRecord.accept(event, c.clock.now()))
    ctx.progress(f"recorded joiner {record.tracking_id}; running onboarding")
    deps = Deps(ctx.settings, c.ledger, c.directory, c.mailer, c.queue, c.clock)
    outcome = await onboard_joiner(record.tracking_id, deps)
    stored = await c.ledger.get(record.tracking_id)
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


@dataclass
class _Plan:
    rows: list[list[str]]

    def add(self, step: str, what: str) -> None:
        self.rows.append([step, what])


async def _dry_run(ctx: CliContext, user: DirectoryUser | None, hire_date: date) -> int:
    s, directory, now = ctx.settings, ctx.container.directory, ctx.container.clock.now()
    plan = _Plan([])
    plan.add("hire date", hire_date.isoformat())
    if user is None:
        plan.add(
            "resolve user",
            f"not in Entra ID yet: would wait up to {s.provisioning_deadline_hours} h",
        )
        return _show(plan, "would WAIT for the account", 0)
    plan.add("resolve user", f"{user.user_principal_name} ({user.id})")
    valid_from = hire_day_start(hire_date, s.default_time_zone, s.tap_start_hour)
    wait = onboarding_wait(valid_from, now, s.prehire_lead_days)
    if wait is not None:
        plan.add("pre-hire", f"would wait until {(now + wait).isoformat(timespec='minutes')}")
    ctx.progress("evaluating guardrails")
    reason = refusal_reason(
        user,
        is_admin=await directory.is_admin(user.id),
        method_types=await directory.method_types(user.id),
        now=now,
        max_account_age_days=s.max_account_age_days,
    )
    if reason:
        plan.add("guardrails", f"REFUSED: {reason} ({REASONS.get(reason, '')})")
        return _show(plan, "would REFUSE; nothing would change", 1)
    plan.add("guardrails", "pass (not admin, not guest, enabled, no strong method, recent account)")
    member_of = set(await directory.group_ids_of(user.id, list(s.passwordless_group_ids)))
    for group in s.passwordless_group_ids:
        plan.add(
            "group", f"{group}: " + ("already a member" if group in member_of else "would add")
        )
    ctx.progress("planning the TAP inside the tenant's policy")
    try:
        tap = await _tap_plan(ctx, user, valid_from, now)
    except PermanentError as exc:
        plan.add("TAP", f"FAIL: {exc.reason} ({exc.detail})")
        return _show(plan, "would FAIL at the TAP step", 2)
    plan.add("TAP", tap)
    manager = await directory.get_manager(user.id)
    recipient = (manager.mail if manager and manager.mail else None) or s.fallback_delivery_email
    if not recipient:
        plan.add("delivery", "FAIL: no manager mail and no FALLBACK_DELIVERY_EMAIL")
        return _show(plan, "would FAIL at delivery", 2)
    who = "manager" if manager and manager.mail else "FALLBACK_DELIVERY_EMAIL"
    plan.add("delivery", f"TAP email to the {who} {mask_email(recipient)}")
    verdict = "would WAIT for the hire date, then deliver" if wait else "would DELIVER a TAP"
    return _show(plan, verdict + " (dry run: nothing changed)", 0)


async def _tap_plan(
    ctx: CliContext, user: DirectoryUser, valid_from: datetime, now: datetime
) -> str:
    directory, s = ctx.container.directory, ctx.settings
    policy = await directory.tap_policy()
    groups = set(s.passwordless_group_ids)
    unknown = (set(policy.include_group_ids) | set(policy.exclude_group_ids)) - groups
    if unknown:
        groups |= set(await directory.group_ids_of(user.id, sorted(unknown)))
    tap = plan_tap(
        policy,
        requested_lifetime=s.tap_lifetime_minutes,
        requested_one_time=s.tap_one_time,
        valid_from=valid_from,
        now=now,
        user_group_ids=groups,
    )
    start = tap.start.isoformat(timespec="minutes") if tap.start else "immediately"
    clamped = f" (asked {tap.clamped_from}, clamped by the policy)" if tap.clamped_from else ""
    once = "one-time" if tap.one_time else "multi-use"
    return f"{once}, valid from {start}, {tap.lifetime_minutes} min{clamped}"


def _show(plan: _Plan, verdict: str, code: int) -> int:
    table(["step", "what would happen"], plan.rows, wrap=(1,))
    print(f"\n{verdict}")
    return code


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
