"""RFC 9457 problem answers for the HTTP triggers: the one place that maps errors to statuses.

Bodies name the field and the problem but never echo a submitted value (shared.intake.names).
Every problem answer carries the security headers of `functions.http_headers` (nosniff,
no-store).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from functions.http_headers import secured
from shared.domain.errors import (
    InvalidEventError,
    PayloadTooLargeError,
    SignatureError,
    UnsupportedMediaError,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemKind:
    slug: str
    title: str


KINDS: dict[int, ProblemKind] = {
    400: ProblemKind("invalid-event", "The HR event is not valid"),
    401: ProblemKind("unauthenticated", "The request signature is missing or not valid"),
    413: ProblemKind("payload-too-large", "The request body is too large"),
    404: ProblemKind("not-found", "Not found"),
    415: ProblemKind("unsupported-media-type", "The content type is not supported"),
    500: ProblemKind("internal-error", "Tapstart could not process the request"),
    503: ProblemKind("temporarily-unavailable", "Tapstart cannot accept events right now"),
}

# Most specific first: a SignatureError is also an InvalidEventError.
_STATUS_OF: tuple[tuple[type[InvalidEventError], int], ...] = (
    (SignatureError, 401),
    (PayloadTooLargeError, 413),
    (UnsupportedMediaError, 415),
    (InvalidEventError, 400),
)


def status_of(error: InvalidEventError) -> int:
    return next(status for kind, status in _STATUS_OF if isinstance(error, kind))


def problem_type(status: int) -> str:
    return f"urn:tapstart:problem:{KINDS[status].slug}"


def problem_body(
    status: int, detail: str, errors: list[tuple[str | None, str]] | None = None
) -> dict[str, Any]:
    kind = KINDS.get(status, KINDS[500])
    body: dict[str, Any] = {
        "type": f"urn:tapstart:problem:{kind.slug}",
        "title": kind.title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": field, "problem": problem} for field, problem in errors]
    return body


def problem_for(error: InvalidEventError) -> dict[str, Any]:
    """The problem body of a refusal; `errors[].problem` is the detail without the field name."""
    problem = error.detail
    if error.field and problem.startswith(error.field + " "):
        problem = problem[len(error.field) + 1 :]
    return problem_body(status_of(error), error.detail, [(error.field, problem)])


def problem_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def problem_response(
    body: dict[str, object], headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return secured(
        func.HttpResponse(
            problem_bytes(body),
            status_code=int(str(body["status"])),
            headers=headers,
            mimetype=PROBLEM_CONTENT_TYPE,
        )
    )


def problem(status: int, detail: str, field: str | None = None) -> func.HttpResponse:
    """A refusal naming the field (a parameter, or None for the request as a whole)."""
    return problem_response(problem_body(status, detail, [(field, detail)]))
