"""Build the daily registration report, archive it, mail it to the admins, fan out reminders.

stream userRegistrationDetails pages -> tenant figures (+ per-user CSV into a spooled buffer)
-> joiner cohort and due reminders (one pass over the ledger) -> trend from stored snapshots
-> render -> store the snapshot -> prune old snapshots -> email admins -> enqueue reminders.

A Graph read that fails (PermanentError / TransientError from the adapter) or returns no users
sends an error digest instead: silence or an empty report would read as "all is well".

Email operation ids are deterministic, so a retried run does not mail twice:
- scheduled runs: one id per UTC day (`report:<day>`, `report-error:<reason>:<day>`); the timer's
  retry or a second scheduled fire that day reuses it, and the mailer sends it once;
- on-demand runs (`scheduled=False`): one id per run (`report:<day>:<run id>`), since an admin
  asking for a report now expects a new email.
"""

from __future__ import annotations

import gzip
import io
import logging
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from shared.config import Settings
from shared.domain.email import Attachment, OutgoingEmail
from shared.domain.errors import PermanentError, TransientError
from shared.domain.graph_time import parse_graph_time
from shared.domain.housekeeping import claims_cutoff, tap_counter_cutoff
from shared.domain.record import JoinerRecord, Status
from shared.ports import BlobStore, Clock, Directory, JobQueue, Ledger, Mailer
from shared.report.cohort import CohortAggregator, CohortFigures
from shared.report.csv_export import CsvRowWriter
from shared.report.failure import ZERO_USERS, ReportFailure, failure_for, failure_from_error
from shared.report.fanout import DueReminder, due_slot
from shared.report.figures import (
    PASSWORDLESS_METHODS,
    REGISTRATION_SELECT,
    TenantAggregator,
    TenantFigures,
    methods_of,
)
from shared.report.render import RenderedEmail, render_digest, render_error_digest
from shared.report.snapshots import SnapshotRef, SnapshotStore, run_id_for
from shared.report.trend import TREND_DAYS, PastFigures, TrendRow, build_trend, trend_to_json

log = logging.getLogger(__name__)

REPORT_NAMESPACE = uuid.UUID("3d0b6a52-8f7e-4c1e-9d51-6a1f2b7c9e40")
# Past this the CSV lives in memory rather than on disk while pages stream in.
_SPOOL_BYTES = 8 * 1024 * 1024
# ACS Email caps a message at 10 MB after base64 (x4/3): keep attachments well below that.
ATTACHMENT_LIMIT = 5 * 1024 * 1024
SNAPSHOT_SCHEMA = 1


@dataclass(frozen=True)
class ReportRun:
    run_id: str
    started_at: datetime
    outcome: str  # "report" | "error_digest"
    users: int
    failure_reason: str | None
    snapshot_prefix: str | None
    email_operation_id: str | None  # None when send=False
    admin_findings: int
    reminders_enqueued: int
    snapshots_pruned: int
    ledger_pruned: int = 0  # claim markers and flood-cap counters past their retention

    @property
    def ok(self) -> bool:
        return self.outcome == "report"


@dataclass(frozen=True)
class _TenantRead:
    figures: TenantFigures | None
    csv: bytes
    failure: ReportFailure | None


def operation_id(day: str, kind: str, *, scheduled: bool, run_id: str) -> str:
    name = f"{kind}:{day}" if scheduled else f"{kind}:{day}:{run_id}"
    return str(uuid.uuid5(REPORT_NAMESPACE, name))


# What counts as "enrolled" for a joiner in the report: Authenticator (push or passwordless) or
# any passwordless / phishing-resistant method.
ENROLLING_METHODS = PASSWORDLESS_METHODS | {"microsoftAuthenticatorPush"}


class _EnrolmentWatch:
    """Notes, while the report streams by, which delivered joiners have since enrolled."""

    def __init__(self, joiners: dict[str, JoinerRecord]) -> None:
        self.joiners = joiners  # Entra user id -> delivered joiner (a small set: recent joiners)
        self.enrolled: list[tuple[JoinerRecord, str]] = []

    def __call__(self, row: Mapping[str, Any]) -> None:
        record = self.joiners.get(str(row.get("id", "")))
        if record is not None and ENROLLING_METHODS.intersection(methods_of(row)):
            self.enrolled.append((record, str(row.get("lastUpdatedDateTime") or "")))


async def _delivered_joiners(ledger: Ledger) -> dict[str, JoinerRecord]:
    return {r.user_id: r async for r in ledger.all() if r.status is Status.DELIVERED and r.user_id}


async def _mark_enrolled(ledger: Ledger, watch: _EnrolmentWatch, now: datetime) -> int:
    for record, seen in watch.enrolled:
        at = parse_graph_time(seen) or now
        updated = record.with_step("enrolled", now, "ok", "seen in the registration report")
        await ledger.save(replace(updated, status=Status.ENROLLED, enrolled_at=min(at, now)))
    return len(watch.enrolled)


async def _read_tenant(directory: Directory, watch: _EnrolmentWatch) -> _TenantRead:
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b") as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        writer = CsvRowWriter(text)

        def on_row(row: Mapping[str, Any]) -> None:
            writer(row)
            watch(row)

        aggregator = TenantAggregator(on_row=on_row)
        failure = None
        try:
            async for page in directory.registration_pages(list(REGISTRATION_SELECT)):
                aggregator.add_page(page)
        except (PermanentError, TransientError) as exc:
            failure = failure_from_error(exc)
        text.flush()
        text.detach()  # leave the spool open for reading; the with-block closes it
        spool.seek(0)
        csv = spool.read()
    if failure is None and aggregator.users == 0:
        failure = failure_for(ZERO_USERS)
    return _TenantRead(None if failure else aggregator.result(), csv, failure)


# An event recorded but still "accepted" after this long lost its queue message (the intake died
# between the ledger write and the enqueue); the report's pass over the ledger re-enqueues it.
STUCK_AFTER = timedelta(minutes=10)


async def _scan_ledger(
    ledger: Ledger,
    settings: Settings,
    now: datetime,
    stale_before: datetime,
    queue: JobQueue | None = None,
) -> tuple[CohortFigures, list[DueReminder]]:
    cohort = CohortAggregator(now, settings.report_overdue_days)
    due: list[DueReminder] = []
    async for record in ledger.all():
        cohort.add(record)
        stuck = (
            record.status is Status.ACCEPTED
            and now - (record.updated_at or record.accepted_at) > STUCK_AFTER
        )
        if queue is not None and stuck:
            log.warning(
                "re-enqueueing a joiner stuck in 'accepted'",
                extra={"tracking_id": record.tracking_id},
            )
            await queue.enqueue(settings.onboarding_queue, {"trackingId": record.tracking_id})
        slot = due_slot(
            record,
            settings.reminder_days,
            settings.reminder_max_count,
            now,
            stale_before=stale_before,
        )
        if slot is not None:
            due.append(DueReminder(record.tracking_id, slot))
    return cohort.result(), due


async def _fan_out(
    due: list[DueReminder], ledger: Ledger, queue: JobQueue, settings: Settings, now: datetime
) -> int:
    enqueued = 0
    for reminder in due:
        # The claim is what stops a second timer run (or a retry) enqueuing the same slot again.
        if await ledger.claim_once(f"reminder-enqueued:{reminder.idempotency_key}", now):
            await queue.enqueue(settings.reminder_queue, reminder.payload())
            enqueued += 1
    return enqueued


def _attachment(csv: bytes) -> tuple[tuple[Attachment, ...], str]:
    if len(csv) <= ATTACHMENT_LIMIT:
        return (Attachment("users.csv", "text/csv", csv),), "The per-user CSV is attached."
    packed = gzip.compress(csv, mtime=0)
    if len(packed) <= ATTACHMENT_LIMIT:
        note = "The per-user CSV is attached, gzip-compressed (users.csv.gz)."
        return (Attachment("users.csv.gz", "application/gzip", packed),), note
    return (
        (),
        "The per-user CSV is too large to attach; it is in the report's snapshot (users.csv).",
    )


def _email(
    settings: Settings, rendered: RenderedEmail, attachments: tuple[Attachment, ...] = ()
) -> OutgoingEmail:
    return OutgoingEmail(
        to=settings.admin_emails,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        attachments=attachments,
        kind="report",
    )


def _snapshot_figures(
    ref: SnapshotRef,
    now: datetime,
    tenant: TenantFigures,
    cohort: CohortFigures,
    trend: tuple[TrendRow, ...],
) -> dict[str, Any]:
    return {
        "schema": SNAPSHOT_SCHEMA,
        "runId": ref.run_id,
        "takenAt": now.isoformat(),
        "keyFigures": tenant.key_figures(),
        "tenant": tenant.to_json(),
        "cohort": cohort.to_json(),
        "trend": trend_to_json(trend),
    }


async def build_report(
    directory: Directory,
    ledger: Ledger,
    blobs: BlobStore,
    mailer: Mailer,
    queue: JobQueue,
    settings: Settings,
    clock: Clock,
    *,
    send: bool = True,
    scheduled: bool = True,
    fan_out: bool = True,
    setup_findings: Sequence[Mapping[str, str]] = (),
) -> ReportRun:
    """`blobs` is bound to the report container (REPORT_CONTAINER)."""
    now = clock.now()
    day = now.date().isoformat()
    ref = SnapshotRef(now.date(), run_id_for(now))
    store = SnapshotStore(blobs)

    watch = _EnrolmentWatch(await _delivered_joiners(ledger))
    tenant_read = await _read_tenant(directory, watch)
    enrolled = await _mark_enrolled(ledger, watch, now)
    if enrolled:
        log.info("joiners found enrolled in the report", extra={"enrolled": enrolled})
    # Claims older than this are pruned, so slots that fell due before it are not queued.
    cutoff = claims_cutoff(now, settings.reminder_days)
    cohort, due = await _scan_ledger(ledger, settings, now, cutoff, queue if fan_out else None)
    # Housekeeping rides on the daily run: it needs the ledger only, not Graph.
    ledger_pruned = await ledger.prune(cutoff, tap_counter_cutoff(now))

    if tenant_read.figures is None:
        failure = tenant_read.failure
        assert failure is not None  # _read_tenant returns one or the other
        log.error(
            "registration report failed", extra={"reason": failure.reason, "run_id": ref.run_id}
        )
        op_id = None
        if send:
            op_id = operation_id(
                day, f"report-error:{failure.reason}", scheduled=scheduled, run_id=ref.run_id
            )
            rendered = render_error_digest(settings, failure, generated_at=now, run_id=ref.run_id)
            await mailer.send(_email(settings, rendered), op_id)
        # Reminders depend on the ledger, not on the report: joiners are still chased.
        enqueued = await _fan_out(due, ledger, queue, settings, now) if fan_out else 0
        return ReportRun(
            ref.run_id,
            now,
            "error_digest",
            0,
            failure.reason,
            None,
            op_id,
            0,
            enqueued,
            0,
            ledger_pruned,
        )

    tenant = tenant_read.figures
    index = await store.index()
    past: dict[int, PastFigures | None] = {
        d: await store.nearest(d, now.date(), index) for d in TREND_DAYS
    }
    trend = build_trend(tenant.key_figures(), past)
    attachments, csv_note = _attachment(tenant_read.csv)
    rendered = render_digest(
        settings,
        tenant=tenant,
        cohort=cohort,
        trend=trend,
        generated_at=now,
        run_id=ref.run_id,
        csv_note=csv_note,
        setup_findings=setup_findings,
    )
    await store.save(
        ref, _snapshot_figures(ref, now, tenant, cohort, trend), tenant_read.csv, rendered.html
    )
    pruned = await store.prune(now.date(), settings.report_retention_days)

    op_id = None
    if send:
        op_id = operation_id(day, "report", scheduled=scheduled, run_id=ref.run_id)
        await mailer.send(_email(settings, rendered, attachments), op_id)
    enqueued = await _fan_out(due, ledger, queue, settings, now) if fan_out else 0
    log.info(
        "registration report built",
        extra={
            "run_id": ref.run_id,
            "users": tenant.users,
            "pages": tenant.pages,
            "admin_findings": len(tenant.admin_findings),
            "reminders_enqueued": enqueued,
            "snapshots_pruned": pruned,
            "ledger_pruned": ledger_pruned,
        },
    )
    return ReportRun(
        ref.run_id,
        now,
        "report",
        tenant.users,
        None,
        ref.prefix,
        op_id,
        len(tenant.admin_findings),
        enqueued,
        pruned,
        ledger_pruned,
    )
