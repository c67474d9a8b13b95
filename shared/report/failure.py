"""Why a report run could not produce a report, in words an admin can act on.

The Graph adapter raises `PermanentError(reason=...)` or `TransientError`; a read that returns
no users is a failure too (an empty report would look like "nobody registered anything").
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.errors import PermanentError, TransientError

ZERO_USERS = "report_zero_users"
GRAPH_UNAVAILABLE = "graph_unavailable"


@dataclass(frozen=True)
class ReportFailure:
    reason: str
    headline: str
    why: str
    fix: tuple[str, ...]
    detail: str = ""
    next_step: str = "The next scheduled run will try again; nothing else needs restarting."


_PERMISSION_FIX = (
    "Check that the tenant has Microsoft Entra ID P1 or P2: the authentication methods "
    "registration report needs it (Entra admin center > Billing > Licenses).",
    "Check that the Tapstart app (its managed identity) has the Microsoft Graph application "
    "permission AuditLog.Read.All with admin consent (infra/ grants it; re-run the grant "
    "if it was removed).",
    "Permission changes can take a few minutes to apply; then build the report again from "
    "the admin endpoint.",
)

_KNOWN: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "report_forbidden": (
        "Microsoft Graph refused to give out the registration report (403 Forbidden).",
        "Graph answers 403 when the tenant lacks an Entra ID P1/P2 licence or when the app lacks "
        "the AuditLog.Read.All permission (a 401 means the app's credential itself was refused).",
        _PERMISSION_FIX,
    ),
    "report_unauthorized": (
        "Tapstart could not sign in to Microsoft Graph (401 Unauthorized).",
        "The app's credential was rejected: the managed identity is missing or the client "
        "secret (local setups only) expired.",
        (
            "Check the Function App's managed identity and AZURE_CLIENT_ID.",
            "For a client-secret setup, renew GRAPH_CLIENT_SECRET.",
        ),
    ),
    GRAPH_UNAVAILABLE: (
        "Microsoft Graph did not answer, even after retries.",
        "Graph was down, throttling beyond the retry budget, or unreachable from the Function App.",
        (
            "Check the Microsoft 365 service health page for Graph or Entra ID incidents.",
            "If it persists, check the Function App's outbound network (VNet, firewall, DNS).",
        ),
    ),
    ZERO_USERS: (
        "The registration report returned no users.",
        "An empty report usually means the report is not populated yet (new tenant or new "
        "licence: Entra fills it within about a day), or every account is disabled (disabled "
        "accounts are left out of the report).",
        (
            "Open Entra admin center > Protection > Authentication methods > User registration "
            "details and check that users appear there.",
            "If the tenant was just licensed, wait a day; the next run will pick it up.",
        ),
    ),
}


# The Graph adapter's generic codes for the same situations.
_ALIASES = {"graph_forbidden": "report_forbidden", "report_unlicensed": "report_forbidden"}


def failure_for(reason: str, detail: str = "") -> ReportFailure:
    known = _KNOWN.get(_ALIASES.get(reason, reason))
    if known is None:
        return ReportFailure(
            reason=reason,
            headline="The registration report could not be read.",
            why="Microsoft Graph returned an error Tapstart does not know how to explain.",
            fix=(
                "Look up the reason code below in the Function App's logs (Application Insights) "
                "for the full error.",
                *_PERMISSION_FIX[:2],
            ),
            detail=detail,
        )
    headline, why, fix = known
    return ReportFailure(reason, headline, why, fix, detail)


def failure_from_error(error: PermanentError | TransientError) -> ReportFailure:
    if isinstance(error, TransientError):
        return failure_for(GRAPH_UNAVAILABLE, error.reason)
    return failure_for(error.reason, error.detail)
