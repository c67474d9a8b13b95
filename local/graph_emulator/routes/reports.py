"""``userRegistrationDetails``: derived from each enabled user's methods and roles, with lag;
an Entra ID Free tenant gets Graph's 403 ``Authentication_RequestFromNonPremiumTenantOrB2CTenant``.

Pages are assembled as bytes: rows without ``$select`` are serialised once and cached, so a
999-row page of a 100,000-user tenant costs a few milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import permissions as perm
from ..dispatch import GraphRequest, GraphResponse, Router
from ..odata import compile_filter, parse_orderby, parse_select, parse_top, project
from ..registration import REPORT_PROPERTIES
from .common import context, ok, paged, require_premium, require_user

if TYPE_CHECKING:
    from ..emulator import Emulator

PATH = "reports/authenticationMethods/userRegistrationDetails"
DEFAULT_PAGE = 100  # undocumented; see docs/graph-emulator.md
MAX_PAGE = 999


def register(router: Router) -> None:
    router.add("GET", PATH, perm.REPORTS_READ, "reports")(list_details)
    router.add("GET", PATH + "/{user}", perm.REPORTS_READ, "reports")(get_details)


def list_details(em: Emulator, req: GraphRequest) -> GraphResponse:
    # "A Microsoft Entra ID P1 or P2 license is required to access authentication methods usage
    # and insights reports" (Graph v1.0, authentication methods usage report API overview).
    require_premium(em)
    selected = parse_select(req.query.get("$select"), REPORT_PROPERTIES, "userRegistrationDetails")
    top = parse_top(req.query.get("$top"), DEFAULT_PAGE, MAX_PAGE)
    users = em.tenant.users
    ids: Sequence[str] | None = None
    if "$skiptoken" not in req.query:
        ids = em.enabled_user_ids()
        if "$filter" in req.query:
            flt = compile_filter(req.query["$filter"], REPORT_PROPERTIES, "userRegistrationDetails")
            ids = [i for i in ids if flt(em.report_row(users[i]))]
        order = parse_orderby(req.query.get("$orderby"), {"userPrincipalName", "userDisplayName"})
        if order:
            ids = list(ids)
            for prop, desc in reversed(order):
                ids.sort(key=_sort_key(em, prop), reverse=desc)

    def render(chunk: Sequence[str]) -> bytes:
        if selected is not None:
            rows = (em.report_row(users[i]) for i in chunk if i in users)
            return json.dumps([project(r, selected) for r in rows])[1:-1].encode()
        return b",".join(em.report_row_json(users[i]) for i in chunk if i in users)

    suffix = f"({','.join(selected)})" if selected else ""
    return paged(
        em,
        req,
        ids=ids,
        top=top,
        render=render,
        context_url=context(em, f"reports/authenticationMethods/userRegistrationDetails{suffix}"),
    )


def _sort_key(em: Emulator, prop: str) -> Callable[[str], str]:
    users = em.tenant.users
    return lambda user_id: str(em.report_row(users[user_id])[prop]).casefold()


def get_details(em: Emulator, req: GraphRequest) -> GraphResponse:
    require_premium(em)
    user = require_user(em, req.params["user"])
    selected = parse_select(req.query.get("$select"), REPORT_PROPERTIES, "userRegistrationDetails")
    return ok(
        {
            "@odata.context": context(
                em, "reports/authenticationMethods/userRegistrationDetails/$entity"
            ),
            **project(em.report_row(user), selected),
        }
    )
