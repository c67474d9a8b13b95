"""Graph error bodies and the exact messages Tapstart relies on.

Graph answers every failure with ``{"error": {"code", "message", "innerError": {...}}}`` and a
JSON content type; the SDK only raises a typed ``ODataError`` when both are present.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

ALREADY_MEMBER = (
    "One or more added object references already exist for the following modified properties: "
    "'members'."
)
POLICY_REFUSES_TAP = (
    "Converged UserCredentialPolicy does not allow creating or updating this authentication "
    "method. AuthMethodType [TemporaryAccessPass]."
)
GUEST_REFUSES_TAP = "Temporary Access Pass cannot be added to an external guest user."
# Not documented by Microsoft (see docs/graph-emulator.md): the most plausible wording.
MULTI_USE_REFUSED = (
    "Temporary Access Pass policy requires one-time use; a multi-use Temporary Access Pass "
    "cannot be created."
)
INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation."
METHOD_NOT_ALLOWED = "Specified HTTP method is not allowed for the request target."


def lifetime_out_of_range(minimum: int, maximum: int) -> str:
    return f"Invalid LifetimeInMinutes specified. The valid range between {minimum} and {maximum}."


def not_found_message(resource: str) -> str:
    return (
        f"Resource '{resource}' does not exist or one of its queried reference-property "
        "objects are not present."
    )


class GraphError(Exception):
    """Raised by a handler; the dispatcher turns it into a Graph error response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        inner: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.inner = inner or {}


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)


def not_found(resource: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound", not_found_message(resource))


def unknown_segment(segment: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def error_body(
    error: GraphError, request_id: str, client_request_id: str, now: datetime | None = None
) -> dict[str, Any]:
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
    inner: dict[str, Any] = {**error.inner}
    inner.update({"date": when, "request-id": request_id, "client-request-id": client_request_id})
    return {"error": {"code": error.code, "message": error.message, "innerError": inner}}
