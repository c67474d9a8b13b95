"""RFC 9457 problem details for refused HR requests.

Bodies name the field and the problem but never echo a submitted value: an HR payload carries
personal data, and a misdirected secret must not bounce back into a log or a proxy cache.
Fields that start with "/" are JSON pointers into the body; other fields name a header.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from shared.domain.errors import InvalidEventError

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
    return problem_body(error.status, error.detail, [(error.field, problem)])


def problem_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


_UNSAFE = re.compile(r"[^A-Za-z0-9_.:@$#+\-]")


def quote_name(name: str, limit: int = 40) -> str:
    """A submitted *name* (a JSON key, a header name) made safe to quote in a problem body.

    Names are not values, but they still come from the sender: keep them short and printable so
    that they cannot smuggle line breaks or markup into logs and answers.
    """
    return f"'{clean_name(name, limit)}'"


def clean_name(name: str, limit: int = 40) -> str:
    """*name* cut to *limit* characters, anything but a few safe ones replaced by '?'."""
    cleaned = _UNSAFE.sub("?", name[:limit])
    return cleaned + "…" if len(name) > limit else cleaned


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
