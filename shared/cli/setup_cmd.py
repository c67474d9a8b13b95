"""`tapstart setup plan|apply FILE` and `tapstart setup apply --rollback FILE`: tenant setup as
code (docs/admin-cli.md). `plan` exits 0 when the tenant matches the file, 1 when it differs
(drift), 2 on errors; `apply` exits 0 once the tenant matches (a second apply changes nothing).

The use case is composed here from the app's own Graph adapter and token (the same credential
and base URL as the doctor), because `Services` does not carry it yet.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from datetime import UTC
from pathlib import Path
from typing import Any

from shared.cli.context import CliContext, UsageError
from shared.cli.output import error, table
from shared.domain.tenant_setup import (
    RESOURCES,
    DesiredState,
    Plan,
    SetupFileError,
    parse_desired,
    parse_rollback,
)
from shared.usecases.tenant_setup import SetupError, TenantSetup


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "setup",
        help="tenant setup as code: plan (diff) or apply a desired-state file",
        description="Diff (plan) or make (apply) the TAP, Authenticator, Passkey (FIDO2) and "
        "registration campaign settings a TOML file names; apply writes a rollback file first.",
    )
    parser.add_argument("action", choices=["plan", "apply"])
    parser.add_argument("file", nargs="?", help="the desired-state TOML file")
    parser.add_argument(
        "--rollback", metavar="FILE", help="restore the previous values a rollback file holds"
    )
    parser.add_argument(
        "--rollback-out",
        metavar="PATH",
        help="where apply writes the rollback file (default: tapstart-rollback-<UTC time>.json)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable plan")
    parser.set_defaults(run=setup)


def _desired(ctx: CliContext, args: argparse.Namespace) -> DesiredState:
    if bool(args.file) == bool(args.rollback):
        raise UsageError("setup needs a desired-state FILE or --rollback FILE (one of them)")
    path = Path(args.rollback or args.file)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SetupFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if args.rollback:
            return parse_rollback(json.loads(text))
        document = tomllib.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        kind = "JSON" if args.rollback else "TOML"
        raise SetupFileError(f"{path}: not valid {kind}: {exc}") from None
    try:
        return parse_desired(document, passwordless_groups=ctx.settings.passwordless_group_ids)
    except SetupFileError as exc:
        raise SetupFileError(f"{path}: {exc}") from None


def _use_case(ctx: CliContext) -> TenantSetup:
    from shared.adapters.doctor_probes import token_roles
    from shared.adapters.graph_tenant import GraphTenantReader

    raw = ctx.services.users.raw  # type: ignore[attr-defined]  # the Graph directory's client

    async def roles() -> Any:
        return await token_roles(ctx.settings)

    return TenantSetup(
        tenant=GraphTenantReader(raw),
        roles=roles,
        clock=lambda: ctx.services.clock.now().astimezone(UTC).isoformat(),
        tenant_id=ctx.settings.graph_tenant_id or "",
    )


def _show(value: Any) -> str:
    """A property's value as a person reads it in the plan."""
    if isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value):
        if not value:
            return "(none)"
        parts = []
        for target in value:
            extra = [
                f"{k}={v}"
                for k, v in target.items()
                if k not in ("id", "targetType") and v not in (False, None)
            ]
            if target.get("targetType") not in (None, "group"):
                extra.insert(0, str(target["targetType"]))
            parts.append(str(target["id"]) + (f" ({', '.join(extra)})" if extra else ""))
        return "; ".join(parts)
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "(none)"
    if isinstance(value, dict):
        if set(value) == {"state"}:
            return _show(value["state"])
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items()) or "(empty)"
    if value is None:
        return "(not set)"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def print_plan(the_plan: Plan, verb: str) -> None:
    rows = [
        [RESOURCES[c.resource].label, c.name, _show(c.before), _show(c.after)]
        for c in the_plan.changes
    ]
    table(["resource", "property", "now", "wanted"], rows, wrap=(2, 3))
    resources = len(the_plan.resources())
    print(f"\n{len(the_plan.changes)} change(s) in {resources} resource(s) {verb}")


def _plan_json(the_plan: Plan) -> dict[str, Any]:
    return {
        "changes": [
            {"resource": c.resource, "property": c.name, "now": c.before, "wanted": c.after}
            for c in the_plan.changes
        ]
    }


def _rollback_saver(args: argparse.Namespace, ctx: CliContext) -> Any:
    async def save(document: dict[str, Any]) -> str:
        stamp = ctx.services.clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(args.rollback_out or f"tapstart-rollback-{stamp}.json")
        try:
            with path.open("x", encoding="utf-8") as out:  # never overwrite an earlier rollback
                json.dump(document, out, indent=2, ensure_ascii=False)
                out.write("\n")
        except OSError as exc:
            raise SetupError(
                f"cannot write the rollback file {path}: {exc.strerror or exc}; nothing was changed",
                "pass --rollback-out with a new path in a writable folder",
            ) from None
        return str(path)

    return save


async def setup(ctx: CliContext, args: argparse.Namespace) -> int:
    try:
        desired = _desired(ctx, args)
        use_case = _use_case(ctx)
        if args.action == "plan":
            ctx.progress("reading the tenant's authentication method policies")
            the_plan = await use_case.plan(desired)
            if args.json:
                print(json.dumps(_plan_json(the_plan), indent=2, ensure_ascii=False))
            elif the_plan.empty:
                print("the tenant matches the file: nothing to change")
            else:
                print_plan(the_plan, "to make (`tapstart setup apply` makes them)")
            return 0 if the_plan.empty else 1
        ctx.progress("reading the tenant, then applying the changes")
        applied = await use_case.apply(desired, _rollback_saver(args, ctx))
    except SetupFileError as exc:
        error(str(exc), "correct the file (see examples/tenant-setup.toml and docs/admin-cli.md)")
        return 2
    except SetupError as exc:
        error(str(exc), exc.fix)
        return 2
    if applied.rollback_file is None:
        print("the tenant matches the file: nothing changed")
        return 0
    print_plan(applied.plan, "made")
    print(f"previous values saved in {applied.rollback_file}")
    print(f"undo: tapstart setup apply --rollback {applied.rollback_file}")
    if not applied.remaining.empty:
        error(
            "after the apply the tenant still differs from the file",
            "run `tapstart setup plan` to see what Graph did not take",
        )
        return 2
    return 0
