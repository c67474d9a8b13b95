"""Tapstart's canonical joiner event (schemas/joiner-event.schema.json) → `JoinerEvent`.

`type` says what happened: `joiner.hired` (the default; a new hire date for the same employee id
is a moved start) or `joiner.cancelled` (the offer was withdrawn; it names the person and may
give a reason, the hire fields are then optional).

The schema is compiled once at import. Schema errors are rewritten into a JSON pointer and a
sentence that names the rule, never the submitted value. Checks a schema cannot express (the
time zone exists, dates stay in a sane range) follow in Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import fastjsonschema

from shared.domain.errors import InvalidEventError
from shared.domain.joiner import JoinerEvent
from shared.intake.names import clean_name, pointer

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "joiner-event.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
_validate: Callable[[Any], Any] = fastjsonschema.compile(SCHEMA)
_PROPERTIES: dict[str, dict[str, Any]] = SCHEMA["properties"]

# Beyond these years a date is a typo, and date arithmetic downstream could overflow.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

_PATTERN_HINTS = {
    "eventId": "must be printable ASCII without spaces",
    "userPrincipalName": "must look like name@domain, without spaces",
    "timeZone": "must be an IANA time zone name such as Europe/Paris",
    "preferredLanguage": "must be a BCP 47 language tag such as en or fr-FR",
    "personalEmail": "must be an email address without spaces",
}
HIRED, CANCELLED = "joiner.hired", "joiner.cancelled"  # the event types
_FORMAT_HINTS = {
    "date": "must be a calendar date written YYYY-MM-DD",
    "date-time": "must be an RFC 3339 date-time with an offset, e.g. 2026-11-28T09:00:00Z",
    "email": "must be an email address",
}


@cache
def _time_zones() -> frozenset[str]:
    # A fixed set, looked up by key: hostile names never reach the file system.
    return frozenset(available_timezones())


def validate_canonical(data: Any) -> None:
    """Raise InvalidEventError (field = JSON pointer within the event) unless *data* is valid."""
    if not isinstance(data, dict):
        raise InvalidEventError("the joiner event must be a JSON object", field="/")
    try:
        _validate(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        field, problem = _describe(exc, data)
        raise InvalidEventError(f"{field} {problem}", field=field) from None
    zone = data.get("timeZone")
    if zone is not None and zone not in _time_zones():
        raise InvalidEventError(
            "/timeZone is not a time zone of the IANA tz database", field="/timeZone"
        )


def _describe(
    exc: fastjsonschema.JsonSchemaValueException, data: Mapping[str, Any]
) -> tuple[str, str]:
    path = [str(p) for p in (exc.path or [])[1:]]  # the first part is the root, "data"
    rule, definition = exc.rule, exc.definition if isinstance(exc.definition, dict) else {}
    if rule == "required":
        required = definition.get("required") or SCHEMA["required"]
        missing = next((name for name in required if name not in data), required[0])
        if missing in SCHEMA["required"]:
            return pointer(missing), "is required"
        return pointer(missing), f"is required (for a {data.get('type', HIRED)})"
    if rule == "additionalProperties":
        extra = sorted(name for name in data if name not in _PROPERTIES)[0]
        return pointer(clean_name(extra)), "is not a property of the joiner event (see its schema)"
    field = pointer(*path)
    name = path[-1] if path else ""
    if rule == "type":
        return field, f"must be a {definition.get('type', 'value of the right type')}"
    if rule == "minLength":
        return field, f"must be at least {definition['minLength']} characters long"
    if rule == "maxLength":
        return field, f"must be at most {definition['maxLength']} characters long"
    if rule == "enum":
        return field, "must be one of " + ", ".join(str(v) for v in definition.get("enum", ()))
    if rule == "pattern":
        return field, _PATTERN_HINTS.get(name, "must not contain control characters")
    if rule == "format":
        return field, _FORMAT_HINTS.get(definition.get("format", ""), "has the wrong format")
    return field, f"is not valid ({rule})"


def event_from_canonical(data: Any, source: str = "canonical") -> JoinerEvent:
    """Validate a canonical event (already parsed JSON) and build the domain event."""
    validate_canonical(data)
    occurred_at = _datetime(data["occurredAt"], "/occurredAt")
    cancelled = data.get("type") == CANCELLED
    # A cancel may leave the hire date out; its hire date is never used.
    hire = data.get("hireDate")
    hire_date = _date(hire, "/hireDate") if hire is not None else occurred_at.date()
    return JoinerEvent(
        event_id=data["eventId"],
        occurred_at=occurred_at,
        employee_id=data["employeeId"],
        hire_date=hire_date,
        upn=data.get("userPrincipalName"),
        given_name=data.get("givenName"),
        surname=data.get("surname"),
        display_name=data.get("displayName"),
        time_zone=data.get("timeZone"),
        department=data.get("department"),
        job_title=data.get("jobTitle"),
        preferred_language=data.get("preferredLanguage"),
        personal_email=data.get("personalEmail"),
        source=source,
        kind="cancel" if cancelled else "hire",
        reason=data.get("reason"),
    )


def _date(text: str, field: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InvalidEventError(f"{field} {_FORMAT_HINTS['date']}", field=field) from None
    _check_year(value.year, field)
    return value


def _datetime(text: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEventError(f"{field} {_FORMAT_HINTS['date-time']}", field=field) from None
    if value.tzinfo is None:
        raise InvalidEventError(f"{field} needs an offset or Z", field=field)
    _check_year(value.year, field)
    return value


def _check_year(year: int, field: str) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidEventError(
            f"{field} must fall between the years {EARLIEST_YEAR} and {LATEST_YEAR}", field=field
        )


def relocate(error: InvalidEventError, map_field: Callable[[str], str]) -> InvalidEventError:
    """The same error with its field (and the pointer quoted in its detail) mapped elsewhere."""
    field = error.field or "/"
    target = map_field(field)
    detail = error.detail
    if detail.startswith(field):
        detail = target + detail[len(field) :]
    return type(error)(detail, field=target)
