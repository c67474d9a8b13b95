"""Key figures now against 1, 7 and 30 days ago, from stored snapshots (Entra keeps no history).

Pure: the snapshot store finds the past figures, this module lines them up and takes deltas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

TREND_DAYS: tuple[int, ...] = (1, 7, 30)

# Stable keys (stored in snapshots) with the label the digest shows and whether higher is better.
KEY_FIGURE_LABELS: dict[str, tuple[str, bool]] = {
    "admins_without_strong_method": (
        "Admins without phishing-resistant or passwordless sign-in",
        False,
    ),
    "passwordless_capable_pct": ("Passwordless-capable users (%)", True),
    "phishing_resistant_pct": ("Users with a phishing-resistant method (%)", True),
    "mfa_registered_pct": ("MFA-registered users (%)", True),
    "mfa_capable_pct": ("MFA-capable users (%)", True),
    "sspr_registered_pct": ("SSPR-registered users (%)", True),
    "users": ("Users covered", True),
}


@dataclass(frozen=True)
class PastFigures:
    taken_on: date
    figures: Mapping[str, float]


@dataclass(frozen=True)
class TrendCell:
    days_ago: int
    taken_on: date | None
    value: float | None
    delta: float | None

    @property
    def direction(self) -> str:
        """up | down | same | none, for arrows in the digest."""
        if self.delta is None:
            return "none"
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "same"


@dataclass(frozen=True)
class TrendRow:
    key: str
    label: str
    higher_is_better: bool
    current: float
    cells: tuple[TrendCell, ...]

    def improved(self, cell: TrendCell) -> bool | None:
        if cell.delta is None or cell.delta == 0:
            return None
        return (cell.delta > 0) == self.higher_is_better


def build_trend(
    current: Mapping[str, float], past: Mapping[int, PastFigures | None]
) -> tuple[TrendRow, ...]:
    rows = []
    for key, (label, higher_is_better) in KEY_FIGURE_LABELS.items():
        if key not in current:
            continue
        now_value = current[key]
        cells = []
        for days_ago in sorted(past):
            snapshot = past[days_ago]
            then = None if snapshot is None else snapshot.figures.get(key)
            delta = None if then is None else round(now_value - then, 1)
            cells.append(
                TrendCell(days_ago, None if snapshot is None else snapshot.taken_on, then, delta)
            )
        rows.append(TrendRow(key, label, higher_is_better, now_value, tuple(cells)))
    return tuple(rows)


def trend_to_json(rows: tuple[TrendRow, ...]) -> list[dict[str, Any]]:
    return [
        {
            "key": row.key,
            "current": row.current,
            "past": [
                {
                    "daysAgo": c.days_ago,
                    "takenOn": c.taken_on.isoformat() if c.taken_on else None,
                    "value": c.value,
                    "delta": c.delta,
                }
                for c in row.cells
            ],
        }
        for row in rows
    ]
