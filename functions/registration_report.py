"""The daily registration report.

- `registration_report_timer` (schedule %REPORT_SCHEDULE%, UTC): builds the report, stores the
  snapshot, mails the admins, fans out reminders. Retry owner: none (timers are not retried);
  a missed run is caught up by the next, and reminders fan out from the ledger either way.
- `report_run` (POST /api/reports/run, admin key): build and send one now.
- `report_latest` (GET /api/reports/latest?format=html|json, admin key): the latest snapshot.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

import azure.functions as func

from functions.http_problem import problem
from shared.bootstrap import get_container
from shared.doctor.runner import graph_of, run_doctor
from shared.report.snapshots import REPORT_HTML, SnapshotStore
from shared.usecases.build_report import ReportRun, build_report

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped
log = logging.getLogger(__name__)


async def _setup_findings() -> list[dict[str, str]]:
    """The doctor's failures and warnings, for the top of the report; never fails the report."""
    c = get_container()
    try:
        report = await run_doctor(c.settings, graph_of(c.directory))
    except Exception:  # a broken check must not cost the admins their report
        log.exception("doctor checks for the report failed")
        return []
    return [r.to_json() for r in report.problems()]


async def _build(*, scheduled: bool) -> ReportRun:
    c = get_container()
    return await build_report(
        c.directory,
        c.ledger,
        c.blobs,
        c.mailer,
        c.queue,
        c.settings,
        c.clock,
        scheduled=scheduled,
        setup_findings=await _setup_findings(),
    )


@bp.timer_trigger(
    arg_name="timer", schedule="%REPORT_SCHEDULE%", run_on_startup=False, use_monitor=True
)
async def registration_report_timer(timer: func.TimerRequest) -> None:
    run = await _build(scheduled=True)
    log.info(
        "scheduled report finished", extra={"outcome": run.outcome, "past_due": timer.past_due}
    )


@bp.route(route="reports/run", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
async def report_run(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001 - the binding name
    run = await _build(scheduled=False)
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(run).items()}
    return func.HttpResponse(
        json.dumps(body), status_code=200 if run.ok else 502, mimetype="application/json"
    )


@bp.route(route="reports/latest", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
async def report_latest(req: func.HttpRequest) -> func.HttpResponse:
    store = SnapshotStore(get_container().blobs)
    ref = await store.latest()
    if ref is None:
        return problem(404, "no report snapshot is stored yet; POST /api/reports/run builds one")
    fmt = req.params.get("format", "html")
    if fmt not in ("html", "json"):
        return problem(400, f"format must be html or json, not {fmt[:20]!r}", "format")
    if fmt == "json":
        figures = await store.figures(ref)
        return func.HttpResponse(json.dumps(figures), mimetype="application/json")
    html = await store.read(ref, REPORT_HTML)
    return func.HttpResponse(html or b"", mimetype="text/html")
