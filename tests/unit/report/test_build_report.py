from __future__ import annotations

import asyncio
import csv
import gzip
import io

from shared.domain.errors import PermanentError, TransientError
from shared.usecases.build_report import ATTACHMENT_LIMIT, ReportRun, _attachment, build_report
from tests.fakes import FakeBlobStore, FakeClock, FakeLedger, FakeMailer, FakeQueue
from tests.unit.report.conftest import NOW, PagedDirectory, cohort_records, make_settings
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
        build_report(
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
    assert "isMfaCapable" in directory.selects[0]


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
