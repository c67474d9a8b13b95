"""RFC 9457 problem answers for the HTTP triggers."""

from __future__ import annotations

import json

import azure.functions as func


def problem(status: int, title: str, detail: str, **extra: object) -> func.HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype="application/problem+json"
    )
