from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta

from shared.report.snapshots import FIGURES, SnapshotRef, SnapshotStore, run_id_for
from shared.report.trend import PastFigures, build_trend
from tests.fakes import FakeBlobStore, FakeClock, FakeLedger, FakeMailer, FakeQueue
from tests.unit.report.conftest import NOW, PagedDirectory, make_settings, run_daily
from tests.unit.report.tenant_rows import PAGES

TODAY = NOW.date()


def _seed(blobs: FakeBlobStore, day: date, run: str, **figures: float) -> None:
    ref = SnapshotRef(day, run)
    body = {"keyFigures": figures, "takenAt": datetime(day.year, day.month, day.day).isoformat()}
    blobs.blobs[ref.path(FIGURES)] = (json.dumps(body).encode(), "application/json")
    blobs.blobs[ref.path("users.csv")] = (b"x", "text/csv")
    blobs.blobs[ref.path("report.html")] = (b"<p>", "text/html")


def test_build_trend_takes_deltas_and_marks_missing_history() -> None:
    current = {"passwordless_capable_pct": 40.0, "admins_without_strong_method": 2.0}
    past = {
        1: PastFigures(
            TODAY - timedelta(days=1),
            {"passwordless_capable_pct": 38.5, "admins_without_strong_method": 3.0},
        ),
        7: None,
    }

    rows = {row.key: row for row in build_trend(current, past)}

    pwl = rows["passwordless_capable_pct"]
    assert [(c.days_ago, c.value, c.delta) for c in pwl.cells] == [(1, 38.5, 1.5), (7, None, None)]
    assert pwl.improved(pwl.cells[0]) is True
    admins = rows["admins_without_strong_method"]
    assert admins.cells[0].delta == -1.0
    assert admins.improved(admins.cells[0]) is True  # fewer unprotected admins is better
    assert next(iter(rows)) == "admins_without_strong_method"  # the finding leads the trend too


def test_nearest_snapshot_prefers_the_closest_day_and_the_last_run_of_it() -> None:
    blobs = FakeBlobStore()
    _seed(blobs, TODAY - timedelta(days=1), "run-060000", users=9)
    _seed(blobs, TODAY - timedelta(days=1), "run-120000", users=10)
    _seed(blobs, TODAY - timedelta(days=8), "run-060000", users=7)  # 7 days ago is missing
    _seed(blobs, TODAY - timedelta(days=27), "run-060000", users=5)
    _seed(blobs, TODAY - timedelta(days=33), "run-060000", users=4)
    _seed(blobs, TODAY, "run-050000", users=99)  # today's earlier run is never "1 day ago"
    store = SnapshotStore(blobs)

    async def nearest() -> dict[int, PastFigures | None]:
        index = await store.index()
        return {d: await store.nearest(d, TODAY, index) for d in (1, 7, 30, 90)}

    found = asyncio.run(nearest())

    assert found[1] == PastFigures(TODAY - timedelta(days=1), {"users": 10.0})
    assert found[7] == PastFigures(TODAY - timedelta(days=8), {"users": 7.0})
    # 27 and 33 days ago are both 3 days off the 30-day target: the older one wins.
    assert found[30] == PastFigures(TODAY - timedelta(days=33), {"users": 4.0})
    assert found[90] is None


def test_incomplete_and_foreign_blobs_are_not_snapshots() -> None:
    blobs = FakeBlobStore()
    blobs.blobs["2026/11/27/run-060000/users.csv"] = (b"x", "text/csv")  # no figures.json
    blobs.blobs["notes/readme.txt"] = (b"x", "text/plain")
    blobs.blobs["2026/13/40/run-060000/figures.json"] = (b"{}", "application/json")

    assert asyncio.run(SnapshotStore(blobs).index()) == []


def test_trend_in_the_report_comes_from_stored_snapshots() -> None:
    blobs = FakeBlobStore()
    _seed(blobs, TODAY - timedelta(days=1), "run-060000", passwordless_capable_pct=35.0, users=10)
    _seed(blobs, TODAY - timedelta(days=7), "run-060000", passwordless_capable_pct=20.0, users=8)
    settings = make_settings()

    run = asyncio.run(
        run_daily(
            PagedDirectory(PAGES),
            FakeLedger(),
            blobs,
            FakeMailer(),
            FakeQueue(),
            settings,
            FakeClock(NOW),
        )
    )

    stored = json.loads(blobs.blobs[f"{run.snapshot_prefix}figures.json"][0])
    trend = {row["key"]: row for row in stored["trend"]}
    pwl = trend["passwordless_capable_pct"]
    assert pwl["current"] == 40.0
    assert [(p["daysAgo"], p["value"], p["delta"]) for p in pwl["past"]] == [
        (1, 35.0, 5.0),
        (7, 20.0, 20.0),
        (30, None, None),
    ]
    assert stored["keyFigures"]["passwordless_capable_pct"] == 40.0


def test_a_run_stores_its_snapshot_under_a_dated_path_and_prunes_old_ones() -> None:
    blobs = FakeBlobStore()
    _seed(blobs, TODAY - timedelta(days=61), "run-060000", users=1)
    _seed(blobs, TODAY - timedelta(days=59), "run-060000", users=1)
    settings = make_settings(REPORT_RETENTION_DAYS="60")

    run = asyncio.run(
        run_daily(
            PagedDirectory(PAGES),
            FakeLedger(),
            blobs,
            FakeMailer(),
            FakeQueue(),
            settings,
            FakeClock(NOW),
        )
    )

    assert run.snapshot_prefix == f"2026/11/28/{run_id_for(NOW)}/"
    assert run.snapshots_pruned == 1
    days = sorted({path[:10] for path in blobs.blobs})
    assert days == [(TODAY - timedelta(days=59)).strftime("%Y/%m/%d"), "2026/11/28"]
    names = sorted(p.rsplit("/", 1)[1] for p in blobs.blobs if p.startswith(run.snapshot_prefix))
    assert names == ["figures.json", "report.html", "users.csv"]
    assert (
        blobs.blobs[run.snapshot_prefix + "users.csv"][0].count(b"\r\n") == 11
    )  # header + 10 users
    latest = asyncio.run(SnapshotStore(blobs).latest())
    assert latest is not None and latest.prefix == run.snapshot_prefix
