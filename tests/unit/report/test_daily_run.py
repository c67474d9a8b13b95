from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from shared.doctor.fetched import Fetched, ReadFailure
from shared.domain.errors import ConflictError, PermanentError, TransientError
from shared.domain.record import JoinerRecord, ReminderLog, Status
from shared.domain.registration_fallback import REPORT_UNLICENSED
from shared.report.snapshots import FIGURES, SnapshotRef
from shared.usecases.daily_run import ATTACHMENT_LIMIT, CONFLICT_RETRIES, ReportRun, _attachment
from tests.fakes import (
    FakeBlobStore,
    FakeClock,
    FakeLedger,
    FakeMailer,
    FakeProbes,
    FakeQueue,
    Fakes,
    FakeTenant,
)
from tests.unit.report.conftest import (
    NOW,
    PagedDirectory,
    cohort_records,
    make_settings,
    report_fakes,
    run_daily,
)
from tests.unit.report.tenant_rows import PAGES


def _run(
    directory: PagedDirectory, *, send: bool = True, scheduled: bool = True
) -> tuple[ReportRun, FakeMailer, FakeBlobStore]:
    """The daily run on a directory that pages (or fails) as the test says."""
    mailer, blobs = FakeMailer(), FakeBlobStore()
    ledger = FakeLedger({r.tracking_id: r for r in cohort_records()})
    run = asyncio.run(
        run_daily(
            directory,
            ledger,
            blobs,
            mailer,
            FakeQueue(),
            make_settings(),
            FakeClock(NOW),
            send=send,
            scheduled=scheduled,
        )
    )
    return run, mailer, blobs


ALL_JOBS = [
    "doctor",
    "read_delivered_joiners",
    "campaign_scope",
    "follow_joiners",
    "registration_activity",
    "scan_ledger",
    "recover_stalled_intake",
    "fan_out_reminders",
    "campaign",
    "prune_ledger",
    "prune_campaign",
    "trend",
    "store_snapshot",
    "prune_snapshots",
]


def _job_line(job: str) -> str:
    """How the digest names a failed job (JobResult.as_finding)."""
    return f"daily run: {job.replace('_', ' ')}"


def test_build_services_wires_the_doctor_ledger_queues_and_blobs_into_the_daily_run() -> None:
    settings = make_settings()
    fakes = report_fakes(cohort_records())

    run = asyncio.run(fakes.services(settings).daily_run())

    assert run.ok and run.failed_jobs == () and [j.name for j in run.jobs] == ALL_JOBS
    [(email, op_id)] = fakes.mailer.sent
    assert op_id == run.email_operation_id
    # The real TenantDoctor read the FakeTenant: its TAP policy is missing (404), and says so.
    assert fakes.tenant.reads and "setup-findings" in email.html
    assert "tap.policy" in email.text and "404" in email.text
    assert fakes.queue.on(settings.reminder_queue) == [
        {"v": 1, "trackingId": "t04", "slot": 3},
        {"v": 1, "trackingId": "t05", "slot": 1},
    ]
    assert fakes.queue.on(settings.onboarding_queue) == [{"v": 1, "trackingId": "t01"}]
    assert run.snapshot_prefix is not None
    assert f"{run.snapshot_prefix}figures.json" in fakes.blobs.blobs


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


def test_without_a_licence_the_groups_members_are_read_and_the_digest_says_so() -> None:
    unlicensed = PermanentError(REPORT_UNLICENSED, "registration report: no licence")
    directory = PagedDirectory(PAGES, fail_with=unlicensed, fail_after=0)
    directory.member_pages = PAGES[:1]

    run, mailer, blobs = _run(directory)

    assert run.ok and run.outcome == "report"
    assert run.users == len(PAGES[0])
    assert directory.member_reads == [("11111111-2222-3333-4444-555555555555",)]
    [(email, _)] = mailer.sent
    assert "no Microsoft Entra ID P1/P2" in email.text and "members only" in email.html
    [(figures, _)] = [v for k, v in blobs.blobs.items() if k.endswith(FIGURES)]
    assert json.loads(figures)["tenantSource"] == "group_members"


def test_a_licence_lost_midway_is_a_failure_not_a_partial_members_read() -> None:
    unlicensed = PermanentError(REPORT_UNLICENSED, "registration report: no licence")
    directory = PagedDirectory(PAGES, fail_with=unlicensed, fail_after=1)
    directory.member_pages = PAGES

    run, _, _ = _run(directory)

    assert not run.ok and run.failure_reason == REPORT_UNLICENSED
    assert directory.member_reads == []


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


# --- a stale ETag while marking enrolment ----------------------------------------------------


class ConflictingLedger(FakeLedger):
    """A concurrent reminder saves the joiner first, `conflicts` times: each save of the
    enrolment then meets a new ETag and raises ConflictError, as the Table ledger does."""

    def __init__(
        self, records: dict[str, JoinerRecord], conflicts: int, other: str = "reminder"
    ) -> None:
        super().__init__(records)
        self.conflicts = conflicts
        self.other = other
        self.enrolment_saves = 0

    async def save(self, record: JoinerRecord) -> JoinerRecord:
        if record.status is not Status.ENROLLED:
            return await super().save(record)
        self.enrolment_saves += 1
        if self.conflicts <= 0:
            return await super().save(record)
        self.conflicts -= 1
        current = self.records[record.tracking_id]
        if self.other == "reminder":  # the reminder logged a slot
            theirs = replace(current, reminders=(*current.reminders, ReminderLog(9, NOW, "sent")))
        else:  # the reminder found the joiner enrolled first, an hour ago
            theirs = replace(current, status=Status.ENROLLED, enrolled_at=NOW - timedelta(hours=1))
        await super().save(theirs)
        raise ConflictError("the record changed since it was read")


def _watched_joiner() -> JoinerRecord:
    """A delivered joiner whose Entra user shows Authenticator in the registration report (and,
    read live, has turned on phone sign-in: `_live`)."""
    row = next(
        r
        for page in PAGES
        for r in page
        if "microsoftAuthenticatorPush" in (r.get("methodsRegistered") or [])
    )
    return replace(cohort_records()[0], status=Status.DELIVERED, user_id=row["id"])


def _live(ledger: FakeLedger) -> list[str]:
    return [r.user_id for r in ledger.records.values() if r.user_id]


def test_a_stale_etag_while_marking_enrolment_is_re_read_and_the_digest_still_goes_out() -> None:
    joiner = _watched_joiner()
    ledger = ConflictingLedger({joiner.tracking_id: joiner}, conflicts=1)
    fakes = report_fakes(ledger=ledger, phone_sign_in=_live(ledger))

    run = asyncio.run(fakes.services(make_settings()).daily_run())

    saved = ledger.records[joiner.tracking_id]
    assert saved.status is Status.ENROLLED and saved.enrolled_at is not None
    assert any(r.slot == 9 for r in saved.reminders)  # re-read: the other writer's change kept
    assert ledger.enrolment_saves == 2
    assert run.ok and run.failed_jobs == ()
    [(email, _)] = fakes.mailer.sent
    assert email.kind == "report" and _job_line("follow_joiners") not in email.text


def test_a_concurrent_writer_that_marked_the_joiner_enrolled_first_is_not_overwritten() -> None:
    joiner = _watched_joiner()
    ledger = ConflictingLedger({joiner.tracking_id: joiner}, conflicts=1, other="enrolled")
    fakes = report_fakes(ledger=ledger, phone_sign_in=_live(ledger))

    run = asyncio.run(fakes.services(make_settings()).daily_run())

    saved = ledger.records[joiner.tracking_id]
    assert saved.status is Status.ENROLLED
    assert saved.enrolled_at == NOW - timedelta(hours=1)  # theirs, not the report's time
    assert ledger.enrolment_saves == 1  # the re-read showed nothing left to do
    assert run.ok and run.failed_jobs == () and len(fakes.mailer.sent) == 1


def test_a_conflict_that_never_clears_costs_one_job_not_the_digest() -> None:
    joiner = _watched_joiner()
    ledger = ConflictingLedger({joiner.tracking_id: joiner}, conflicts=10**6)
    fakes = report_fakes(ledger=ledger, phone_sign_in=_live(ledger))

    run = asyncio.run(fakes.services(make_settings()).daily_run())

    assert ledger.enrolment_saves == CONFLICT_RETRIES
    assert ledger.records[joiner.tracking_id].status is Status.DELIVERED
    assert run.ok and run.failed_jobs == ("follow_joiners",)
    [(email, _)] = fakes.mailer.sent
    assert email.kind == "report"
    for body in (email.text, email.html):
        assert _job_line("follow_joiners") in body and "ConflictError" in body


class OneStuckLedger(ConflictingLedger):
    """Only `stuck` keeps changing; every other joiner saves at once."""

    def __init__(self, records: dict[str, JoinerRecord], stuck: str) -> None:
        super().__init__(records, conflicts=10**6)
        self.stuck = stuck

    async def save(self, record: JoinerRecord) -> JoinerRecord:
        if record.tracking_id != self.stuck:
            return await FakeLedger.save(self, record)
        return await super().save(record)


def test_one_joiner_that_keeps_changing_does_not_hold_up_the_others() -> None:
    rows = [
        r
        for page in PAGES
        for r in page
        if "microsoftAuthenticatorPush" in (r.get("methodsRegistered") or [])
    ]
    assert len(rows) >= 2
    base = cohort_records()
    first = replace(base[0], status=Status.DELIVERED, user_id=rows[0]["id"])
    second = replace(base[1], status=Status.DELIVERED, user_id=rows[1]["id"])
    ledger = OneStuckLedger(
        {first.tracking_id: first, second.tracking_id: second}, stuck=first.tracking_id
    )
    fakes = report_fakes(ledger=ledger, phone_sign_in=_live(ledger))

    run = asyncio.run(fakes.services(make_settings()).daily_run())

    assert ledger.records[first.tracking_id].status is Status.DELIVERED
    assert ledger.records[second.tracking_id].status is Status.ENROLLED
    assert run.failed_jobs == ("follow_joiners",) and len(fakes.mailer.sent) == 1


# --- a failing doctor ------------------------------------------------------------------------


class RaisingTenant(FakeTenant):
    async def read_json(self, path: str) -> Fetched:
        raise RuntimeError("tenant policy read blew up")


class RaisingProbes(FakeProbes):
    async def token_roles(self) -> list[str] | ReadFailure:
        raise RuntimeError("token endpoint blew up")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"tenant": RaisingTenant()}, "tenant policy read blew up"),
        ({"probes": RaisingProbes()}, "token endpoint blew up"),
    ],
    ids=["tenant_read_raises", "probe_raises"],
)
def test_a_failing_doctor_still_produces_the_digest_and_names_the_failure(
    broken: dict[str, Any], message: str
) -> None:
    fakes = report_fakes(cohort_records(), **broken)

    run = asyncio.run(fakes.services(make_settings()).daily_run())

    assert run.outcome == "report" and run.failed_jobs == ("doctor",)
    [(email, _)] = fakes.mailer.sent
    assert email.kind == "report"
    for body in (email.text, email.html):
        assert _job_line("doctor") in body and message in body
    assert "SECURITY FINDING" in email.text  # the rest of the report is all there


# --- every other job, failing on its own ------------------------------------------------------


class BrokenLedgerScan(FakeLedger):
    def all(self) -> AsyncIterator[JoinerRecord]:
        raise TransientError("table storage is down")


class BrokenEnrolmentSave(FakeLedger):
    async def save(self, record: JoinerRecord) -> JoinerRecord:
        raise TransientError("table storage is down")


class BrokenClaims(FakeLedger):
    async def claim_once(self, key: str, now: Any) -> bool:
        raise TransientError("table storage is down")


class BrokenPrune(FakeLedger):
    async def prune(self, claims_before: Any, tap_hours_before: str) -> int:
        raise TransientError("table storage is down")


@dataclass
class OneBrokenQueue(FakeQueue):
    broken: str = ""

    async def enqueue(self, queue: str, payload: Mapping[str, Any], delay_seconds: int = 0) -> None:
        if queue == self.broken:
            raise TransientError(f"queue {queue} is down")
        await super().enqueue(queue, payload, delay_seconds)


class BrokenPut(FakeBlobStore):
    async def put(self, path: str, data: bytes, content_type: str) -> None:
        raise TransientError("blob storage is down")


class BrokenGet(FakeBlobStore):
    async def get(self, path: str) -> bytes | None:
        raise TransientError("blob storage is down")


class BrokenDelete(FakeBlobStore):
    async def delete(self, path: str) -> None:
        raise TransientError("blob storage is down")


def _with_snapshot(blobs: FakeBlobStore, days_ago: int) -> FakeBlobStore:
    ref = SnapshotRef(NOW.date() - timedelta(days=days_ago), "run-060000")
    body = b'{"keyFigures": {"passwordless_capable_pct": 30.0}}'
    blobs.blobs[ref.path(FIGURES)] = (body, "application/json")
    return blobs


def _records() -> list[JoinerRecord]:
    return [*cohort_records()[1:], _watched_joiner()]  # t01 watched instead of accepted


def _stalled() -> list[JoinerRecord]:
    return cohort_records()  # t01 is stuck in 'accepted'


JOB_CASES: list[tuple[str, Callable[[], Fakes], tuple[str, ...], bool]] = [
    (
        "ledger_all_raises",
        lambda: report_fakes(ledger=BrokenLedgerScan()),
        # the campaign's scope reads the ledger's joiners too: it fails with it, alone
        ("read_delivered_joiners", "campaign_scope", "scan_ledger"),
        True,
    ),
    (
        "enrolment_save_raises",
        lambda: report_fakes(
            ledger=BrokenEnrolmentSave({j.tracking_id: j for j in _records()}),
            phone_sign_in=[r.user_id or "" for r in _records()],
        ),
        ("follow_joiners",),
        True,
    ),
    (
        "onboarding_queue_raises",
        lambda: report_fakes(_stalled(), queue=OneBrokenQueue(broken="onboarding")),
        ("recover_stalled_intake",),
        True,
    ),
    (
        "reminder_queue_raises",
        lambda: report_fakes(_stalled(), queue=OneBrokenQueue(broken="reminders")),
        ("fan_out_reminders",),
        True,
    ),
    (
        "enqueue_claim_raises",
        lambda: report_fakes(ledger=BrokenClaims({r.tracking_id: r for r in _stalled()})),
        ("fan_out_reminders",),
        True,
    ),
    ("ledger_prune_raises", lambda: report_fakes(ledger=BrokenPrune()), ("prune_ledger",), True),
    (
        "trend_read_raises",
        lambda: report_fakes(blobs=_with_snapshot(BrokenGet(), days_ago=1)),
        ("trend",),
        True,
    ),
    # The snapshot's jobs run after the digest is rendered: in the run's result and the logs.
    ("blob_put_raises", lambda: report_fakes(blobs=BrokenPut()), ("store_snapshot",), False),
    (
        "blob_delete_raises",
        lambda: report_fakes(blobs=_with_snapshot(BrokenDelete(), days_ago=500)),
        ("prune_snapshots",),
        False,
    ),
]


@pytest.mark.parametrize(
    ("make", "failed", "in_digest"),
    [case[1:] for case in JOB_CASES],
    ids=[case[0] for case in JOB_CASES],
)
def test_each_failing_job_costs_only_itself_and_the_digest_still_goes_out(
    make: Callable[[], Fakes], failed: tuple[str, ...], in_digest: bool
) -> None:
    fakes = make()

    run = asyncio.run(fakes.services(make_settings()).daily_run())

    assert run.ok and run.failed_jobs == failed
    assert [j.name for j in run.jobs] == ALL_JOBS  # every other job still ran, and passed
    [(email, op_id)] = fakes.mailer.sent
    assert email.kind == "report" and op_id == run.email_operation_id
    assert "SECURITY FINDING" in email.text
    for job in failed:
        assert (_job_line(job) in email.text) is in_digest
        assert (_job_line(job) in email.html) is in_digest
