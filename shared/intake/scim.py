"""SCIM BulkRequest, as HR connectors send it to Entra's API-driven inbound provisioning.

Each operation `{"method": "POST", "path": "/Users", "bulkId": ..., "data": <SCIM user>}` whose
user is `"active": true` becomes one joiner event; other users are skipped and reported back.
Mapping (SCIM → canonical joiner event):

    enterprise extension employeeNumber, else externalId   → employeeId
    userName (when it looks like a UPN)                    → userPrincipalName
    name.givenName / name.familyName / displayName         → givenName / surname / displayName
    title / timezone / preferredLanguage                   → jobTitle / timeZone / preferredLanguage
    enterprise extension department                        → department
    emails[type="home"].value                              → personalEmail
    urn:ietf:params:scim:schemas:extension:tapstart:1.0:User hireDate, else
    employeeHireDate in any other extension schema         → hireDate (date, or date-time: its date)

The enterprise `manager` is accepted and ignored: the TAP goes to the manager read from the
directory, never to anyone named by the event.

Event id: `scim:<employeeId, percent-encoded>:<hireDate>`. A SCIM feed resends a user's whole
state on every run, so an id built from the request or the bulkId would onboard the same person
once per run; built from the person and the hire date, repeats are recognised and a rehire is a
new event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from shared.domain.errors import InvalidEventError
from shared.domain.joiner import JoinerEvent
from shared.intake.canonical import event_from_canonical, relocate
from shared.intake.names import pointer

BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TAPSTART_USER = "urn:ietf:params:scim:schemas:extension:tapstart:1.0:User"
EXTENSION_PREFIX = "urn:ietf:params:scim:schemas:extension:"
# Entra's API-driven provisioning takes at most 50 operations per request; so does Tapstart.
MAX_OPERATIONS = 50
MAX_EMPLOYEE_ID = 16  # Entra's employeeId limit, as in the joiner event schema
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BULK_ID = re.compile(r"^[!-~]{1,128}$")
_DATE_PREFIX = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


@dataclass(frozen=True)
class SkippedOperation:
    bulk_id: str
    reason: str  # "inactive": the user is not `"active": true`

    def to_json(self) -> dict[str, str]:
        return {"bulkId": self.bulk_id, "reason": self.reason}


@dataclass(frozen=True)
class ScimBatch:
    events: tuple[JoinerEvent, ...]
    skipped: tuple[SkippedOperation, ...]


def events_from_bulk_request(document: Any, received_at: datetime) -> ScimBatch:
    """A parsed SCIM BulkRequest → joiner events (active users) and skipped operations."""
    if not isinstance(document, dict):
        raise InvalidEventError("a SCIM BulkRequest must be a JSON object", field="/")
    schemas = document.get("schemas")
    if not isinstance(schemas, list) or BULK_REQUEST_SCHEMA not in schemas:
        raise InvalidEventError(f"/schemas must list {BULK_REQUEST_SCHEMA}", field="/schemas")
    operations = document.get("Operations")
    if not isinstance(operations, list) or not 1 <= len(operations) <= MAX_OPERATIONS:
        raise InvalidEventError(
            f"/Operations must be a list of 1 to {MAX_OPERATIONS} operations", field="/Operations"
        )
    events: list[JoinerEvent] = []
    skipped: list[SkippedOperation] = []
    seen: set[str] = set()
    for index, operation in enumerate(operations):
        bulk_id, user = _user_operation(operation, index)
        if bulk_id in seen:
            field = pointer("Operations", index, "bulkId")
            raise InvalidEventError(f"{field} repeats an earlier bulkId", field=field)
        seen.add(bulk_id)
        if user.get("active") is True:
            events.append(_joiner(user, index, received_at))
        else:
            skipped.append(SkippedOperation(bulk_id, "inactive"))
    return ScimBatch(tuple(events), tuple(skipped))


def _user_operation(operation: Any, index: int) -> tuple[str, dict[str, Any]]:
    here = pointer("Operations", index)
    if not isinstance(operation, dict):
        raise InvalidEventError(f"{here} must be an object", field=here)
    method = operation.get("method")
    if not isinstance(method, str) or method.upper() != "POST":
        raise InvalidEventError(f"{here}/method must be POST", field=f"{here}/method")
    if operation.get("path") != "/Users":
        raise InvalidEventError(f"{here}/path must be /Users", field=f"{here}/path")
    bulk_id = operation.get("bulkId")
    if not isinstance(bulk_id, str) or not _BULK_ID.match(bulk_id):
        raise InvalidEventError(
            f"{here}/bulkId must be 1 to 128 printable ASCII characters", field=f"{here}/bulkId"
        )
    user = operation.get("data")
    if not isinstance(user, dict):
        raise InvalidEventError(f"{here}/data must be a SCIM user object", field=f"{here}/data")
    return bulk_id, user


def _joiner(user: dict[str, Any], index: int, received_at: datetime) -> JoinerEvent:
    base = pointer("Operations", index, "data")
    enterprise = _object(user, ENTERPRISE_USER, base)
    name = _object(user, "name", base)
    sources: dict[str, tuple[Any, str]] = {
        "employeeId": _first(
            (enterprise.get("employeeNumber"), pointer(ENTERPRISE_USER, "employeeNumber")),
            (user.get("externalId"), "/externalId"),
        ),
        "givenName": (name.get("givenName"), "/name/givenName"),
        "surname": (name.get("familyName"), "/name/familyName"),
        "displayName": (user.get("displayName"), "/displayName"),
        "jobTitle": (user.get("title"), "/title"),
        "timeZone": (user.get("timezone"), "/timezone"),
        "preferredLanguage": (user.get("preferredLanguage"), "/preferredLanguage"),
        "department": (enterprise.get("department"), pointer(ENTERPRISE_USER, "department")),
        "personalEmail": _home_email(user),
        "hireDate": _hire_date(user, base),
    }
    user_name = user.get("userName")
    if isinstance(user_name, str) and "@" in user_name:
        sources["userPrincipalName"] = (user_name, "/userName")
    event: dict[str, Any] = {key: value for key, (value, _) in sources.items() if value is not None}
    event["occurredAt"] = received_at.isoformat()
    event["eventId"] = _event_id(event.get("employeeId"), event.get("hireDate"))
    origins = {f"/{key}": base + where for key, (_, where) in sources.items()}
    origins["/eventId"] = origins["/employeeId"]
    origins["/"] = base
    try:
        return event_from_canonical(event, source="scim")
    except InvalidEventError as exc:
        raise relocate(exc, lambda field: origins.get(field, base)) from None


def _event_id(employee_id: Any, hire_date: Any) -> str:
    if (
        isinstance(employee_id, str)
        and len(employee_id) <= MAX_EMPLOYEE_ID
        and isinstance(hire_date, str)
        and _DATE.match(hire_date)
    ):
        return f"scim:{quote(employee_id, safe='', errors='replace')}:{hire_date}"
    # A stand-in that passes the schema, so that the error names employeeId or hireDate.
    return "scim:?"


def _object(parent: Mapping[str, Any], key: str, base: str) -> dict[str, Any]:
    value = parent.get(key, {})
    if not isinstance(value, dict):
        field = base + pointer(key)
        raise InvalidEventError(f"{field} must be an object", field=field)
    return value


def _first(*candidates: tuple[Any, str]) -> tuple[Any, str]:
    return next((c for c in candidates if c[0] is not None), candidates[0])


def _home_email(user: Mapping[str, Any]) -> tuple[Any, str]:
    emails = user.get("emails")
    if isinstance(emails, list):
        for index, email in enumerate(emails):
            if isinstance(email, dict) and email.get("type") == "home":
                return email.get("value"), pointer("emails", index, "value")
    return None, "/emails"


def _hire_date(user: Mapping[str, Any], base: str) -> tuple[Any, str]:
    tapstart = _object(user, TAPSTART_USER, base)
    found: tuple[Any, str] = (tapstart.get("hireDate"), pointer(TAPSTART_USER, "hireDate"))
    if found[0] is None:
        for key, extension in user.items():
            if (
                key.startswith(EXTENSION_PREFIX)
                and isinstance(extension, dict)
                and extension.get("employeeHireDate") is not None
            ):
                found = (extension["employeeHireDate"], pointer(key, "employeeHireDate"))
                break
    value, where = found
    if isinstance(value, str):
        # Entra's employeeHireDate is a date-time; the hire *day* is its date part.
        match = _DATE_PREFIX.match(value)
        if match:
            value = match.group(1)
    return value, where
