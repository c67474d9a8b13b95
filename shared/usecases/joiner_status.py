"""Use case: where a joiner stands, for HR and admins. Never the TAP; recipients masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.email import mask_email
from shared.domain.record import JoinerRecord
from shared.ports import LedgerReader


def status_view(record: JoinerRecord) -> dict[str, Any]:
    return {
        "trackingId": record.tracking_id,
        "eventId": record.event_id,
        "employeeId": record.employee_id,
        "status": record.status.value,
        "final": record.status.final,
        "reason": record.reason,
        "reasonDetail": record.reason_detail,
        # One person, one onboarding: the records a moved start (or a resend) links together.
        "kind": record.kind,
        "supersededBy": record.superseded_by,
        "movedFrom": record.moved_from,
        "hireDate": record.hire_date.isoformat(),
        "acceptedAt": record.accepted_at.isoformat(),
        "updatedAt": record.updated_at.isoformat() if record.updated_at else None,
        "tap": {
            "id": record.tap_id,
            "validFrom": record.tap_start.isoformat() if record.tap_start else None,
            "lifetimeMinutes": record.tap_lifetime_minutes,
            "oneTime": record.tap_one_time,
        }
        if record.tap_id
        else None,
        "delivery": {
            "recipient": record.delivered_to_masked,
            "operationId": record.delivery_operation_id,
            "deliveredAt": record.delivered_at.isoformat() if record.delivered_at else None,
        },
        "enrolledAt": record.enrolled_at.isoformat() if record.enrolled_at else None,
        "stage": record.stage.value if record.stage else None,
        "stages": {
            "tapUsedAt": _iso(record.tap_used_at),
            "authenticatorAt": _iso(record.authenticator_at),
            "targetReachedAt": _iso(record.enrolled_at),
            "targetMethod": record.target_method,
        },
        "tapRetiredAt": _iso(record.tap_retired_at),
        "steps": [s.to_json() for s in record.steps],
        "reminders": {
            "sent": sum(1 for r in record.reminders if r.outcome == "sent"),
            "skipped": sum(1 for r in record.reminders if r.outcome.startswith("skipped")),
            "failed": sum(1 for r in record.reminders if r.outcome == "failed"),
            "log": [r.to_json() for r in record.reminders],
        },
        "personalEmail": mask_email(record.personal_email) if record.personal_email else None,
    }


# Steps whose detail is the account's object id: not for the HTTP answer.
_OBJECT_ID_STEPS = frozenset({"resolve_user"})


def public_view(record: JoinerRecord) -> dict[str, Any]:
    """The HTTP answer (whoever holds a key of the status function: the service desk): the view without
    the account's object id and without the pass's validity window — where the onboarding
    stands, not the facts someone guessing tracking ids could use. The CLI shows it all."""
    view = status_view(record)
    if view["tap"] is not None:
        view["tap"] = {"id": view["tap"]["id"]}
    view["steps"] = [
        {**step, "detail": ""} if step["step"] in _OBJECT_ID_STEPS else step
        for step in view["steps"]
    ]
    return view


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class JoinerStatus:
    """GET /api/onboarding/{trackingId}: the public view, or None when unknown."""

    def __init__(self, ledger: LedgerReader) -> None:
        self._ledger = ledger

    async def __call__(self, tracking_id: str) -> dict[str, Any] | None:
        record = await self._ledger.get(tracking_id)
        return None if record is None else public_view(record)
