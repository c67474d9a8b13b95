"""Report history in Blob storage: one folder per run, `YYYY/MM/DD/<runid>/`.

Each folder holds `figures.json` (key figures, tenant figures, cohort), `users.csv` and
`report.html`. The store is given a BlobStore bound to the report container (REPORT_CONTAINER);
everything in that container outside the dated layout is ignored. One listing serves all the
trend look-ups of a run and pruning lists once more, so a run's blob calls do not grow with the
length of the history (only the listing's size does: three blobs per stored run).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from shared.ports import BlobStore
from shared.report.trend import PastFigures

FIGURES = "figures.json"
USERS_CSV = "users.csv"
REPORT_HTML = "report.html"
_CONTENT_TYPES = {
    FIGURES: "application/json",
    USERS_CSV: "text/csv; charset=utf-8",
    REPORT_HTML: "text/html; charset=utf-8",
}
_PATH = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/([A-Za-z0-9_.-]+)/([a-z.]+)$")


@dataclass(frozen=True, order=True)
class SnapshotRef:
    day: date
    run_id: str

    @property
    def prefix(self) -> str:
        return f"{self.day:%Y/%m/%d}/{self.run_id}/"

    def path(self, name: str) -> str:
        return self.prefix + name


def run_id_for(moment: datetime) -> str:
    """Sorts in time order within a day, so the day's latest run is the last one listed."""
    return f"run-{moment:%H%M%S}"


def tolerance_days(days_ago: int) -> int:
    # A missing daily run should not blank the trend: accept a neighbouring day, more for the
    # longer look-backs (the digest shows the date actually compared).
    return max(1, days_ago // 4)


class SnapshotStore:
    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs

    async def save(self, ref: SnapshotRef, figures: dict[str, Any], csv: bytes, html: str) -> None:
        # figures.json last: a folder with figures.json is complete, so readers key on it.
        await self._blobs.put(ref.path(USERS_CSV), csv, _CONTENT_TYPES[USERS_CSV])
        await self._blobs.put(
            ref.path(REPORT_HTML), html.encode("utf-8"), _CONTENT_TYPES[REPORT_HTML]
        )
        body = json.dumps(figures, ensure_ascii=False, sort_keys=True).encode("utf-8")
        await self._blobs.put(ref.path(FIGURES), body, _CONTENT_TYPES[FIGURES])

    async def index(self) -> list[SnapshotRef]:
        """Complete snapshots (those with figures.json), oldest first."""
        refs = set()
        for path in await self._blobs.list(""):
            match = _PATH.match(path)
            if match and match.group(5) == FIGURES:
                y, m, d, run_id, _ = match.groups()
                try:
                    refs.add(SnapshotRef(date(int(y), int(m), int(d)), run_id))
                except ValueError:
                    continue
        return sorted(refs)

    async def read(self, ref: SnapshotRef, name: str) -> bytes | None:
        return await self._blobs.get(ref.path(name))

    async def figures(self, ref: SnapshotRef) -> dict[str, Any] | None:
        raw = await self.read(ref, FIGURES)
        if raw is None:
            return None
        data = json.loads(raw)
        return data if isinstance(data, dict) else None

    async def latest(self, index: list[SnapshotRef] | None = None) -> SnapshotRef | None:
        refs = await self.index() if index is None else index
        return refs[-1] if refs else None

    async def nearest(
        self, days_ago: int, today: date, index: list[SnapshotRef]
    ) -> PastFigures | None:
        """Key figures of the snapshot closest to `days_ago` before `today`, never from today."""
        target = today - timedelta(days=days_ago)
        window = tolerance_days(days_ago)
        candidates = [r for r in index if abs((r.day - target).days) <= window and r.day < today]
        if not candidates:
            return None
        # Closest day first; on a tie prefer the older day (closer to the intended look-back),
        # and within a day the last run.
        best_day = min({r.day for r in candidates}, key=lambda d: (abs((d - target).days), d))
        ref = max(r for r in candidates if r.day == best_day)
        data = await self.figures(ref)
        if data is None:
            return None
        key_figures = data.get("keyFigures", {})
        return PastFigures(ref.day, {str(k): float(v) for k, v in key_figures.items()})

    async def prune(self, today: date, retention_days: int) -> int:
        """Delete the blobs of snapshots dated before the retention window; count the runs."""
        cutoff = today - timedelta(days=retention_days)
        removed: set[tuple[str, ...]] = set()
        for path in await self._blobs.list(""):
            match = _PATH.match(path)
            if not match:
                continue
            y, m, d = (int(g) for g in match.groups()[:3])
            try:
                day = date(y, m, d)
            except ValueError:
                continue
            if day < cutoff:
                await self._blobs.delete(path)
                removed.add(match.groups()[:4])
        return len(removed)
