"""The joiner cohort from the ledger: how far each joiner Tapstart handled has come.

Stages are cumulative (a joiner who reached the passwordless target also counts as delivered,
TAP used and Authenticator), so the funnel never widens; the stages after delivery are those of
`shared.domain.passwordless`, as recorded on the ledger. Time to target starts when the joiner
could first use the TAP: the later of its delivery and its start time (a pre-hire's TAP becomes
valid on the hire day). A joiner is *stuck* when they stayed at one stage for more than
`REPORT_OVERDUE_DAYS`, counted from when they reached it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.domain.passwordless import STUCK_AT, Stage
from shared.domain.record import JoinerRecord, Status

_ISSUED = {Status.TAP_ISSUED, Status.SENDING}


def usable_from(record: JoinerRecord) -> datetime | None:
    """When the joiner could first sign in with the TAP (None if it never reached them)."""
    moments = [m for m in (record.delivered_at, record.tap_start) if m is not None]
    if record.delivered_at is None and record.status not in {Status.DELIVERED, Status.ENROLLED}:
        return None
    return max(moments) if moments else None


def nearest_rank(sorted_values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least pct % of values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def stage_since(record: JoinerRecord) -> datetime | None:
    """When the joiner reached the stage they are at now."""
    stage = record.stage
    if stage is Stage.TAP_USED:
        return record.tap_used_at
    if stage is Stage.AUTHENTICATOR:
        return record.authenticator_at
    return usable_from(record) if stage is Stage.DELIVERED else None


@dataclass(frozen=True)
class OverdueJoiner:
    name: str
    delivered_to_masked: str
    waiting_days: int  # at the current stage
    reminders_sent: int
    stage: Stage = Stage.DELIVERED

    @property
    def stage_label(self) -> str:
        return STUCK_AT[self.stage].label

    @property
    def fix(self) -> str:
        return STUCK_AT[self.stage].fix

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "deliveredTo": self.delivered_to_masked,
            "waitingDays": self.waiting_days,
            "remindersSent": self.reminders_sent,
            "stage": self.stage.value,
            "stageLabel": self.stage_label,
            "fix": self.fix,
        }


_FUNNEL_KEYS = ("accepted", "tap_issued", "delivered", "tap_used", "authenticator", "target")


@dataclass(frozen=True)
class CohortFigures:
    accepted: int
    tap_issued: int
    delivered: int
    enrolled: int  # reached a passwordless target
    in_progress: int
    median_hours_to_enrol: float | None
    p90_hours_to_enrol: float | None
    overdue_days: int
    overdue: tuple[OverdueJoiner, ...]
    refused_by_reason: dict[str, int]
    failed_by_reason: dict[str, int]
    reminders_by_outcome: dict[str, int]
    tap_used: int = 0
    authenticator: int = 0
    cancelled: int = 0  # HR withdrew the offer

    @property
    def reminders_sent(self) -> int:
        return self.reminders_by_outcome.get("sent", 0) + self.reminders_by_outcome.get(
            "final_notice", 0
        )

    @property
    def reminders_skipped(self) -> int:
        return sum(
            n for outcome, n in self.reminders_by_outcome.items() if outcome.startswith("skipped")
        )

    @property
    def reminders_failed(self) -> int:
        return self.reminders_by_outcome.get("failed", 0)

    def funnel(self) -> list[tuple[str, int]]:
        return [
            ("Accepted from HR", self.accepted),
            ("TAP issued", self.tap_issued),
            ("TAP delivered", self.delivered),
            ("Signed in with the TAP", self.tap_used),
            ("Authenticator registered", self.authenticator),
            ("Passwordless (target reached)", self.enrolled),
        ]

    def stuck(self) -> list[tuple[Stage, list[OverdueJoiner]]]:
        """The overdue joiners by the stage they are stuck at, earliest stage first."""
        by_stage = [(stage, [o for o in self.overdue if o.stage is stage]) for stage in Stage]
        return [(stage, joiners) for stage, joiners in by_stage if joiners]

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "tapIssued": self.tap_issued,
            "delivered": self.delivered,
            "tapUsed": self.tap_used,
            "authenticator": self.authenticator,
            "enrolled": self.enrolled,
            "funnel": [
                {"stage": key, "label": label, "count": count}
                for key, (label, count) in zip(_FUNNEL_KEYS, self.funnel(), strict=True)
            ],
            "stuckByStage": {stage.value: len(joiners) for stage, joiners in self.stuck()},
            "cancelled": self.cancelled,
            "inProgress": self.in_progress,
            "medianHoursToEnrol": self.median_hours_to_enrol,
            "p90HoursToEnrol": self.p90_hours_to_enrol,
            "overdueDays": self.overdue_days,
            "overdue": [o.to_json() for o in self.overdue],
            "refusedByReason": dict(self.refused_by_reason),
            "failedByReason": dict(self.failed_by_reason),
            "remindersByOutcome": dict(self.reminders_by_outcome),
        }


@dataclass
class CohortAggregator:
    now: datetime
    overdue_days: int
    _accepted: int = 0
    _issued: int = 0
    _delivered: int = 0
    _enrolled: int = 0
    _tap_used: int = 0
    _authenticator: int = 0
    _cancelled: int = 0
    _in_progress: int = 0
    _hours: list[float] = field(default_factory=list)
    _overdue: list[OverdueJoiner] = field(default_factory=list)
    _refused: Counter[str] = field(default_factory=Counter)
    _failed: Counter[str] = field(default_factory=Counter)
    _reminders: Counter[str] = field(default_factory=Counter)

    def add(self, record: JoinerRecord) -> None:
        stage = record.stage
        rank = -1 if stage is None else stage.rank
        enrolled = stage is Stage.TARGET
        delivered = stage is not None
        issued = delivered or record.tap_id is not None or record.status in _ISSUED
        if record.status is Status.SUPERSEDED or record.kind == "cancel":
            return  # an overruled event or a cancel record is not a joiner of its own
        self._cancelled += record.status is Status.CANCELLED
        self._accepted += 1
        self._issued += issued
        self._delivered += delivered
        self._tap_used += rank >= Stage.TAP_USED.rank
        self._authenticator += rank >= Stage.AUTHENTICATOR.rank
        self._enrolled += enrolled
        self._in_progress += not record.status.final
        self._reminders.update(r.outcome for r in record.reminders)
        if record.status is Status.REFUSED:
            self._refused[record.reason or "unknown"] += 1
        elif record.status is Status.FAILED:
            self._failed[record.reason or "unknown"] += 1
        start = usable_from(record)
        if enrolled and start is not None and record.enrolled_at is not None:
            self._hours.append(max(0.0, (record.enrolled_at - start).total_seconds() / 3600.0))
        elif record.status is Status.DELIVERED and stage is not None:
            since = stage_since(record)
            waited = self.now - since if since is not None else None
            if waited is not None and waited > timedelta(days=self.overdue_days):
                self._overdue.append(
                    OverdueJoiner(
                        name=record.display_name or record.upn or record.employee_id,
                        delivered_to_masked=record.delivered_to_masked or "",
                        waiting_days=waited.days,
                        reminders_sent=sum(
                            r.outcome in {"sent", "final_notice"} for r in record.reminders
                        ),
                        stage=stage,
                    )
                )

    def add_all(self, records: Iterable[JoinerRecord]) -> None:
        for record in records:
            self.add(record)

    def result(self) -> CohortFigures:
        hours = sorted(self._hours)
        median = nearest_rank(hours, 50)
        p90 = nearest_rank(hours, 90)
        return CohortFigures(
            accepted=self._accepted,
            tap_issued=self._issued,
            delivered=self._delivered,
            enrolled=self._enrolled,
            tap_used=self._tap_used,
            authenticator=self._authenticator,
            cancelled=self._cancelled,
            in_progress=self._in_progress,
            median_hours_to_enrol=None if median is None else round(median, 1),
            p90_hours_to_enrol=None if p90 is None else round(p90, 1),
            overdue_days=self.overdue_days,
            overdue=tuple(sorted(self._overdue, key=lambda o: (-o.waiting_days, o.name))),
            refused_by_reason=_ranked(self._refused),
            failed_by_reason=_ranked(self._failed),
            reminders_by_outcome=_ranked(self._reminders),
        )


def _ranked(counter: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
