"""Recent method registrations by method, from the audit log: the guide's "Activity" view.

A failed registration is often a Conditional Access block (the registration needs a sign-in
that a policy refused), so the failure reasons are listed with their counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.registration_activity import RegistrationEvent

MAX_REASONS = 5


@dataclass(frozen=True)
class MethodActivity:
    method: str
    succeeded: int
    failed: int


@dataclass(frozen=True)
class ActivitySummary:
    since: datetime
    until: datetime
    methods: tuple[MethodActivity, ...]  # most registrations first
    failure_reasons: tuple[tuple[str, int], ...]  # most frequent first, at most MAX_REASONS

    @property
    def succeeded(self) -> int:
        return sum(m.succeeded for m in self.methods)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.methods)

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "succeeded": self.succeeded,
            "failed": self.failed,
            "byMethod": [
                {"method": m.method, "succeeded": m.succeeded, "failed": m.failed}
                for m in self.methods
            ],
            "failureReasons": [{"reason": r, "count": n} for r, n in self.failure_reasons],
        }


def summarize_activity(
    events: Iterable[RegistrationEvent], since: datetime, until: datetime
) -> ActivitySummary:
    ok: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for event in events:
        if not since <= event.at <= until:
            continue
        if event.succeeded:
            ok[event.method] += 1
        else:
            bad[event.method] += 1
            reasons[event.reason.strip() or "no reason given"] += 1
    names = sorted(set(ok) | set(bad), key=lambda m: (-(ok[m] + bad[m]), m))
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_REASONS]
    return ActivitySummary(
        since,
        until,
        tuple(MethodActivity(m, ok[m], bad[m]) for m in names),
        tuple(ranked),
    )
