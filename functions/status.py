"""HTTP: GET /api/onboarding/{trackingId} — where a joiner stands (function key)."""

from __future__ import annotations

import azure.functions as func

from functions.app_services import services
from functions.http_headers import json_answer
from functions.http_problem import problem

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped


@bp.route(route="onboarding/{trackingId}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def onboarding_status(req: func.HttpRequest) -> func.HttpResponse:
    tracking_id = req.route_params.get("trackingId", "")
    view = await services().joiner_status(tracking_id)
    if view is None:
        return problem(404, f"no joiner with tracking id {tracking_id[:64]!r}", "trackingId")
    return json_answer(view)
