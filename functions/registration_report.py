"""The daily registration report.

- `registration_report_timer` (schedule %REPORT_SCHEDULE%, UTC): the daily run (its isolated
  jobs: shared/usecases/daily_run.py) — report, snapshot, digest to the admins, reminder fan-out. Retry owner: none (timers are not retried);
  a missed run is caught up by the next, and reminders fan out from the ledger either way.
- `report_run` (POST /api/reports/run, admin key): build and send one now.
- `report_latest` (GET /api/reports/latest?format=html|json, admin key): the latest snapshot;
  the HTML page is served with a Content-Security-Policy (functions/http_headers.py) that allows
  inline styles and images from data: and the brand logo's origin only.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict

import azure.functions as func

from functions.app_services import services
from functions.http_headers import html_answer, image_origin, json_answer
from functions.http_problem import problem, problem_body, problem_response
from shared.domain.errors import TransientError
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


@bp.route(route="reports/run", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def report_run(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001 - the binding name
    try:
        run = await services().daily_run(scheduled=False)
    except TransientError as exc:
        # The digest could not go out yet (e.g. the shared email budget is spent): say when to
        # come back instead of a bare 500. The run's other work is idempotent on a retry.
        wait = max(1, math.ceil(exc.retry_after or 60))
        body = problem_body(503, f"the report could not be sent yet ({exc.reason}); retry later")
        return problem_response(body, headers={"Retry-After": str(wait)})
    return json_answer(_run_json(run), status=200 if run.ok else 502)


@bp.route(route="reports/latest", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def report_latest(req: func.HttpRequest) -> func.HttpResponse:
    app = services()
    store = app.snapshots
    ref = await store.latest()
    if ref is None:
        return problem(404, "no report snapshot is stored yet; POST /api/reports/run builds one")
    fmt = req.params.get("format", "html")
    if fmt not in ("html", "json"):
        return problem(400, f"format must be html or json, not {fmt[:20]!r}", "format")
    if fmt == "json":
        figures = await store.figures(ref)
        return json_answer(figures)
    html = await store.read(ref, REPORT_HTML)
    logo = image_origin(app.settings.brand_logo_url)
    return html_answer(html or b"", img_src=[logo] if logo else [])


def _run_json(run: ReportRun) -> dict[str, object]:
    def plain(value: object) -> object:
        return value.isoformat() if hasattr(value, "isoformat") else value

    body = {k: plain(v) for k, v in asdict(run).items() if k not in ("jobs", "campaign")}
    body["jobs"] = [asdict(job) for job in run.jobs]
    body["campaign"] = run.campaign.to_json() if run.campaign else None
    body["failedJobs"] = list(run.failed_jobs)
    return body
