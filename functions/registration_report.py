"""The daily registration report.

- `registration_report_timer` (schedule %REPORT_SCHEDULE%, UTC): the daily run (its isolated
  jobs: shared/usecases/daily_run.py) — report, snapshot, digest to the admins, reminder fan-out. Retry owner: none (timers are not retried);
  a missed run is caught up by the next, and reminders fan out from the ledger either way.
- `report_run` (POST /api/reports/run, admin key): build and send one now.
- `report_latest` (GET /api/reports/latest?format=html|json, admin key): the latest snapshot.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

import azure.functions as func

from functions.app_services import services
from functions.http_problem import problem
from shared.report.snapshots import REPORT_HTML
from shared.usecases.daily_run import ReportRun

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped
log = logging.getLogger(__name__)


@bp.timer_trigger(
    arg_name="timer", schedule="%REPORT_SCHEDULE%", run_on_startup=False, use_monitor=True
)
async def registration_report_timer(timer: func.TimerRequest) -> None:
    run = await services().daily_run(scheduled=True)
    log.info(
        "scheduled report finished", extra={"outcome": run.outcome, "past_due": timer.past_due}
    )


@bp.route(route="reports/run", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
async def report_run(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001 - the binding name
    run = await services().daily_run(scheduled=False)
    body = _run_json(run)
    return func.HttpResponse(
        json.dumps(body), status_code=200 if run.ok else 502, mimetype="application/json"
    )


@bp.route(route="reports/latest", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
async def report_latest(req: func.HttpRequest) -> func.HttpResponse:
    store = services().snapshots
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


def _run_json(run: ReportRun) -> dict[str, object]:
    def plain(value: object) -> object:
        return value.isoformat() if hasattr(value, "isoformat") else value

    body = {k: plain(v) for k, v in asdict(run).items() if k != "jobs"}
    body["jobs"] = [asdict(job) for job in run.jobs]
    body["failedJobs"] = list(run.failed_jobs)
    return body
