"""HTTP: GET /api/doctor — the same checks as `tapstart doctor`, as JSON.

Function level with a key of its own (`doctor`), handed to monitoring only: the answer maps the
tenant's weak spots, and the master key, which opens every function and the host's admin API,
is given to no caller. Always 200 when the checks ran: the
body's `status` (pass | warn | fail) is the verdict, so monitoring can alert on it.
"""

from __future__ import annotations

import azure.functions as func

from functions.app_services import services
from functions.http_headers import json_answer

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # the library's __init__ is untyped


@bp.route(route="doctor", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def doctor(req: func.HttpRequest) -> func.HttpResponse:  # noqa: ARG001  # the host binds it by name
    report = await services().tenant_doctor()
    body = report.to_json() | {"problems": [r.to_json() for r in report.problems()]}
    return json_answer(body, ensure_ascii=False)
