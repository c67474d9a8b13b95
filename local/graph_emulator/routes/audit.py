"""``directoryAudits``: what the emulator recorded (registrations, TAP and group changes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import permissions as perm
from ..clock import graph_datetime
from ..dispatch import GraphRequest, GraphResponse, Router
from ..odata import compile_filter, parse_orderby, parse_select, parse_top, project
from .common import context, paged

if TYPE_CHECKING:
    from ..emulator import Emulator

AUDIT_PROPERTIES = frozenset(
    [
        "id",
        "category",
        "correlationId",
        "result",
        "resultReason",
        "activityDisplayName",
        "activityDateTime",
        "loggedByService",
        "operationType",
        "initiatedBy",
        "targetResources",
        "additionalDetails",
    ]
)


def register(router: Router) -> None:
    router.add("GET", "auditLogs/directoryAudits", perm.AUDIT_READ, "reports")(list_audits)


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "activityDateTime": graph_datetime(entry["activityDateTime"])}


def list_audits(em: Emulator, req: GraphRequest) -> GraphResponse:
    selected = parse_select(req.query.get("$select"), AUDIT_PROPERTIES, "directoryAudit")
    top = parse_top(req.query.get("$top"), 100, 1000)
    rows = {e["id"]: _row(e) for e in em.tenant.audits}
    ids: Sequence[str] | None = None
    if "$skiptoken" not in req.query:
        listed = list(rows.values())
        if "$filter" in req.query:
            flt = compile_filter(req.query["$filter"], AUDIT_PROPERTIES, "directoryAudit")
            listed = [r for r in listed if flt(r)]
        order = parse_orderby(req.query.get("$orderby"), {"activityDateTime"}) or [
            ("activityDateTime", True)
        ]
        listed.sort(key=lambda r: r["activityDateTime"], reverse=order[0][1])
        ids = [r["id"] for r in listed]

    def render(chunk: Sequence[str]) -> bytes:
        return json.dumps([project(rows[i], selected) for i in chunk if i in rows])[1:-1].encode()

    return paged(
        em,
        req,
        ids=ids,
        top=top,
        render=render,
        context_url=context(em, "auditLogs/directoryAudits"),
    )
