"""A Graph read as the checks see it: the JSON body, or why it could not be read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.doctor import portal
from shared.doctor.result import CheckResult, failed


@dataclass(frozen=True)
class ReadFailure:
    status: int  # HTTP status; 0 when the service was not reachable
    code: str
    message: str

    def describe(self) -> str:
        if self.status == 0:
            return f"not reachable ({self.message})"
        return f"{self.status} {self.code}".strip() + (f": {self.message}" if self.message else "")


Fetched = dict[str, Any] | ReadFailure


def unreadable(name: str, what: str, failure: ReadFailure, permission: str) -> CheckResult:
    """A check that could not even read its input: say which read failed and what grants it."""
    if failure.status == 401:
        fix = (
            "check the app's credential: GRAPH_TENANT_ID / GRAPH_CLIENT_ID / GRAPH_CLIENT_SECRET, "
            f"or the managed identity (AZURE_CLIENT_ID) ({portal.APP_SETTINGS})"
        )
    elif failure.status == 403:
        fix = f"grant the application permission {permission} ({portal.API_PERMISSIONS})"
    elif failure.status == 404:
        fix = "check the object id in the app settings"
    else:
        fix = "retry; if it persists, check Graph service health and the app's network access"
    return failed(name, f"cannot read {what}: {failure.describe()}", fix)
