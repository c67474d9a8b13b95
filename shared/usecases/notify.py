"""Compose and send the onboarding emails: the TAP delivery and admin alerts."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from shared.config import Settings
from shared.domain.directory import DirectoryUser, IssuedTap, Manager
from shared.domain.email import OutgoingEmail
from shared.domain.errors import TapstartError
from shared.domain.record import JoinerRecord
from shared.emails.admin_alert import compose_admin_alert
from shared.emails.brand import Brand
from shared.emails.tap_delivery import compose_tap_delivery

if TYPE_CHECKING:
    from shared.usecases.onboard_joiner import Deps

log = logging.getLogger(__name__)


def compose_delivery(
    settings: Settings,
    record: JoinerRecord,
    user: DirectoryUser,
    manager: Manager | None,
    recipient: str,
    tap: IssuedTap,
) -> OutgoingEmail:
    return compose_tap_delivery(
        to=recipient,
        tap=tap,
        joiner_name=user.display_name or record.display_name or user.user_principal_name,
        hire_date=record.hire_date,
        brand=Brand.from_settings(settings),
        manager_name=manager.display_name if manager and manager.mail == recipient else None,
        joiner_upn=user.user_principal_name,
        language=(manager.preferred_language if manager and manager.mail == recipient else None)
        or record.language,
        time_zone=record.time_zone,
    )


async def alert_admins(deps: Deps, record: JoinerRecord, reason: str, detail: str = "") -> None:
    """Best effort: an alert that cannot be sent is logged, never allowed to hide the failure."""
    email = compose_admin_alert(
        to=deps.settings.admin_emails,
        reason=reason,
        occurred_at=deps.clock.now(),
        brand=Brand.from_settings(deps.settings),
        tracking_id=record.tracking_id,
        details={"employee id": record.employee_id, "detail": detail}
        if detail
        else {"employee id": record.employee_id},
    )
    operation_id = str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"tapstart-alert:{record.tracking_id}:{reason}")
    )
    try:
        await deps.mailer.send(email, operation_id)
    except TapstartError as exc:
        log.error(
            "admin alert could not be sent", extra={"reason": reason, "error": type(exc).__name__}
        )
