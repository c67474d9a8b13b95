"""Compose the onboarding emails (the TAP delivery) and alert the admins."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from shared.domain.directory import DirectoryUser, IssuedTap, Manager
from shared.domain.email import OutgoingEmail
from shared.domain.errors import TapstartError
from shared.domain.record import JoinerRecord
from shared.emails.admin_alert import compose_admin_alert
from shared.emails.tap_delivery import compose_tap_delivery
from shared.ports import Clock, Mailer
from shared.rendering import Brand

log = logging.getLogger(__name__)


def compose_delivery(
    brand: Brand,
    record: JoinerRecord,
    user: DirectoryUser,
    manager: Manager | None,
    recipient: str,
    tap: IssuedTap,
) -> OutgoingEmail:
    to_manager = manager is not None and manager.mail == recipient
    return compose_tap_delivery(
        to=recipient,
        tap=tap,
        joiner_name=user.display_name or record.display_name or user.user_principal_name,
        hire_date=record.hire_date,
        brand=brand,
        manager_name=manager.display_name if manager and to_manager else None,
        joiner_upn=user.user_principal_name,
        language=(manager.preferred_language if manager and to_manager else None)
        or record.language,
        time_zone=record.time_zone,
        start_moved=record.start_moved,
    )


class AdminAlerts:
    """Best effort: an alert that cannot be sent is logged, never allowed to hide the failure."""

    def __init__(
        self, mailer: Mailer, clock: Clock, brand: Brand, admin_emails: Sequence[str]
    ) -> None:
        self._mailer = mailer
        self._clock = clock
        self._brand = brand
        self._to = tuple(admin_emails)

    @property
    def recipients(self) -> tuple[str, ...]:
        """The admins; also copied on the manager's final notice."""
        return self._to

    async def __call__(self, record: JoinerRecord, reason: str, detail: str = "") -> None:
        details = {"employee id": record.employee_id}
        if detail:
            details["detail"] = detail
        email = compose_admin_alert(
            to=self._to,
            reason=reason,
            occurred_at=self._clock.now(),
            brand=self._brand,
            tracking_id=record.tracking_id,
            details=details,
        )
        operation_id = str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"tapstart-alert:{record.tracking_id}:{reason}")
        )
        try:
            await self._mailer.send(email, operation_id)
        except TapstartError as exc:
            log.error(
                "admin alert could not be sent",
                extra={"reason": reason, "error": type(exc).__name__},
            )
