"""Use case: the daily run — an orchestrator of isolated jobs that always ends in a digest.

doctor → stream userRegistrationDetails (tenant figures, per-user CSV, joiners seen moving)
→ follow those joiners live (stages, enrolment, TAP retirement) → the audit log's registrations
of the last 24 h → scan the ledger (cohort, stalled intake, due reminders) → recover stalled
intake → fan out reminders → prune the ledger → trend, render, snapshot → digest to admins.

Each job's failure is logged, counted in `ReportRun.jobs` and shown at the top of the digest as
a finding; it never costs the admins their digest. Only the tenant read itself decides between
the digest and the error digest: silence or an empty report would read as "all is well".

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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from shared.domain.cadence import CadencePolicy, reminder_due
from shared.domain.campaign_figures import Funnel
from shared.domain.commands import OnboardJoiner, SendReminder
from shared.domain.email import Attachment, OutgoingEmail
from shared.domain.errors import ConflictError, PermanentError, TransientError
from shared.domain.housekeeping import claims_cutoff, tap_counter_cutoff
from shared.domain.passwordless import report_stage
from shared.domain.policies import ReportPolicy
from shared.domain.quiet_hours import recipient_zone
from shared.domain.record import JoinerRecord, Status
from shared.domain.registration import RegistrationRow
from shared.domain.registration_fallback import REPORT_UNLICENSED
from shared.ports import (
    Clock,
    Ledger,
    Mailer,
    OnboardingQueue,
    RegistrationActivity,
    RegistrationReport,
    ReminderQueue,
)
from shared.rendering import Brand, RenderedEmail
from shared.report.activity import ActivitySummary, summarize_activity
from shared.report.cohort import CohortAggregator, CohortFigures
from shared.report.csv_export import CsvRowWriter
from shared.report.failure import ZERO_USERS, ReportFailure, failure_for, failure_from_error
from shared.report.figures import TenantAggregator, TenantFigures
from shared.report.render import render_digest, render_error_digest
from shared.report.snapshots import SnapshotRef, SnapshotStore, run_id_for
from shared.report.trend import TREND_DAYS, PastFigures, TrendRow, build_trend, trend_to_json
from shared.usecases.campaign_daily import CampaignDaily
from shared.usecases.campaign_scope import CampaignTally
from shared.usecases.follow_joiner import FollowJoiner

log = logging.getLogger(__name__)
T = TypeVar("T")

REPORT_NAMESPACE = uuid.UUID("3d0b6a52-8f7e-4c1e-9d51-6a1f2b7c9e40")
# Past this the CSV lives in memory rather than on disk while pages stream in.
_SPOOL_BYTES = 8 * 1024 * 1024
# ACS Email caps a message at 10 MB after base64 (x4/3): keep attachments well below that.
ATTACHMENT_LIMIT = 5 * 1024 * 1024
SNAPSHOT_SCHEMA = 1
# An event recorded but still "accepted" after this long lost its queue message (the intake died
# between the ledger write and the enqueue); the daily run re-enqueues it.
STUCK_AFTER = timedelta(minutes=10)
# A joiner record changed by a concurrent worker (stale ETag) is re-read and updated again.
CONFLICT_RETRIES = 3

# The digest says when its figures are the passwordless groups' members, not the tenant.
MEMBERS_ONLY_FINDING = {
    "check": "report: whole tenant",
    "status": "warn",
    "found": (
        "the tenant has no Microsoft Entra ID P1/P2, so Graph does not give out the "
        "registration report: these figures are the passwordless groups' members only, read "
        "user by user"
    ),
    "fix": (
        "license Entra ID P1 or P2 (Entra admin center > Billing > Licenses) for figures of "
        "every user; nothing else needs to change"
    ),
}

# How far back the digest lists method registrations from the audit log.
ACTIVITY_WINDOW = timedelta(hours=24)

Findings = Sequence[Mapping[str, str]]
DoctorFindings = Callable[[], Awaitable[Findings]]


@dataclass(frozen=True)
class JobResult:
    name: str
    ok: bool
    detail: str = ""

    def as_finding(self) -> dict[str, str]:
        return {
            "check": f"daily run: {self.name.replace('_', ' ')}",
            "status": "fail",
            "found": f"this job failed: {self.detail}",
            "fix": "see the logs of this run (run id in the footer); the next run retries it",
        }


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
    jobs: tuple[JobResult, ...] = ()
    campaign: Funnel | None = None  # the registration campaign's funnel (None: its job failed)

    @property
    def ok(self) -> bool:
        return self.outcome == "report"

    @property
    def failed_jobs(self) -> tuple[str, ...]:
        return tuple(j.name for j in self.jobs if not j.ok)


def operation_id(day: str, kind: str, *, scheduled: bool, run_id: str) -> str:
    name = f"{kind}:{day}" if scheduled else f"{kind}:{day}:{run_id}"
    return str(uuid.uuid5(REPORT_NAMESPACE, name))


@dataclass
class _TenantRead:
    figures: TenantFigures | None
    csv: bytes
    failure: ReportFailure | None
    # Delivered joiners whose report row shows a stage beyond what the ledger has.
    moving: list[JoinerRecord] = field(default_factory=list)
    # True: no licence for the report; the rows are the passwordless groups' members'.
    from_members: bool = False


@dataclass
class _LedgerScan:
    cohort: CohortFigures
    stalled: list[str] = field(default_factory=list)
    due: list[SendReminder] = field(default_factory=list)


class _Jobs:
    """Runs each job in its own failure domain and keeps what happened."""

    def __init__(self) -> None:
        self.results: list[JobResult] = []

    async def run(self, name: str, work: Callable[[], Awaitable[T]], fallback: T) -> T:
        try:
            result = await work()
        except Exception as exc:  # one job's failure must not cost the admins their digest
            log.exception("daily run job failed", extra={"job": name})
            text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            self.results.append(JobResult(name, False, f"{type(exc).__name__}: {text}".strip()))
            return fallback
        self.results.append(JobResult(name, True))
        return result

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]


class DailyRun:
    def __init__(
        self,
        *,
        policy: ReportPolicy,
        cadence: CadencePolicy,
        default_time_zone: str,
        brand: Brand,
        report: RegistrationReport,
        ledger: Ledger,
        snapshots: SnapshotStore,
        mailer: Mailer,
        onboarding_queue: OnboardingQueue,
        reminder_queue: ReminderQueue,
        clock: Clock,
        follow: FollowJoiner,
        activity: RegistrationActivity,
        doctor: DoctorFindings | None = None,
        campaign: CampaignDaily | None = None,
    ) -> None:
        self._campaign = campaign
        self._follow = follow
        self._activity = activity
        self._policy = policy
        self._cadence = cadence
        self._default_time_zone = default_time_zone
        self._brand = brand
        self._report = report
        self._ledger = ledger
        self._snapshots = snapshots
        self._mailer = mailer
        self._onboarding_queue = onboarding_queue
        self._reminder_queue = reminder_queue
        self._clock = clock
        self._doctor = doctor

    async def __call__(
        self, *, send: bool = True, scheduled: bool = True, fan_out: bool = True
    ) -> ReportRun:
        now = self._clock.now()
        ref = SnapshotRef(now.date(), run_id_for(now))
        jobs = _Jobs()
        findings: Findings = ()
        if self._doctor is not None:
            findings = await jobs.run("doctor", self._doctor, ())
        nobody: dict[str, JoinerRecord] = {}
        watched = await jobs.run("read_delivered_joiners", self._delivered_joiners, nobody)
        tally: CampaignTally | None = None
        if self._campaign is not None:
            tally = await jobs.run("campaign_scope", self._campaign.scope, None)
        tenant = await self._read_tenant(watched, tally)
        await jobs.run("follow_joiners", lambda: self._follow_moving(tenant.moving), 0)
        no_activity = summarize_activity([], now - ACTIVITY_WINDOW, now)
        activity = await jobs.run(
            "registration_activity", lambda: self._registration_activity(now), no_activity
        )
        cutoff = claims_cutoff(now, self._policy.reminder_days)
        scan = await jobs.run(
            "scan_ledger", lambda: self._scan_ledger(now, cutoff), _LedgerScan(self._no_cohort(now))
        )
        enqueued = 0
        if fan_out:
            await jobs.run("recover_stalled_intake", lambda: self._recover(scan.stalled), None)
            enqueued = await jobs.run("fan_out_reminders", lambda: self._fan_out(scan.due, now), 0)
        # The campaign comes after the joiner work, on its own queue: it never delays joiner mail.
        # It queues mail only off a whole read of the report (a partial one is a partial scope).
        campaign: Funnel | None = None
        if self._campaign is not None:
            daily, counted = self._campaign, tally
            whole = fan_out and tenant.failure is None
            campaign = await jobs.run(
                "campaign", lambda: daily.finish(counted, now, fan_out=whole), None
            )
        # Housekeeping rides on the daily run: it needs the ledger only, not Graph.
        ledger_pruned = await jobs.run(
            "prune_ledger", lambda: self._ledger.prune(cutoff, tap_counter_cutoff(now)), 0
        )
        if self._campaign is not None:
            daily = self._campaign
            ledger_pruned += await jobs.run("prune_campaign", lambda: daily.prune(now), 0)
        if tenant.figures is None:
            assert tenant.failure is not None  # _read_tenant returns one or the other
            return await self._error_digest(
                tenant.failure,
                ref,
                now,
                jobs,
                enqueued,
                ledger_pruned,
                send=send,
                scheduled=scheduled,
            )
        tenant_figures = tenant.figures
        no_trend: tuple[TrendRow, ...] = ()
        trend = await jobs.run("trend", lambda: self._trend(tenant_figures, now), no_trend)
        attachments, csv_note = _attachment(tenant.csv)
        # Jobs that failed so far lead the setup findings; the snapshot's jobs run after the
        # render and are in the run's result and the logs.
        all_findings = [*(j.as_finding() for j in jobs.failed), *findings]
        if tenant.from_members:
            all_findings.insert(0, MEMBERS_ONLY_FINDING)
        rendered = render_digest(
            brand=self._brand,
            retention_days=self._policy.retention_days,
            tenant=tenant.figures,
            cohort=scan.cohort,
            trend=trend,
            generated_at=now,
            run_id=ref.run_id,
            csv_note=csv_note,
            setup_findings=all_findings,
            activity=activity,
            campaign=campaign,
        )
        figures = _snapshot_figures(ref, now, tenant.figures, scan.cohort, trend, activity)
        if campaign is not None:
            figures["campaign"] = campaign.to_json()
        # Where the tenant figures come from: the report, or (no licence) the groups' members.
        figures["tenantSource"] = "group_members" if tenant.from_members else "report"

        async def store() -> bool:
            await self._snapshots.save(ref, figures, tenant.csv, rendered.html)
            return True

        stored = await jobs.run("store_snapshot", store, False)
        pruned = await jobs.run(
            "prune_snapshots",
            lambda: self._snapshots.prune(now.date(), self._policy.retention_days),
            0,
        )
        op_id = None
        if send:
            op_id = operation_id(
                now.date().isoformat(), "report", scheduled=scheduled, run_id=ref.run_id
            )
            await self._mailer.send(self._email(rendered, attachments), op_id)
        run = ReportRun(
            ref.run_id,
            now,
            "report",
            tenant.figures.users,
            None,
            ref.prefix if stored is not False else None,
            op_id,
            len(tenant.figures.admin_findings),
            enqueued,
            pruned,
            ledger_pruned,
            tuple(jobs.results),
            campaign,
        )
        log.info(
            "registration report built",
            extra={
                "run_id": ref.run_id,
                "users": run.users,
                "pages": tenant.figures.pages,
                "admin_findings": run.admin_findings,
                "reminders_enqueued": enqueued,
                "snapshots_pruned": pruned,
                "ledger_pruned": ledger_pruned,
                "failed_jobs": list(run.failed_jobs),
            },
        )
        return run

    # --- jobs ----------------------------------------------------------------------------

    async def _delivered_joiners(self) -> dict[str, JoinerRecord]:
        """Entra user id -> delivered joiner: a small set (recent joiners) watched in the read."""
        return {
            r.user_id: r
            async for r in self._ledger.all()
            if r.status is Status.DELIVERED and r.user_id
        }

    async def _read_tenant(
        self, watched: Mapping[str, JoinerRecord], tally: CampaignTally | None = None
    ) -> _TenantRead:
        moving: list[JoinerRecord] = []
        targets = self._policy.targets
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b") as spool:
            text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
            writer = CsvRowWriter(text)

            def on_row(row: RegistrationRow) -> None:
                writer(row)
                if tally is not None:
                    tally.add(row)
                record = watched.get(row.id)
                if record is None:
                    return
                shown = report_stage(row.methods, targets)
                known = record.stage
                if shown is not None and (known is None or shown.rank > known.rank):
                    moving.append(record)

            aggregator = TenantAggregator(on_row=on_row)
            failure = None
            from_members = False
            try:
                try:
                    async for page in self._report.registration_pages():
                        aggregator.add_page(page)
                except PermanentError as exc:
                    # No P1/P2, no report: rather than fail every day, read the people
                    # Tapstart cares for (its groups' members) user by user, and say so.
                    groups = self._policy.member_groups
                    if exc.reason != REPORT_UNLICENSED or aggregator.users or not groups:
                        raise
                    from_members = True
                    async for page in self._report.member_registration_pages(groups):
                        aggregator.add_page(page)
            except (PermanentError, TransientError) as exc:
                failure = failure_from_error(exc)
            text.flush()
            text.detach()  # leave the spool open for reading; the with-block closes it
            spool.seek(0)
            csv = spool.read()
        if failure is None and aggregator.users == 0:
            failure = failure_for(ZERO_USERS)
        figures = None if failure else aggregator.result()
        return _TenantRead(figures, csv, failure, moving, from_members)

    async def _follow_moving(self, moving: list[JoinerRecord]) -> int:
        """Read each joiner the report shows moving live: the report lags and may be stale,
        so the live methods decide (and retire the TAP); each joiner fails on its own."""
        failed: list[str] = []
        for record in moving:
            try:
                await self._follow_one(record)
            except (ConflictError, PermanentError, TransientError) as exc:
                # One joiner that keeps changing or cannot be read must not hold up the rest.
                log.warning(
                    "joiner progress not recorded",
                    extra={"tracking_id": record.tracking_id, "error": type(exc).__name__},
                )
                failed.append(record.tracking_id)
        if moving:
            log.info("joiners followed after the report", extra={"joiners": len(moving)})
        if failed:
            raise ConflictError(
                f"{len(failed)} of {len(moving)} joiner(s) could not be followed up; the next "
                "run or reminder tries again"
            )
        return len(moving)

    async def _follow_one(self, record: JoinerRecord) -> None:
        for attempt in range(CONFLICT_RETRIES):
            if record.status is not Status.DELIVERED:
                return  # a concurrent reminder already followed it (or it moved on)
            try:
                await self._follow(record, source="registration report")
                return
            except ConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                fresh = await self._ledger.get(record.tracking_id)
                if fresh is None:
                    return
                record = fresh

    async def _registration_activity(self, now: datetime) -> ActivitySummary:
        since = now - ACTIVITY_WINDOW
        return summarize_activity(await self._activity.registration_events(since), since, now)

    async def _scan_ledger(self, now: datetime, stale_before: datetime) -> _LedgerScan:
        scan = _LedgerScan(self._no_cohort(now))
        cohort = CohortAggregator(now, self._policy.overdue_days)
        async for record in self._ledger.all():
            cohort.add(record)
            if (
                record.status is Status.ACCEPTED
                and now - (record.updated_at or record.accepted_at) > STUCK_AFTER
            ):
                scan.stalled.append(record.tracking_id)
            zone = recipient_zone(record.time_zone, self._default_time_zone)
            due = reminder_due(record, self._cadence, now, zone=zone, stale_before=stale_before)
            if due is not None:
                scan.due.append(SendReminder(record.tracking_id, due.slot))
        scan.cohort = cohort.result()
        return scan

    def _no_cohort(self, now: datetime) -> CohortFigures:
        return CohortAggregator(now, self._policy.overdue_days).result()

    async def _recover(self, stalled: list[str]) -> None:
        for tracking_id in stalled:
            log.warning(
                "re-enqueueing a joiner stuck in 'accepted'", extra={"tracking_id": tracking_id}
            )
            await self._onboarding_queue.send(OnboardJoiner(tracking_id))

    async def _fan_out(self, due: list[SendReminder], now: datetime) -> int:
        enqueued = 0
        for command in due:
            # The claim is what stops a second run (or a retry) enqueuing the same slot again.
            key = f"reminder-enqueued:{command.tracking_id}:{command.slot}"
            if await self._ledger.claim_once(key, now):
                await self._reminder_queue.send(command)
                enqueued += 1
        return enqueued

    async def _trend(self, tenant: TenantFigures, now: datetime) -> tuple[TrendRow, ...]:
        index = await self._snapshots.index()
        past: dict[int, PastFigures | None] = {
            d: await self._snapshots.nearest(d, now.date(), index) for d in TREND_DAYS
        }
        return build_trend(tenant.key_figures(), past)

    # --- the digest ----------------------------------------------------------------------

    async def _error_digest(
        self,
        failure: ReportFailure,
        ref: SnapshotRef,
        now: datetime,
        jobs: _Jobs,
        enqueued: int,
        ledger_pruned: int,
        *,
        send: bool,
        scheduled: bool,
    ) -> ReportRun:
        log.error(
            "registration report failed", extra={"reason": failure.reason, "run_id": ref.run_id}
        )
        op_id = None
        if send:
            op_id = operation_id(
                now.date().isoformat(),
                f"report-error:{failure.reason}",
                scheduled=scheduled,
                run_id=ref.run_id,
            )
            rendered = render_error_digest(
                brand=self._brand,
                failure=failure,
                generated_at=now,
                run_id=ref.run_id,
            )
            await self._mailer.send(self._email(rendered), op_id)
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
            tuple(jobs.results),
        )

    def _email(
        self, rendered: RenderedEmail, attachments: tuple[Attachment, ...] = ()
    ) -> OutgoingEmail:
        return OutgoingEmail(
            to=self._policy.admin_emails,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            attachments=attachments,
            kind="report",
        )


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


def _snapshot_figures(
    ref: SnapshotRef,
    now: datetime,
    tenant: TenantFigures,
    cohort: CohortFigures,
    trend: tuple[TrendRow, ...],
    activity: ActivitySummary,
) -> dict[str, Any]:
    return {
        "schema": SNAPSHOT_SCHEMA,
        "runId": ref.run_id,
        "takenAt": now.isoformat(),
        "keyFigures": tenant.key_figures(),
        "tenant": tenant.to_json(),
        "cohort": cohort.to_json(),
        "trend": trend_to_json(trend),
        "registrationActivity": activity.to_json(),
    }
