"""The joiner event: what Tapstart keeps of an HR "someone joins" message, whatever its format.

Only the personal data onboarding needs is kept. The personal email is used for reminders only,
never for the TAP (which goes to an address read from the directory).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class JoinerEvent:
    event_id: str
    occurred_at: datetime
    employee_id: str
    hire_date: date
    upn: str | None = None
    given_name: str | None = None
    surname: str | None = None
    display_name: str | None = None
    time_zone: str | None = None
    department: str | None = None
    job_title: str | None = None
    preferred_language: str | None = None
    personal_email: str | None = None
    source: str = "canonical"  # canonical | cloudevents | scim
    # "hire" (someone joins, or their start moved) or "cancel" (the offer was withdrawn). A
    # cancel names the person (employee id, optionally UPN); its hire date is not used.
    kind: str = "hire"
    reason: str | None = None  # for a cancel: why, as HR said it (shown to admins and manager)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["occurred_at"] = self.occurred_at.isoformat()
        data["hire_date"] = self.hire_date.isoformat()
        return data

    @property
    def cancelled(self) -> bool:
        return self.kind == "cancel"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JoinerEvent:
        values = dict(data)
        values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
        values["hire_date"] = date.fromisoformat(values["hire_date"])
        return cls(**values)
