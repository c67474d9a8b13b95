"""The campaign's funnel and conversion: per wave and per path, from the contact records.

- contacted: a first email went out;
- converted within 7 / 14 / 30 days of the first contact (a target registered; the live check
  before a send, or the daily report, saw it), and the median days it took;
- bounced (the mail service refused the address) and opted out (an admin excluded them).

"Within 7 days" is counted over everyone contacted; `matured` says how many of them were
contacted at least that long ago, so a young wave's low figure reads as young, not as failing.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.domain.campaign import PATH_ORDER, CampaignPath, NotEligible
from shared.domain.campaign_state import CampaignContact

WINDOWS_DAYS: tuple[int, ...] = (7, 14, 30)


@dataclass
class ConversionRow:
    """One row of the conversion table: a wave and a path, a path overall, or everything."""

    wave: int | None  # None: every wave
    path: CampaignPath | None  # None: every path
    contacted: int = 0
    converted: int = 0
    within: dict[int, int] = field(default_factory=lambda: dict.fromkeys(WINDOWS_DAYS, 0))
    matured: dict[int, int] = field(default_factory=lambda: dict.fromkeys(WINDOWS_DAYS, 0))
    bounced: int = 0
    opted_out: int = 0
    _days: list[float] = field(default_factory=list, repr=False)

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self._days), 1) if self._days else None

    def rate(self, window: int) -> float | None:
        """Share of the users contacted at least `window` days ago who converted within it."""
        return None if not self.matured[window] else self.within[window] / self.matured[window]

    def add(self, contact: CampaignContact, now: datetime) -> None:
        self.bounced += contact.bounced
        self.opted_out += contact.opted_out_at is not None
        first = contact.first_contact_at
        if first is None:
            return
        self.contacted += 1
        age = now - first
        for window in WINDOWS_DAYS:
            self.matured[window] += age >= timedelta(days=window)
        if contact.converted_at is None:
            return
        self.converted += 1
        took = max(contact.converted_at - first, timedelta(0))
        self._days.append(took.total_seconds() / 86400)
        for window in WINDOWS_DAYS:
            self.within[window] += took <= timedelta(days=window)

    def to_json(self) -> dict[str, object]:
        return {
            "wave": self.wave,
            "path": self.path.value if self.path else None,
            "contacted": self.contacted,
            "converted": self.converted,
            **{f"convertedWithin{w}d": self.within[w] for w in WINDOWS_DAYS},
            **{f"contactedAtLeast{w}dAgo": self.matured[w] for w in WINDOWS_DAYS},
            "medianDaysToConvert": self.median_days,
            "bounced": self.bounced,
            "optedOut": self.opted_out,
        }


@dataclass(frozen=True)
class Conversion:
    total: ConversionRow
    by_path: tuple[ConversionRow, ...]  # PATH_ORDER
    by_wave: tuple[ConversionRow, ...]  # wave, then PATH_ORDER; only pairs with contacts
    planned: int  # contact records, contacted or not yet

    def to_json(self) -> dict[str, object]:
        return {
            "planned": self.planned,
            "total": self.total.to_json(),
            "byPath": [r.to_json() for r in self.by_path],
            "byWave": [r.to_json() for r in self.by_wave],
        }


def conversion(contacts: Iterable[CampaignContact], now: datetime) -> Conversion:
    total = ConversionRow(None, None)
    paths = {p: ConversionRow(None, p) for p in PATH_ORDER}
    waves: dict[tuple[int, CampaignPath], ConversionRow] = {}
    planned = 0
    for c in contacts:
        planned += 1
        total.add(c, now)
        paths[c.path].add(c, now)
        row = waves.get((c.wave, c.path))
        if row is None:
            row = waves[(c.wave, c.path)] = ConversionRow(c.wave, c.path)
        row.add(c, now)
    order = {p: i for i, p in enumerate(PATH_ORDER)}
    by_wave = tuple(
        waves[k]
        for k in sorted(waves, key=lambda k: (k[0], order[k[1]]))
        if waves[k].contacted or waves[k].opted_out or waves[k].bounced
    )
    return Conversion(total, tuple(paths[p] for p in PATH_ORDER), by_wave, planned)


@dataclass(frozen=True)
class Funnel:
    """The campaign at a glance: the scope of the last report read, then the conversion."""

    status: str
    started_on: str | None
    eligible: Mapping[CampaignPath, int]  # from the last report read
    not_eligible: Mapping[NotEligible, int]
    conversion: Conversion
    capacity_per_day: int
    last_first_contact_on: str | None  # as planned at the last read
    counted_at: str | None  # when the report was last read for the campaign

    @property
    def in_scope(self) -> int:
        return sum(self.eligible.values()) + sum(
            n for r, n in self.not_eligible.items() if r not in _OUTSIDE
        )

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "startedOn": self.started_on,
            "countedAt": self.counted_at,
            "capacityPerDay": self.capacity_per_day,
            "lastFirstContact": self.last_first_contact_on,
            "eligible": {p.value: self.eligible.get(p, 0) for p in PATH_ORDER},
            "notEligible": {r.value: self.not_eligible.get(r, 0) for r in NotEligible},
            "conversion": self.conversion.to_json(),
        }


# Reasons that put a user outside the campaign's scope altogether (not counted in it).
_OUTSIDE = frozenset({NotEligible.GUEST, NotEligible.EXCLUDED_GROUP, NotEligible.OUT_OF_SCOPE})
