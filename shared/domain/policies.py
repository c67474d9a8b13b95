"""The policy objects the composition root makes from Settings; use cases take these, not Settings.

Each holds only what one concern decides with, so a use case's dependencies say what it reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.cadence import CadencePolicy
from shared.domain.passwordless import Target


@dataclass(frozen=True)
class OnboardingPolicy:
    group_ids: tuple[str, ...]  # the passwordless groups joiners are added to
    tap_lifetime_minutes: int  # asked for; clamped into the tenant's TAP policy
    tap_one_time: bool
    tap_max_per_hour: int  # the flood cap
    tap_start_hour: int  # local hour on the hire day from which a pre-hire's TAP is valid
    default_time_zone: str
    prehire_lead_days: int
    provisioning_deadline_hours: int
    account_retry_base_seconds: int
    max_account_age_days: int
    fallback_delivery_email: str
    delivery_domains: tuple[str, ...] = ()  # where a manager's mail may be; () = the joiner's


@dataclass(frozen=True)
class ReminderPolicy:
    cadence: CadencePolicy
    quiet_hours: tuple[int, int]
    default_time_zone: str
    reissue_tap: bool  # a fresh TAP to the manager when the old one ran out
    targets: tuple[Target, ...]  # what counts as passwordless
    retire_tap: bool  # delete Tapstart's TAP once a target is reached


@dataclass(frozen=True)
class ReportPolicy:
    admin_emails: tuple[str, ...]
    overdue_days: int
    retention_days: int
    reminder_days: tuple[int, ...]  # how long ledger claims must be kept
    targets: tuple[Target, ...]  # what counts as passwordless in the report
    # Whose rows are read one by one when the tenant has no licence for the report.
    member_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class CampaignPolicy:
    """The registration campaign: scope, cadence, pace (shared.domain.campaign)."""

    include_group_ids: tuple[str, ...]  # () = every member of the tenant
    exclude_group_ids: tuple[str, ...]  # the campaign's own and PROTECTED_GROUP_IDS
    cadence: CadencePolicy  # days after the first contact, the cap per user
    targets: tuple[Target, ...]
    hourly_allowance: int  # campaign emails per hour, over every instance
    daily_capacity: int  # campaign emails per day
    quiet_hours: tuple[int, int]
    default_time_zone: str
    country_zones: tuple[tuple[str, str], ...] = ()  # usage location -> zone
