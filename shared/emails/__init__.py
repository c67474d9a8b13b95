"""Every email Tapstart sends to people, localized, as HTML + plain text.

`compose_*` functions take plain values and return an `OutgoingEmail`; rendering and the
catalogues stay behind them (the branding they take is `shared.rendering.Brand`). See
docs/emails.md.
"""

from shared.emails.admin_alert import EXPLAINED_REASONS, compose_admin_alert
from shared.emails.final_notice import compose_manager_final_notice
from shared.emails.i18n import negotiate, supported_languages
from shared.emails.reminder import TapStatus, compose_reminder
from shared.emails.tap_delivery import compose_tap_delivery

__all__ = [
    "EXPLAINED_REASONS",
    "TapStatus",
    "compose_admin_alert",
    "compose_manager_final_notice",
    "compose_reminder",
    "compose_tap_delivery",
    "negotiate",
    "supported_languages",
]
