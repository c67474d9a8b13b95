from __future__ import annotations

import asyncio
import csv
import gzip
import io
from collections.abc import AsyncIterator
from dataclasses import replace

from shared.domain.errors import ConflictError, PermanentError, TransientError
from shared.domain.record import JoinerRecord, ReminderLog, Status
from shared.usecases.daily_run import (
    ATTACHMENT_LIMIT,
    CONFLICT_RETRIES,
    DailyRun,
    ReportRun,
    _attachment,
)
from tests.fakes import FakeBlobStore, FakeClock, FakeLedger, FakeMailer, FakeQueue
from tests.unit.report.conftest import (
    NOW,
    PagedDirectory,
    cohort_records,
    daily_run,
    make_settings,
    run_daily,
)
from tests.unit.report.tenant_rows import PAGES


def _run(
    directory: PagedDirectory,
    *,
    mailer: FakeMailer | None = None,
    blobs: FakeBlobStore | None = None,
    ledger: FakeLedger | None = None,
    **kw: bool,
) -> tuple[ReportRun, FakeMailer, FakeBlobStore]:
    mailer = mailer or FakeMailer()
    blobs = blobs if blobs is not None else FakeBlobStore()
    ledger = ledger or FakeLedger({r.tracking_id: r for r in cohort_records()})
    run = asyncio.run(
        run_daily(
            directory, ledger, blobs, mailer, FakeQueue(), make_settings(), FakeClock(NOW), **kw
        )
    )
    return run, mailer, blobs


def test_a_good_run_mails_the_admins_html_text_and_the_csv() -> None:
    directory = PagedDirectory(PAGES)

    run, mailer, _ = _run(directory)

    assert run.ok and run.users == 10 and run.admin_findings == 2
    assert run.reminders_enqueued == 2
    [(email, op_id)] = mailer.sent
    assert email.kind == "report"
    assert email.to == ("it-admins@contoso.example", "ciso@contoso.example")
    assert "Security finding" in email.html and "SECURITY FINDING" in email.text
    [attachment] = email.attachments
    assert attachment.name == "users.csv"
    rows = list(csv.reader(io.StringIO(attachment.content.decode("utf-8"), newline="")))
    assert len(rows) == 11
    assert op_id == run.email_operation_id
    assert directory.reads == 1


def test_403_sends_an_error_digest_and_stores_no_snapshot() -> None:
    error = PermanentError(
        "graph_forbidden", "read registration report: Authorization_RequestDenied"
    )

    run, mailer, blobs = _run(PagedDirectory(PAGES, fail_with=error, fail_after=0))

    assert not run.ok
    assert (run.outcome, run.failure_reason, run.snapshot_prefix) == (
        "error_digest",
        "graph_forbidden",
        None,
    )
    [(email, _)] = mailer.sent
    assert "FAILED" in email.subject and "AuditLog.Read.All" in email.html
    assert email.attachments == ()
    assert blobs.blobs == {}
    assert run.reminders_enqueued == 2  # joiners are still chased


def test_zero_users_is_a_failure_not_an_empty_report() -> None:
    run, mailer, blobs = _run(PagedDirectory([[]]))

    assert (run.outcome, run.failure_reason) == ("error_digest", "report_zero_users")
    assert "returned no users" in mailer.sent[0][0].subject
    assert blobs.blobs == {}


def test_graph_down_midway_fails_the_whole_run() -> None:
    error = TransientError("graph_503 on read registration report", retry_after=None)

    run, mailer, _ = _run(PagedDirectory(PAGES, fail_with=error, fail_after=2))

    assert run.failure_reason == "graph_unavailable"
    assert "did not answer" in mailer.sent[0][0].html


def test_scheduled_runs_of_one_day_share_an_operation_id_on_demand_runs_do_not() -> None:
    first, _, _ = _run(PagedDirectory(PAGES))
    again, _, _ = _run(PagedDirectory(PAGES))
    manual, _, _ = _run(PagedDirectory(PAGES), scheduled=False)
    failed, _, _ = _run(PagedDirectory([[]]))

    assert first.email_operation_id == again.email_operation_id
    assert manual.email_operation_id not in {first.email_operation_id, None}
    assert failed.email_operation_id not in {first.email_operation_id, None}


def test_send_false_builds_and_stores_without_mailing() -> None:
    run, mailer, blobs = _run(PagedDirectory(PAGES), send=False)

    assert run.ok and run.email_operation_id is None
    assert mailer.sent == []
    assert any(p.endswith("report.html") for p in blobs.blobs)


def test_a_large_csv_is_attached_gzipped() -> None:
    big = b"userPrincipalName\r\n" + b"someone@contoso.example\r\n" * (ATTACHMENT_LIMIT // 20)

    (attachment,), note = _attachment(big)

    assert attachment.name == "users.csv.gz"
    assert gzip.decompress(attachment.content) == big
    assert "gzip" in note


class ConflictingLedger(FakeLedger):
    """A ledger where a concurrent reminder saves the joiner first `conflicts` times."""

    def __init__(self, records: dict[str, JoinerRecord], conflicts: int) -> None:
        super().__init__(records)
        self.conflicts = conflicts

    async def save(self, record: JoinerRecord) -> JoinerRecord:
        if record.status is Status.ENROLLED and self.conflicts > 0:
            self.conflicts -= 1
            current = self.records[record.tracking_id]
            # The other writer's change: a reminder logged, and a new ETag.
            await super().save(
                replace(current, reminders=(*current.reminders, ReminderLog(9, NOW, "sent")))
            )
            raise ConflictError("the record changed since it was read")
        return await super().save(record)


def _watched_joiner() -> JoinerRecord:
    row = next(
        r
        for page in PAGES
        for r in page
        if "microsoftAuthenticatorPush" in (r.get("methodsRegistered") or [])
    )
    return replace(cohort_records()[0], status=Status.DELIVERED, user_id=row["id"])


def test_a_stale_etag_while_marking_enrolment_is_re_read_and_the_digest_still_goes_out() -> None:
    joiner = _watched_joiner()
    ledger = ConflictingLedger({joiner.tracking_id: joiner}, conflicts=1)

    run, mailer, _ = _run(PagedDirectory(PAGES), ledger=ledger)

    saved = ledger.records[joiner.tracking_id]
    assert saved.status is Status.ENROLLED
    assert any(r.slot == 9 for r in saved.reminders)  # the other writer's change survived
    assert run.ok and not run.failed_jobs
    assert len(mailer.sent) == 1


def test_a_conflict_that_never_clears_costs_one_job_not_the_digest() -> None:
    joiner = _watched_joiner()
    ledger = ConflictingLedger({joiner.tracking_id: joiner}, conflicts=CONFLICT_RETRIES + 5)

    run, mailer, _ = _run(PagedDirectory(PAGES), ledger=ledger)

    assert run.failed_jobs == ("detect_enrolments",)
    [(email, _)] = mailer.sent
    assert email.kind == "report"
    assert "detect enrolments" in email.text and "ConflictError" in email.text


def test_a_failing_doctor_still_produces_the_digest_and_names_the_failure() -> None:
    async def broken_doctor() -> list[dict[str, str]]:
        raise RuntimeError("tenant policy read blew up")

    mailer = FakeMailer()
    run = asyncio.run(
        daily_run(
            make_settings(),
            report=PagedDirectory(PAGES),
            ledger=FakeLedger({r.tracking_id: r for r in cohort_records()}),
            mailer=mailer,
            doctor=broken_doctor,
        )()
    )

    assert run.outcome == "report" and run.failed_jobs == ("doctor",)
    [(email, _)] = mailer.sent
    assert "daily run: doctor" in email.text and "tenant policy read blew up" in email.text
    assert "daily run: doctor" in email.html


class BrokenLedgerScan(FakeLedger):
    def all(self) -> AsyncIterator[JoinerRecord]:
        raise TransientError("table storage is down")


class BrokenBlobs(FakeBlobStore):
    async def put(self, path: str, data: bytes, content_type: str) -> None:
        raise TransientError("blob storage is down")


def test_each_failing_job_is_isolated_and_the_digest_still_goes_out() -> None:
    records = {r.tracking_id: r for r in cohort_records()}
    broken_queue = FakeQueue(fail_with=TransientError("queue storage is down"))
    cases: list[tuple[str, DailyRun, FakeMailer]] = []
    for job, kw in [
        ("read_delivered_joiners", {"ledger": BrokenLedgerScan(records)}),
        ("fan_out_reminders", {"ledger": FakeLedger(dict(records)), "queue": broken_queue}),
        ("store_snapshot", {"ledger": FakeLedger(dict(records)), "blobs": BrokenBlobs()}),
    ]:
        mailer = FakeMailer()
        run = daily_run(make_settings(), report=PagedDirectory(PAGES), mailer=mailer, **kw)  # type: ignore[arg-type]
        cases.append((job, run, mailer))

    for job, daily, mailer in cases:
        result = asyncio.run(daily())
        assert job in result.failed_jobs, (job, result.failed_jobs)
        assert len(mailer.sent) == 1 and mailer.sent[0][0].kind == "report", job
