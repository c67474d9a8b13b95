from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.fakes import FakeBlobStore, FakeClock, FakeLedger, FakeMailer, FakeQueue
from tests.unit.report.conftest import NOW, PagedDirectory, make_settings, run_daily
from tests.unit.report.tenant_rows import PAGES


def test_the_daily_run_prunes_claims_past_the_reminder_cadence() -> None:
    ledger = FakeLedger()

    async def run_with_claims() -> int:
        await ledger.claim_once("webhook:msg_old", NOW - timedelta(days=45))
        await ledger.claim_once("webhook:msg_recent", NOW - timedelta(days=43))
        await ledger.take_tap_slot((NOW - timedelta(days=3)).strftime("%Y%m%d%H"), 50)
        run = await run_daily(
            PagedDirectory(PAGES),
            ledger,
            FakeBlobStore(),
            FakeMailer(),
            FakeQueue(),
            make_settings(REMINDER_DAYS="1,3,7,14"),  # claims kept 14 + 30 = 44 days
            FakeClock(NOW),
        )
        return run.ledger_pruned

    assert asyncio.run(run_with_claims()) == 2
    assert "webhook:msg_old" not in ledger.claims
    assert "webhook:msg_recent" in ledger.claims
    assert ledger.tap_slots == {}
