"""Who receives a joiner's reminder.

A joiner who has not enrolled often cannot open the work mailbox yet, so the reminder prefers
an address outside it: the personal email from the HR event, else the directory's `otherMails`,
else the work mail with the manager copied. Reminders carry no TAP, so an address from the HR
event is acceptable here (the TAP itself only ever goes to an address read from the directory).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.domain.email import mask_email
from shared.domain.email_address import is_deliverable


class RecipientRule(StrEnum):
    PERSONAL_EMAIL = "personal_email"
    OTHER_MAILS = "other_mails"
    WORK_MAIL_AND_MANAGER = "work_mail_and_manager"


@dataclass(frozen=True)
class ReminderRecipients:
    to: tuple[str, ...]
    cc: tuple[str, ...]
    rule: RecipientRule

    @property
    def masked(self) -> str:
        """What the ledger, status endpoint and report may show: rule and masked addresses."""
        shown = ", ".join(mask_email(a) for a in self.to)
        if self.cc:
            shown += " (cc " + ", ".join(mask_email(a) for a in self.cc) + ")"
        return f"{self.rule.value}: {shown}"


def _first_valid(candidates: Iterable[str | None]) -> str | None:
    return next((c.strip() for c in candidates if c and is_deliverable(c.strip())), None)


def _unique(addresses: Iterable[str], taken: Iterable[str] = ()) -> tuple[str, ...]:
    seen = {a.lower() for a in taken}
    result = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return tuple(result)


def choose_reminder_recipients(
    *,
    personal_email: str | None,
    other_mails: Iterable[str],
    work_mail: str | None,
    manager_mail: str | None,
    cc_manager: bool = False,
) -> ReminderRecipients | None:
    """The recipients of a reminder and the rule that chose them; None if nobody is reachable.

    `cc_manager` (from the cadence) copies the manager from the Nth reminder on; in the
    work-mail fallback the manager is always copied, since the joiner may not read that mailbox.
    """
    manager = _first_valid([manager_mail])
    if personal := _first_valid([personal_email]):
        to, rule = personal, RecipientRule.PERSONAL_EMAIL
    elif other := _first_valid(other_mails):
        to, rule = other, RecipientRule.OTHER_MAILS
    elif work := _first_valid([work_mail]):
        cc = _unique([manager], taken=[work]) if manager else ()
        return ReminderRecipients((work,), cc, RecipientRule.WORK_MAIL_AND_MANAGER)
    elif manager:
        return ReminderRecipients((manager,), (), RecipientRule.WORK_MAIL_AND_MANAGER)
    else:
        return None
    cc = _unique([manager], taken=[to]) if cc_manager and manager else ()
    return ReminderRecipients((to,), cc, rule)
