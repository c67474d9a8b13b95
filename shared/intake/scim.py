"""SCIM BulkRequest, as HR connectors send it to Entra's API-driven inbound provisioning.

Each operation `{"method": "POST", "path": "/Users", "bulkId": ..., "data": <SCIM user>}` whose
user is `"active": true` becomes one joiner event. A user that is not active, and an operation
`{"method": "DELETE", "path": "/Users/<employee id>"}`, withdraw the person's onboarding: each
becomes a *conditional* cancel, acted on only when Tapstart is onboarding that person, else
reported back as skipped (a feed resends every leaver on every run; those are no news).
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
once per run; built from the person and the hire date, repeats are recognised and a rehire (or a
moved start) is a new event. An inactive user's cancel is `scim:<employeeId>:<hireDate>:inactive`
(resends are one event); a DELETE is `scim:<employeeId>:deleted:<received at>` (it is sent once).

Tapstart assigns no SCIM resource ids, so a DELETE's path names the person by employee id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from shared.domain.errors import InvalidEventError
from shared.domain.joiner import JoinerEvent
from shared.intake.canonical import CANCELLED, event_from_canonical, relocate
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
    # "inactive": the user is not `"active": true`, and Tapstart is not onboarding them;
    # "not_onboarding": a DELETE for a person Tapstart is not onboarding.
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"bulkId": self.bulk_id, "reason": self.reason}


@dataclass(frozen=True)
class ConditionalCancel:
    """A withdrawal that counts only if Tapstart is onboarding the person; else `skipped`."""

    event: JoinerEvent
    skipped: SkippedOperation


@dataclass(frozen=True)
class ScimBatch:
    events: tuple[JoinerEvent, ...]
    skipped: tuple[SkippedOperation, ...]
    cancels: tuple[ConditionalCancel, ...] = ()


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
    cancels: list[ConditionalCancel] = []
    seen: set[str] = set()
    for index, operation in enumerate(operations):
        method = _method(operation, index)
        if method == "DELETE":
            bulk_id, employee_id = _delete_operation(operation, index)
            cancel = _cancel(employee_id, None, f"deleted:{_stamp(received_at)}", received_at)
            cancels.append(ConditionalCancel(cancel, SkippedOperation(bulk_id, "not_onboarding")))
            continue
        bulk_id, user = _user_operation(operation, index)
        if bulk_id in seen:
            field = pointer("Operations", index, "bulkId")
            raise InvalidEventError(f"{field} repeats an earlier bulkId", field=field)
        seen.add(bulk_id)
        if user.get("active") is True:
            events.append(_joiner(user, index, received_at))
            continue
        inactive = SkippedOperation(bulk_id, "inactive")
        withdrawal = _inactive_cancel(user, received_at)
        if withdrawal is None:
            skipped.append(inactive)
        else:
            cancels.append(ConditionalCancel(withdrawal, inactive))
    return ScimBatch(tuple(events), tuple(skipped), tuple(cancels))


def _method(operation: Any, index: int) -> str:
    here = pointer("Operations", index)
    if not isinstance(operation, dict):
        raise InvalidEventError(f"{here} must be an object", field=here)
    method = operation.get("method")
    if not isinstance(method, str) or method.upper() not in {"POST", "DELETE"}:
        raise InvalidEventError(f"{here}/method must be POST or DELETE", field=f"{here}/method")
    return method.upper()


def _bulk_id(operation: dict[str, Any], here: str, default: str | None = None) -> str:
    bulk_id = operation.get("bulkId", default)
    if not isinstance(bulk_id, str) or not _BULK_ID.match(bulk_id):
        raise InvalidEventError(
            f"{here}/bulkId must be 1 to 128 printable ASCII characters", field=f"{here}/bulkId"
        )
    return bulk_id


def _user_operation(operation: dict[str, Any], index: int) -> tuple[str, dict[str, Any]]:
    here = pointer("Operations", index)
    if operation.get("path") != "/Users":
        raise InvalidEventError(f"{here}/path must be /Users", field=f"{here}/path")
    bulk_id = _bulk_id(operation, here)
    user = operation.get("data")
    if not isinstance(user, dict):
        raise InvalidEventError(f"{here}/data must be a SCIM user object", field=f"{here}/data")
    return bulk_id, user


def _delete_operation(operation: dict[str, Any], index: int) -> tuple[str, str]:
    """A DELETE's bulk id (RFC 7644 makes it optional: default, the path) and employee id."""
    here = pointer("Operations", index)
    path = operation.get("path")
    segment = path.removeprefix("/Users/") if isinstance(path, str) else ""
    employee_id = "" if segment == path or "/" in segment else unquote(segment, errors="replace")
    printable = all(ord(c) >= 32 and ord(c) != 127 for c in employee_id)
    if not 1 <= len(employee_id) <= MAX_EMPLOYEE_ID or not printable:
        raise InvalidEventError(
            f"{here}/path must be /Users/<employee id> (1 to {MAX_EMPLOYEE_ID} characters)",
            field=f"{here}/path",
        )
    return _bulk_id(operation, here, default=path), employee_id


def _inactive_cancel(user: dict[str, Any], received_at: datetime) -> JoinerEvent | None:
    """An inactive user, as a conditional cancel; None when it names no usable employee id (it
    then cannot be anyone Tapstart onboards, and inactive users were never an error)."""
    enterprise = user.get(ENTERPRISE_USER)
    number = enterprise.get("employeeNumber") if isinstance(enterprise, dict) else None
    employee_id = number if number is not None else user.get("externalId")
    if not isinstance(employee_id, str) or not 1 <= len(employee_id) <= MAX_EMPLOYEE_ID:
        return None
    try:
        hire_date, _ = _hire_date(user, "")
    except InvalidEventError:
        hire_date = None
    day = hire_date if isinstance(hire_date, str) and _DATE.match(hire_date) else None
    suffix = f"{day}:inactive" if day else "inactive"
    try:
        return _cancel(employee_id, day, suffix, received_at)
    except InvalidEventError:
        return None


def _cancel(employee_id: str, day: str | None, suffix: str, received_at: datetime) -> JoinerEvent:
    """A withdrawal names the person by employee id alone (a person is their employee id)."""
    event: dict[str, Any] = {
        "type": CANCELLED,
        "eventId": f"scim:{quote(employee_id, safe='', errors='replace')}:{suffix}",
        "occurredAt": received_at.isoformat(),
        "employeeId": employee_id,
        "reason": "the HR feed deactivated the user" if "inactive" in suffix else "deleted by SCIM",
    }
    if day is not None:
        event["hireDate"] = day
    return event_from_canonical(event, source="scim")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


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
