"""The registration campaign: who is in it, which way each user goes, and when they are written to.

Beyond Tapstart's own joiners, the campaign brings every in-scope member who has not reached a
passwordless target there, from the daily registration report's rows (`RegistrationRow`):

- scope: the members of the include groups (or every member), minus the exclude groups
  (break-glass, service and shared accounts); guests never;
- the path that fits what the user has registered (`path_for`):
  Authenticator push → `turn_on_phone_sign_in`; another strong method (SMS, voice, an OATH code,
  a passkey that is not a target) → `in_app` (add the work account in Authenticator, sign in
  with the password and that method, turn on phone sign-in: no TAP needed); nothing strong →
  `tap_path`: the manager or the service desk hands over a TAP in person, never by email, and an
  admin never takes that path (a TAP to a privileged account is refused anyway);
- the cadence per user: `shared.domain.cadence` (the reminders' rule: days after the first
  contact, a cap, only the latest due step when one was missed);
- the waves (`plan_waves`): each day's capacity is what the email budget leaves the campaign
  after joiner mail's share, follow-ups that are due go before new first contacts, and the plan
  says when the last first contact goes out.

Pure: no clock, no I/O. The conversion figures are in `campaign_figures`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from shared.domain.cadence import CadencePolicy, due_slot
from shared.domain.passwordless import (
    PASSKEY_REPORT_NAMES,
    MethodKind,
    SignInMethod,
    Target,
    report_target,
)
from shared.domain.quiet_hours import delay_until_allowed, is_quiet, recipient_zone
from shared.domain.record import ReminderLog
from shared.domain.registration import RegistrationRow


class CampaignPath(StrEnum):
    """The way a user gets to a target, from what they have registered."""

    IN_APP = "in_app"  # MFA there: add the account in Authenticator with it, turn on sign-in
    TURN_ON_PHONE_SIGN_IN = "turn_on_phone_sign_in"  # Authenticator push there: one step left
    TAP_PATH = "tap_path"  # nothing strong: a TAP from the manager or the service desk


# Order of first contacts: the shortest step first (most conversions per email), the path that
# needs the service desk's time last.
PATH_ORDER: tuple[CampaignPath, ...] = (
    CampaignPath.TURN_ON_PHONE_SIGN_IN,
    CampaignPath.IN_APP,
    CampaignPath.TAP_PATH,
)


# How the admins' views (the digest, `tapstart campaign`) name the paths.
PATH_LABELS: Mapping[CampaignPath, str] = {
    CampaignPath.TURN_ON_PHONE_SIGN_IN: "Authenticator there: turn on phone sign-in",
    CampaignPath.IN_APP: "MFA there: add the account in Authenticator",
    CampaignPath.TAP_PATH: "Nothing strong: a TAP from the manager or service desk",
}


class NotEligible(StrEnum):
    """Why a user of the report is not written to (one reason each, the first that applies)."""

    GUEST = "guest"  # not a member of the tenant (or the report did not say)
    EXCLUDED_GROUP = "excluded_group"  # break-glass, service or shared account
    OUT_OF_SCOPE = "out_of_scope"  # not in an include group
    TARGET_REACHED = "target_reached"  # already passwordless
    OPTED_OUT = "opted_out"  # asked to stop; an admin excluded them
    JOINER = "joiner"  # a Tapstart joiner: the joiner reminders follow them
    ADMIN_TAP_PATH = "admin_tap_path"  # an admin without a strong method: for the admins
    FINISHED = "finished"  # every step of the cadence went out, or the mail bounced


# `methodsRegistered` names (userRegistrationDetails).
_AUTHENTICATOR = frozenset({"microsoftAuthenticatorPush", "microsoftAuthenticatorPasswordless"})
_SECOND_FACTORS = frozenset(
    {
        "mobilePhone",
        "alternateMobilePhone",
        "officePhone",
        "softwareOneTimePasscode",
        "hardwareOneTimePasscode",
        "windowsHelloForBusiness",
        "macOsSecureEnclaveKey",
    }
)
STRONG_REPORT_NAMES = _AUTHENTICATOR | _SECOND_FACTORS | PASSKEY_REPORT_NAMES


def path_for(methods_registered: Iterable[str]) -> CampaignPath:
    """The path that fits a user who has not reached a target (email and security questions
    are no second factor: they prove nothing to sign in with)."""
    names = frozenset(methods_registered)
    if names & _AUTHENTICATOR:
        return CampaignPath.TURN_ON_PHONE_SIGN_IN
    if names & STRONG_REPORT_NAMES:
        return CampaignPath.IN_APP
    return CampaignPath.TAP_PATH


_LIVE_STRONG = frozenset(
    {MethodKind.PHONE, MethodKind.OATH, MethodKind.FIDO2, MethodKind.WINDOWS_HELLO}
)


def live_path(methods: Iterable[SignInMethod]) -> CampaignPath:
    """`path_for` on the live methods (read just before a send): the same three answers."""
    kinds = {m.kind for m in methods}
    if MethodKind.AUTHENTICATOR in kinds:
        return CampaignPath.TURN_ON_PHONE_SIGN_IN
    if kinds & _LIVE_STRONG:
        return CampaignPath.IN_APP
    return CampaignPath.TAP_PATH


@dataclass(frozen=True)
class Membership:
    """The scope, resolved: `included` None means every member of the tenant."""

    included: frozenset[str] | None
    excluded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Eligibility:
    path: CampaignPath | None  # None when not eligible
    reason: NotEligible | None = None

    @property
    def eligible(self) -> bool:
        return self.reason is None


def eligibility(
    row: RegistrationRow,
    targets: Sequence[Target],
    scope: Membership,
    *,
    opted_out: bool = False,
    joiner: bool = False,
) -> Eligibility:
    """Whether the campaign writes to this user of the report, and on which path."""
    if row.user_type.lower() != "member":
        return Eligibility(None, NotEligible.GUEST)
    if row.id in scope.excluded:
        return Eligibility(None, NotEligible.EXCLUDED_GROUP)
    if scope.included is not None and row.id not in scope.included:
        return Eligibility(None, NotEligible.OUT_OF_SCOPE)
    path = path_for(row.methods)
    if report_target(row.methods, targets) is not None:
        return Eligibility(path, NotEligible.TARGET_REACHED)
    if opted_out:
        return Eligibility(path, NotEligible.OPTED_OUT)
    if joiner:
        return Eligibility(path, NotEligible.JOINER)
    # An unknown admin flag fails closed: no TAP path for who may be an admin.
    if path is CampaignPath.TAP_PATH and row.is_admin is not False:
        return Eligibility(path, NotEligible.ADMIN_TAP_PATH)
    return Eligibility(path)


# --- The cadence per user ------------------------------------------------------------------


def campaign_cadence(days: Sequence[int], max_contacts: int) -> CadencePolicy:
    """The reminders' cadence rule with the campaign's days (counted from the first contact);
    no manager copy: the campaign's own paths say who is copied."""
    ordered = tuple(sorted(set(days)))
    return CadencePolicy(days=ordered, max_count=max_contacts, manager_cc_from=len(ordered) + 1)


def contact_log(sent_steps: int, first_contact_at: datetime) -> tuple[ReminderLog, ...]:
    """The steps already sent, as the cadence rule reads a log (their time is not used)."""
    return tuple(ReminderLog(s, first_contact_at, "sent") for s in range(1, sent_steps + 1))


def due_step(
    cadence: CadencePolicy,
    first_contact_at: datetime | None,
    sent_steps: int,
    now: datetime,
    zone: ZoneInfo,
) -> int | None:
    """The follow-up step due now (2, 3, ...), or None. Step 1 is the first contact, which the
    plan decides; a step the timer missed is superseded by a later due one, never sent late."""
    if first_contact_at is None or sent_steps < 1:
        return None
    due = due_slot(cadence, first_contact_at, now, contact_log(sent_steps, first_contact_at), zone)
    return due.slot if due is not None else None


def step_offsets(cadence: CadencePolicy) -> tuple[int, ...]:
    """Days after the first contact of each step, the first contact (0) included."""
    return cadence.days[: cadence.slot_count]


# --- Capacity --------------------------------------------------------------------------------


def sending_hours(quiet: tuple[int, int]) -> int:
    """Hours of the day outside quiet hours (24 without any)."""
    return sum(1 for hour in range(24) if not is_quiet(hour, quiet))


def hourly_allowance(email_per_hour: int, share_percent: int) -> int:
    """The campaign's sends per hour: its share of the email budget; the rest is joiner mail's
    (TAP deliveries and joiner reminders), which therefore never waits behind the campaign."""
    return email_per_hour * share_percent // 100


def daily_capacity(
    email_per_hour: int, share_percent: int, quiet: tuple[int, int], daily_limit: int = 0
) -> int:
    """The campaign's emails per day: its hourly share over the hours it may send in, capped by
    `daily_limit` when one is set (0: no cap beyond the share)."""
    capacity = hourly_allowance(email_per_hour, share_percent) * sending_hours(quiet)
    return min(capacity, daily_limit) if daily_limit > 0 else capacity


def zone_for(
    usage_location: str | None, country_zones: Mapping[str, str], default: str
) -> ZoneInfo:
    """The user's zone for quiet hours: their usage location's zone when one is configured for
    it (`DE=Europe/Berlin`), else the default zone (Graph keeps no time zone on a user)."""
    country = (usage_location or "").strip().upper()
    return recipient_zone(country_zones.get(country), default)


def send_delays(
    count: int, hourly: int, now: datetime, quiet: tuple[int, int], zone: ZoneInfo
) -> list[int]:
    """Queue delays (seconds) that spread `count` sends over the day at `hourly` per hour, from
    the end of the quiet hours (in `zone`) if it is night now. A send that still falls in a
    recipient's quiet hours is held back again by the send step."""
    if count <= 0 or hourly <= 0:
        return []
    start = delay_until_allowed(now, quiet, zone) or 0
    spacing = 3600 / hourly
    return [start + math.floor(index * spacing) for index in range(count)]


# --- The wave plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An eligible user: never contacted (`first_contact_on` None), or in the cadence."""

    user_id: str
    path: CampaignPath
    first_contact_on: date | None = None
    sent_steps: int = 0


@dataclass(frozen=True)
class DayPlan:
    day: date
    first_contacts: int
    follow_ups: int

    @property
    def emails(self) -> int:
        return self.first_contacts + self.follow_ups


@dataclass(frozen=True)
class Wave:
    """The users first contacted on one day (wave numbers count campaign days from 1)."""

    number: int
    day: date
    user_ids: tuple[str, ...]
    by_path: Mapping[CampaignPath, int]


@dataclass(frozen=True)
class WavePlan:
    start: date
    capacity: int  # emails per day
    eligible: Mapping[CampaignPath, int]
    days: tuple[DayPlan, ...]
    waves: tuple[Wave, ...]
    waiting: int = 0  # eligible users no day of the horizon had room for (capacity 0)
    paths: Mapping[str, CampaignPath] = field(default_factory=dict)  # user id -> path

    @property
    def last_first_contact_on(self) -> date | None:
        return self.waves[-1].day if self.waves else None

    @property
    def last_email_on(self) -> date | None:
        return self.days[-1].day if self.days else None

    @property
    def emails(self) -> int:
        return sum(d.emails for d in self.days)

    @property
    def peak_per_day(self) -> int:
        return max((d.emails for d in self.days), default=0)

    def first_contact_of(self, user_id: str) -> date | None:
        return next((w.day for w in self.waves if user_id in w.user_ids), None)

    def to_json(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "capacityPerDay": self.capacity,
            "eligible": {p.value: self.eligible.get(p, 0) for p in PATH_ORDER},
            "emails": self.emails,
            "peakPerDay": self.peak_per_day,
            "waves": len(self.waves),
            "lastFirstContact": _iso(self.last_first_contact_on),
            "lastEmail": _iso(self.last_email_on),
            "waiting": self.waiting,
            "days": [
                {
                    "day": d.day.isoformat(),
                    "firstContacts": d.first_contacts,
                    "followUps": d.follow_ups,
                    "emails": d.emails,
                }
                for d in self.days
            ],
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def first_contact_order(new_by_path: Mapping[CampaignPath, Sequence[str]]) -> list[str]:
    """Who is written to first among the never contacted: `PATH_ORDER`, then user id."""
    return [uid for p in PATH_ORDER for uid in sorted(new_by_path.get(p, ()))]


# A plan never looks further ahead than this (a capacity of 1 a day and a huge tenant).
HORIZON_DAYS = 3650


def plan_waves(
    candidates: Iterable[Candidate],
    *,
    cadence: CadencePolicy,
    capacity: int,
    start: date,
    horizon_days: int = HORIZON_DAYS,
) -> WavePlan:
    """Day by day from `start`: the follow-ups due that day go first (those that did not fit
    the day before first of all), then as many new first contacts as the capacity leaves, in
    `PATH_ORDER` and then user id order. Follow-ups are counted as if everyone stayed in the
    cadence: users who convert stop getting mail, so the plan is an upper bound of the sends."""
    offsets = step_offsets(cadence)
    due: dict[int, int] = {}  # day index -> follow-ups falling due that day
    new_by_path: dict[CampaignPath, list[str]] = {p: [] for p in PATH_ORDER}
    eligible: dict[CampaignPath, int] = dict.fromkeys(PATH_ORDER, 0)
    paths: dict[str, CampaignPath] = {}
    for c in candidates:
        eligible[c.path] += 1
        paths[c.user_id] = c.path
        if c.first_contact_on is None:
            new_by_path[c.path].append(c.user_id)
            continue
        rel = (c.first_contact_on - start).days
        left = [rel + offsets[s - 1] for s in range(max(c.sent_steps, 1) + 1, len(offsets) + 1)]
        overdue = [d for d in left if d <= 0]
        # Of the steps already overdue only the latest is sent (today); the others are superseded.
        for at in ([0] if overdue else []) + [d for d in left if d > 0]:
            due[at] = due.get(at, 0) + 1
    queue = first_contact_order(new_by_path)
    days: list[DayPlan] = []
    waves: list[Wave] = []
    backlog = 0
    taken = 0
    last_due = max(due, default=-1)
    index = 0
    while index < horizon_days and (taken < len(queue) or backlog or index <= last_due):
        backlog += due.pop(index, 0)
        follow_ups = min(backlog, capacity)
        backlog -= follow_ups
        fresh = min(max(capacity - follow_ups, 0), len(queue) - taken)
        day = start + timedelta(days=index)
        if fresh:
            ids = tuple(queue[taken : taken + fresh])
            taken += fresh
            by_path: dict[CampaignPath, int] = {}
            for uid in ids:
                by_path[paths[uid]] = by_path.get(paths[uid], 0) + 1
            waves.append(Wave(index + 1, day, ids, by_path))
            for offset in offsets[1:]:
                due[index + offset] = due.get(index + offset, 0) + fresh
                last_due = max(last_due, index + offset)
        if fresh or follow_ups:
            days.append(DayPlan(day, fresh, follow_ups))
        index += 1
    return WavePlan(
        start=start,
        capacity=capacity,
        eligible=eligible,
        days=tuple(days),
        waves=tuple(waves),
        waiting=len(queue) - taken,
        paths=paths,
    )
