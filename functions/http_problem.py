"""RFC 9457 problem answers for the HTTP triggers (one body format: shared.intake.problem)."""

from __future__ import annotations

import azure.functions as func

from shared.intake.problem import PROBLEM_CONTENT_TYPE, problem_body, problem_bytes


def problem_response(
    body: dict[str, object], headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        problem_bytes(body),
        status_code=int(str(body["status"])),
        headers=headers,
        mimetype=PROBLEM_CONTENT_TYPE,
    )


def problem(status: int, detail: str, field: str | None = None) -> func.HttpResponse:
    """A refusal naming the field (a parameter, or None for the request as a whole)."""
    return problem_response(problem_body(status, detail, [(field, detail)]))
