"""Every reason code Tapstart records, alerts or reports: each once, with what it means to an
admin and what the admin does about it.

A reason code is the stable string in `JoinerRecord.reason`, an `Outcome`, a `PermanentError`,
the status endpoint, an admin alert and the daily report. `Reason` members are `str`, so they
compare equal to (and serialize as) the plain codes already in ledgers. Labels and fixes are
English, for the report and the CLI; the localized admin-alert texts are the emails' own
(`shared/emails/locales/*.json`, keys `alert.<code>.*`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Reason(StrEnum):
    # Guardrails: the joiner never gets a TAP from Tapstart (status refused).
    ADMIN_ROLE = "admin_role"
    ELIGIBLE_ADMIN_ROLE = "eligible_admin_role"
    PRIVILEGED_GROUP = "privileged_group"
    APP_OWNER = "app_owner"
    PROTECTED_ACCOUNT = "protected_account"
    PRIVILEGE_UNKNOWN = "privilege_unknown"
    EMPLOYEE_ID_MISMATCH = "employee_id_mismatch"
    ACCOUNT_USED = "account_used"
    GUEST_ACCOUNT = "guest_account"
    ACCOUNT_DISABLED = "account_disabled"
    ALREADY_ENROLLED = "already_enrolled"
    ACCOUNT_TOO_OLD = "account_too_old"
    # Onboarding stopped (status failed; the admins are alerted).
    USER_NOT_PROVISIONED = "user_not_provisioned"
    NO_DELIVERY_ADDRESS = "no_delivery_address"
    GROUP_IS_DYNAMIC = "group_is_dynamic"
    TAP_POLICY_DISABLED = "tap_policy_disabled"
    TAP_POLICY_EXCLUDES_USER = "tap_policy_excludes_user"
    TAP_POLICY_DISALLOWS = "tap_policy_disallows"
    TAP_LIFETIME_REJECTED = "tap_lifetime_rejected"
    TAP_CREATE_FAILED = "tap_create_failed"
    USER_NOT_FOUND = "user_not_found"
    EMAIL_REJECTED = "email_rejected"
    GRAPH_FORBIDDEN = "graph_forbidden"
    GRAPH_ERROR = "graph_error"
    POISON_MESSAGE = "poison_message"
    # HR withdrew the offer (status cancelled), or overruled an event (status superseded).
    OFFER_WITHDRAWN = "offer_withdrawn"
    NOTHING_TO_CANCEL = "nothing_to_cancel"
    OLDER_EVENT = "older_event"
    NEWER_EVENT = "newer_event"
    # Operations: issuance pauses, a reminder gave up, a message named no joiner.
    FLOOD_CAP_REACHED = "flood_cap_reached"
    REMINDER_FAILED = "reminder_failed"
    REHIRE_OVERRIDE = "rehire_override"
    STALE_METHODS_NOT_REMOVED = "stale_methods_not_removed"
    NO_USER_ID = "no_user_id"
    NO_REMINDER_ADDRESS = "no_reminder_address"
    UNKNOWN_TRACKING_ID = "unknown_tracking_id"
    # The daily report could not be read (the admins get the error digest instead).
    REPORT_FORBIDDEN = "report_forbidden"
    REPORT_UNAUTHORIZED = "report_unauthorized"
    GRAPH_UNAVAILABLE = "graph_unavailable"
    REPORT_ZERO_USERS = "report_zero_users"


@dataclass(frozen=True)
class ReasonInfo:
    label: str  # what happened, as a short phrase: "Refused: <label> (3)"
    fix: str  # what the admin does about it
    # Whether the code can reach `compose_admin_alert` (onboarding failures, poison messages,
    # the flood cap, a failed reminder); refusals and report failures are shown elsewhere.
    reaches_admin_alert: bool = False


_RESEND = "then onboard the joiner again (`tapstart onboard`, or a new HR event)"

CATALOGUE: MappingProxyType[Reason, ReasonInfo] = MappingProxyType(
    {
        Reason.OFFER_WITHDRAWN: ReasonInfo(
            "offer withdrawn by HR",
            "Nothing: Tapstart deleted the pass it issued and took the person out of the groups "
            "it added them to; disable or delete the account if HR's process does not.",
        ),
        Reason.NOTHING_TO_CANCEL: ReasonInfo(
            "cancel for a person Tapstart was not onboarding",
            "Nothing, unless the hire arrives later: an older hire event for this person is "
            "then not onboarded.",
        ),
        Reason.OLDER_EVENT: ReasonInfo(
            "older than an event already received for this person",
            "Nothing: the newer event stands. If HR meant this one, send it again as a new "
            "event (its occurredAt must be later).",
        ),
        Reason.NEWER_EVENT: ReasonInfo(
            "carried on by a newer event for the same person (e.g. a moved start date)",
            "Nothing: follow the onboarding under the tracking id in the detail.",
        ),
        Reason.ADMIN_ROLE: ReasonInfo(
            "account holds an Entra admin role",
            "Admins get credentials from a privileged-access process, not from the HR feed; "
            "onboard this account that way.",
        ),
        Reason.ELIGIBLE_ADMIN_ROLE: ReasonInfo(
            "account is eligible for an Entra admin role (PIM)",
            "A TAP satisfies the MFA that PIM activation asks for, so an eligible admin is an "
            "admin: onboard this account through the privileged-access process.",
        ),
        Reason.PRIVILEGED_GROUP: ReasonInfo(
            "account is a member, eligible member or owner of a role-assignable group",
            "Role-assignable groups hold admin roles; onboard this account through the "
            "privileged-access process, or take it out of the group first.",
        ),
        Reason.APP_OWNER: ReasonInfo(
            "account owns applications or service principals",
            "An owner can add credentials to the app and act with its permissions; move the "
            "ownership first, or onboard this account through the privileged-access process.",
        ),
        Reason.PROTECTED_ACCOUNT: ReasonInfo(
            "account is in a protected group (PROTECTED_GROUP_IDS)",
            "Break-glass, service and sync accounts never get a TAP from the HR feed.",
        ),
        Reason.PRIVILEGE_UNKNOWN: ReasonInfo(
            "whether the account is privileged could not be read",
            "Grant the role-management read permissions (see the permissions table) and run "
            "`tapstart doctor`; then onboard the joiner again.",
            reaches_admin_alert=True,
        ),
        Reason.EMPLOYEE_ID_MISMATCH: ReasonInfo(
            "the account found by UPN carries another employee id",
            "The HR event named an existing account that belongs to someone else; check the "
            "feed's employee id and UPN.",
            reaches_admin_alert=True,
        ),
        Reason.ACCOUNT_USED: ReasonInfo(
            "account has signed in before",
            "A joiner's account has never been used. For a rehire or converted contractor use "
            "`tapstart onboard --rehire`.",
        ),
        Reason.GUEST_ACCOUNT: ReasonInfo(
            "guest account",
            "Guests sign in with their home organization; nothing to do unless the account "
            "should be a member, then convert it and " + _RESEND + ".",
            reaches_admin_alert=True,  # also Graph's answer when a TAP is created for a guest
        ),
        Reason.ACCOUNT_DISABLED: ReasonInfo(
            "account disabled",
            "Enable the account in Entra ID when the joiner may sign in, " + _RESEND + ".",
        ),
        Reason.ALREADY_ENROLLED: ReasonInfo(
            "already has a strong sign-in method",
            "Nothing: the user already signs in passwordless or phishing-resistant.",
        ),
        Reason.ACCOUNT_TOO_OLD: ReasonInfo(
            "account older than the onboarding window",
            "If this really is a joiner (a rehire), issue a TAP by hand; if accounts are "
            "routinely created earlier, raise MAX_ACCOUNT_AGE_DAYS.",
        ),
        Reason.USER_NOT_PROVISIONED: ReasonInfo(
            "account never appeared in Entra ID",
            "Check the provisioning from HR to Entra ID for this employee, " + _RESEND + ".",
            reaches_admin_alert=True,
        ),
        Reason.NO_DELIVERY_ADDRESS: ReasonInfo(
            "no address to deliver the TAP to",
            "Set the joiner's manager (with a mail address) in Entra ID or configure "
            "FALLBACK_DELIVERY_EMAIL, " + _RESEND + ".",
            reaches_admin_alert=True,
        ),
        Reason.GROUP_IS_DYNAMIC: ReasonInfo(
            "a passwordless group has dynamic membership",
            "List only assigned groups in PASSWORDLESS_GROUP_IDS (`tapstart doctor` checks "
            "them), " + _RESEND + ".",
            reaches_admin_alert=True,
        ),
        Reason.TAP_POLICY_DISABLED: ReasonInfo(
            "the tenant's TAP policy is off",
            "Turn on the Temporary Access Pass method (Entra admin center > Protection > "
            "Authentication methods > Policies), " + _RESEND + ".",
            reaches_admin_alert=True,
        ),
        Reason.TAP_POLICY_EXCLUDES_USER: ReasonInfo(
            "the TAP policy does not cover the user",
            "Target the passwordless group in the TAP policy and do not exclude it, "
            + _RESEND
            + ".",
            reaches_admin_alert=True,
        ),
        Reason.TAP_POLICY_DISALLOWS: ReasonInfo(
            "Graph refused the TAP under the tenant's policy",
            "Check that the TAP policy is on and targets the user (`tapstart doctor`), "
            + _RESEND
            + ".",
            reaches_admin_alert=True,
        ),
        Reason.TAP_LIFETIME_REJECTED: ReasonInfo(
            "TAP lifetime outside the tenant's policy",
            "Set TAP_LIFETIME_MINUTES within the TAP policy's minimum and maximum lifetime, "
            + _RESEND
            + ".",
            reaches_admin_alert=True,
        ),
        Reason.TAP_CREATE_FAILED: ReasonInfo(
            "Graph could not create the TAP",
            "Look up the error for the tracking id in the logs, fix it, " + _RESEND + ".",
            reaches_admin_alert=True,
        ),
        Reason.USER_NOT_FOUND: ReasonInfo(
            "account deleted before the TAP was created",
            "Check whether the account was deleted on purpose; if not, restore it and "
            + _RESEND
            + ".",
            reaches_admin_alert=True,
        ),
        Reason.EMAIL_REJECTED: ReasonInfo(
            "the email service rejected the email",
            "Check MAIL_SENDER (a linked, verified ACS domain) and the recipient address, "
            + _RESEND
            + ".",
            reaches_admin_alert=True,
        ),
        Reason.GRAPH_FORBIDDEN: ReasonInfo(
            "Microsoft Graph refused access (401/403)",
            "Grant the missing Graph permission with admin consent (`tapstart doctor` lists "
            "what is missing).",
            reaches_admin_alert=True,
        ),
        Reason.GRAPH_ERROR: ReasonInfo(
            "Microsoft Graph returned an error",
            "Look up the error for the tracking id in the logs (Application Insights).",
            reaches_admin_alert=True,
        ),
        Reason.POISON_MESSAGE: ReasonInfo(
            "kept failing until its retries ran out",
            "Look up the tracking id in the logs, fix the cause, " + _RESEND + ".",
            reaches_admin_alert=True,
        ),
        Reason.FLOOD_CAP_REACHED: ReasonInfo(
            "hourly TAP cap reached",
            "Check the HR feed for unexpected joiner events; if the volume is genuine, raise "
            "TAP_MAX_PER_HOUR. Issuance resumes by itself in the next hour.",
            reaches_admin_alert=True,
        ),
        Reason.REHIRE_OVERRIDE: ReasonInfo(
            "an admin onboarded a rehire past the established-account guardrails",
            "Check that the rehire was intended (who and why are in the detail and the joiner's "
            "steps); if not, delete the TAP in Entra and find out who ran the override.",
            reaches_admin_alert=True,
        ),
        Reason.STALE_METHODS_NOT_REMOVED: ReasonInfo(
            "a rehire's earlier sign-in methods could not all be removed",
            "Remove the methods named in the detail in the Entra admin center (the user's "
            "Authentication methods), then run `tapstart onboard --rehire` again.",
        ),
        Reason.REMINDER_FAILED: ReasonInfo(
            "a reminder could not be sent",
            "Look up the tracking id in the logs and fix the cause; `tapstart status` shows the "
            "joiner's reminders.",
            reaches_admin_alert=True,
        ),
        Reason.NO_USER_ID: ReasonInfo(
            "delivered joiner without a directory user id",
            "Look up the joiner's record (`tapstart status`); the ledger entry is incomplete.",
        ),
        Reason.NO_REMINDER_ADDRESS: ReasonInfo(
            "no address to send the reminder to",
            "Give the joiner a personal email in the HR event, otherMails or a work mail, or "
            "set their manager.",
        ),
        Reason.UNKNOWN_TRACKING_ID: ReasonInfo(
            "no joiner with this tracking id",
            "Nothing: the message was dropped (the ledger has no such joiner).",
        ),
        Reason.REPORT_FORBIDDEN: ReasonInfo(
            "Graph refused the registration report (403)",
            "Check the Entra ID P1/P2 licence and grant AuditLog.Read.All with admin consent.",
        ),
        Reason.REPORT_UNAUTHORIZED: ReasonInfo(
            "Tapstart could not sign in to Microsoft Graph (401)",
            "Check the managed identity and AZURE_CLIENT_ID, or renew GRAPH_CLIENT_SECRET.",
        ),
        Reason.GRAPH_UNAVAILABLE: ReasonInfo(
            "Microsoft Graph did not answer",
            "Check the Microsoft 365 service health and the Function App's outbound network.",
        ),
        Reason.REPORT_ZERO_USERS: ReasonInfo(
            "the registration report returned no users",
            "Check User registration details in the Entra admin center; a newly licensed "
            "tenant fills it within about a day.",
        ),
    }
)


def reason_of(code: str) -> Reason | None:
    """The catalogue's member for `code`, or None for a code it does not know."""
    try:
        return Reason(code)
    except ValueError:
        return None


def label(code: str) -> str:
    """The admin-facing label; an unknown code (an old record, a new adapter) reads as words."""
    reason = reason_of(code)
    return CATALOGUE[reason].label if reason else code.replace("_", " ")


def fix(code: str) -> str:
    """What the admin does about `code`; "" for a code the catalogue does not know."""
    reason = reason_of(code)
    return CATALOGUE[reason].fix if reason else ""


def admin_alert_reasons() -> tuple[Reason, ...]:
    """The codes that can reach an admin alert, in catalogue order."""
    return tuple(reason for reason, info in CATALOGUE.items() if info.reaches_admin_alert)
