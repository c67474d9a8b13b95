"""The composition root: `build_services(settings, **overrides) -> Services`.

The one place that turns Settings into policy objects and adapters and hands each use case only
the narrow ports it needs. Triggers (through functions/app_services.py), the CLI, tests and
benchmarks all build their services here; an override replaces one adapter (an in-memory fake,
a baseline) instead of monkeypatching. Adapters are imported here, lazily, so importing the app
does not pay for SDKs a process may never use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.config import Settings
from shared.doctor.runner import ServiceProbes, TenantReader
from shared.domain.cadence import CadencePolicy
from shared.domain.campaign import campaign_cadence, daily_capacity, hourly_allowance
from shared.domain.policies import (
    CampaignPolicy,
    OnboardingPolicy,
    ReminderPolicy,
    ReportPolicy,
)
from shared.ports import (
    BlobStore,
    CampaignDirectory,
    CampaignQueue,
    CampaignStore,
    Clock,
    GroupMembers,
    GroupRemover,
    Ledger,
    Mailer,
    MethodRemover,
    OnboardingDirectory,
    OnboardingQueue,
    RegistrationActivity,
    RegistrationReport,
    ReminderDirectory,
    ReminderQueue,
    UserLookup,
)
from shared.rendering import Brand
from shared.report.snapshots import SnapshotStore
from shared.usecases.accept_hr_request import HrIntake, IntakePolicy
from shared.usecases.campaign_control import CampaignControl
from shared.usecases.campaign_daily import CampaignDaily
from shared.usecases.campaign_plan import CampaignPlanner
from shared.usecases.campaign_scope import CampaignScope
from shared.usecases.campaign_send import CampaignSend
from shared.usecases.cancel_onboarding import Cancellation
from shared.usecases.daily_run import DailyRun
from shared.usecases.follow_joiner import FollowJoiner, ProgressDirectory
from shared.usecases.joiner_status import JoinerStatus
from shared.usecases.move_start import StartMoveSettlement
from shared.usecases.notify import AdminAlerts
from shared.usecases.onboard_joiner import Onboarding
from shared.usecases.rehire import Rehire, StaleMethodRemoval
from shared.usecases.send_reminder import Reminders
from shared.usecases.tenant_doctor import TenantDoctor


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Directory(
    OnboardingDirectory,
    ReminderDirectory,
    RegistrationActivity,
    RegistrationReport,
    GroupRemover,
    MethodRemover,
    UserLookup,
    Protocol,
):
    """Everything the app asks the directory, for overrides that stand in for all of it."""


class CampaignReads(CampaignDirectory, GroupMembers, Protocol):
    """The campaign's directory reads (the user before a send, the scope's group members)."""


@dataclass
class Services:
    settings: Settings
    accept_hr_request: HrIntake
    onboard_joiner: Onboarding
    send_reminder: Reminders
    daily_run: DailyRun
    tenant_doctor: TenantDoctor
    joiner_status: JoinerStatus
    rehire: Rehire
    snapshots: SnapshotStore
    ledger: Ledger
    users: UserLookup
    onboarding_queue: OnboardingQueue
    reminder_queue: ReminderQueue
    clock: Clock
    campaign_plan: CampaignPlanner
    campaign_control: CampaignControl
    send_campaign: CampaignSend
    campaign_store: CampaignStore
    campaign_queue: CampaignQueue
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list, repr=False)

    async def aclose(self) -> None:
        """Close the clients these services opened (pools, credential sessions)."""
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            await close()


def onboarding_policy(settings: Settings) -> OnboardingPolicy:
    return OnboardingPolicy(
        group_ids=settings.passwordless_group_ids,
        tap_lifetime_minutes=settings.tap_lifetime_minutes,
        tap_one_time=settings.tap_one_time,
        tap_max_per_hour=settings.tap_max_per_hour,
        tap_start_hour=settings.tap_start_hour,
        default_time_zone=settings.default_time_zone,
        prehire_lead_days=settings.prehire_lead_days,
        provisioning_deadline_hours=settings.provisioning_deadline_hours,
        account_retry_base_seconds=settings.account_retry_base_seconds,
        max_account_age_days=settings.max_account_age_days,
        fallback_delivery_email=settings.fallback_delivery_email,
        delivery_domains=settings.delivery_domains,
    )


def cadence_policy(settings: Settings) -> CadencePolicy:
    return CadencePolicy(
        days=tuple(sorted(settings.reminder_days)),
        max_count=settings.reminder_max_count,
        manager_cc_from=settings.reminder_manager_cc_from,
    )


def reminder_policy(settings: Settings) -> ReminderPolicy:
    return ReminderPolicy(
        cadence=cadence_policy(settings),
        quiet_hours=settings.quiet_hours,
        default_time_zone=settings.default_time_zone,
        reissue_tap=settings.reminder_reissue_tap,
        targets=settings.target_methods,
        retire_tap=settings.tap_retire_after_enrolment,
    )


def report_policy(settings: Settings) -> ReportPolicy:
    return ReportPolicy(
        admin_emails=settings.admin_emails,
        overdue_days=settings.report_overdue_days,
        retention_days=settings.report_retention_days,
        reminder_days=settings.reminder_days,
        targets=settings.target_methods,
        member_groups=settings.passwordless_group_ids,
    )


def campaign_policy(settings: Settings) -> CampaignPolicy:
    per_hour, share = settings.email_rate_per_hour, settings.campaign_email_share_percent
    return CampaignPolicy(
        include_group_ids=settings.campaign_include_group_ids,
        exclude_group_ids=tuple(
            dict.fromkeys(settings.campaign_exclude_group_ids + settings.protected_group_ids)
        ),
        cadence=campaign_cadence(settings.campaign_cadence_days, settings.campaign_max_contacts),
        targets=settings.target_methods,
        hourly_allowance=hourly_allowance(per_hour, share),
        daily_capacity=daily_capacity(
            per_hour, share, settings.quiet_hours, settings.campaign_daily_limit
        ),
        quiet_hours=settings.quiet_hours,
        default_time_zone=settings.default_time_zone,
        country_zones=settings.campaign_country_zones,
    )


def joiner_follower(
    settings: Settings, *, directory: ProgressDirectory, ledger: Ledger, clock: Clock
) -> FollowJoiner:
    return FollowJoiner(
        directory=directory,
        ledger=ledger,
        clock=clock,
        targets=settings.target_methods,
        retire_tap=settings.tap_retire_after_enrolment,
    )


def build_services(
    settings: Settings,
    *,
    directory: Directory | None = None,
    ledger: Ledger | None = None,
    mailer: Mailer | None = None,
    blobs: BlobStore | None = None,
    onboarding_queue: OnboardingQueue | None = None,
    reminder_queue: ReminderQueue | None = None,
    tenant: TenantReader | None = None,
    probes: ServiceProbes | None = None,
    clock: Clock | None = None,
    campaign_store: CampaignStore | None = None,
    campaign_directory: CampaignReads | None = None,
    campaign_queue: CampaignQueue | None = None,
) -> Services:
    """Build every use case; each keyword replaces the adapter the settings would give."""
    closers: list[Callable[[], Awaitable[None]]] = []
    clock = clock or SystemClock()
    adapters = _Adapters(settings, closers)
    directory = directory or adapters.directory()
    ledger = ledger or adapters.ledger()
    mailer = mailer or adapters.mailer()
    blobs = blobs or adapters.blobs()
    onboarding_queue = onboarding_queue or adapters.queue(settings.onboarding_queue)
    reminder_queue = reminder_queue or adapters.queue(settings.reminder_queue)
    tenant = tenant or adapters.tenant()
    probes = probes or adapters.probes()
    campaign_store = campaign_store or adapters.campaign_store()
    campaign_directory = campaign_directory or adapters.campaign_directory()
    campaign_queue = campaign_queue or _LazyQueue(lambda: adapters.queue(settings.campaign_queue))

    the_brand = Brand.from_settings(settings)
    alerts = AdminAlerts(mailer, clock, the_brand, settings.admin_emails)
    cancellation = Cancellation(
        directory=directory,
        ledger=ledger,
        mailer=mailer,
        clock=clock,
        brand=the_brand,
        alerts=alerts,
    )
    onboarding = Onboarding(
        policy=onboarding_policy(settings),
        brand=the_brand,
        ledger=ledger,
        directory=directory,
        mailer=mailer,
        queue=onboarding_queue,
        clock=clock,
        alerts=alerts,
        cancel=cancellation,
        remove_stale=StaleMethodRemoval(directory=directory, ledger=ledger, clock=clock),
        settle_move=StartMoveSettlement(
            directory=directory, ledger=ledger, clock=clock, policy=onboarding_policy(settings)
        ),
    )
    follow = joiner_follower(settings, directory=directory, ledger=ledger, clock=clock)
    doctor = TenantDoctor(settings=settings, tenant=tenant, probes=probes)
    snapshots = SnapshotStore(blobs)
    campaign = campaign_policy(settings)
    campaign_scope = CampaignScope(
        policy=campaign, members=campaign_directory, store=campaign_store, ledger=ledger
    )
    return Services(
        settings=settings,
        accept_hr_request=HrIntake(
            policy=IntakePolicy(
                settings.hr_webhook_secrets, settings.max_event_bytes, settings.tracking_id_key
            ),
            ledger=ledger,
            queue=onboarding_queue,
            clock=clock,
        ),
        onboard_joiner=onboarding,
        send_reminder=Reminders(
            policy=reminder_policy(settings),
            brand=the_brand,
            ledger=ledger,
            directory=directory,
            mailer=mailer,
            queue=reminder_queue,
            clock=clock,
            alerts=alerts,
            reissue=onboarding.reissue,
            follow=follow,
        ),
        daily_run=DailyRun(
            policy=report_policy(settings),
            cadence=cadence_policy(settings),
            default_time_zone=settings.default_time_zone,
            brand=the_brand,
            report=directory,
            ledger=ledger,
            snapshots=snapshots,
            mailer=mailer,
            onboarding_queue=onboarding_queue,
            reminder_queue=reminder_queue,
            clock=clock,
            doctor=doctor.findings,
            follow=follow,
            activity=directory,
            campaign=CampaignDaily(
                policy=campaign, scope=campaign_scope, store=campaign_store, queue=campaign_queue
            ),
        ),
        tenant_doctor=doctor,
        joiner_status=JoinerStatus(ledger),
        rehire=Rehire(directory=directory, ledger=ledger, clock=clock, alerts=alerts),
        snapshots=snapshots,
        ledger=ledger,
        users=directory,
        onboarding_queue=onboarding_queue,
        reminder_queue=reminder_queue,
        clock=clock,
        campaign_plan=CampaignPlanner(
            policy=campaign, scope=campaign_scope, report=directory, clock=clock
        ),
        campaign_control=CampaignControl(store=campaign_store, users=directory, clock=clock),
        send_campaign=CampaignSend(
            policy=campaign,
            brand=the_brand,
            store=campaign_store,
            directory=campaign_directory,
            mailer=mailer,
            queue=campaign_queue,
            clock=clock,
        ),
        campaign_store=campaign_store,
        campaign_queue=campaign_queue,
        _closers=closers,
    )


class _LazyQueue:
    """A queue port built on first send: a process (or test) without storage that never queues
    campaign mail needs no storage connection for it."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._queue: Any = None

    async def send(self, command: Any, delay_seconds: int = 0) -> None:
        if self._queue is None:
            self._queue = self._build()
        await self._queue.send(command, delay_seconds)


class _Adapters:
    """The real adapters, built from settings only when no override replaces them."""

    def __init__(self, settings: Settings, closers: list[Callable[[], Awaitable[None]]]) -> None:
        self._settings = settings
        self._closers = closers
        self._graph: Any = None
        self._storage_queues: Any = None

    def _graph_directory(self) -> Any:
        if self._graph is None:
            from shared.adapters.clients import graph_client
            from shared.adapters.graph_close import close_graph_client
            from shared.adapters.graph_directory import GraphDirectory

            client = graph_client(self._settings)
            self._graph = GraphDirectory(
                client,
                self._settings.graph_base_url,
                protected_group_ids=self._settings.protected_group_ids,
            )
            self._closers.append(lambda: close_graph_client(client))
            self._closers.append(self._graph.aclose)  # closed first: it may still send
        return self._graph

    def directory(self) -> Directory:
        directory: Directory = self._graph_directory()
        return directory

    def tenant(self) -> TenantReader:
        from shared.adapters.graph_tenant import GraphTenantReader

        return GraphTenantReader(self._graph_directory().raw)

    def probes(self) -> ServiceProbes:
        from shared.adapters.doctor_probes import AppServiceProbes

        return AppServiceProbes(self._settings)

    def ledger(self) -> Ledger:
        from shared.adapters.table_ledger import TableLedger

        ledger = TableLedger(self._settings.require_storage(), self._settings.ledger_table)
        self._closers.append(ledger.aclose)
        return ledger

    def blobs(self) -> BlobStore:
        from shared.adapters.blob_store import AzureBlobStore

        blobs = AzureBlobStore(self._settings.require_storage(), self._settings.report_container)
        self._closers.append(blobs.aclose)
        return blobs

    def queue(self, name: str) -> Any:
        from shared.adapters.command_queue import StorageCommandQueue
        from shared.adapters.storage_queue import StorageJobQueue

        if self._storage_queues is None:
            self._storage_queues = StorageJobQueue(self._settings.require_storage())
            self._closers.append(self._storage_queues.aclose)
        return StorageCommandQueue(self._storage_queues, name)

    def campaign_store(self) -> CampaignStore:
        from shared.adapters.table_campaign import TableCampaignStore

        store = TableCampaignStore(self._settings.require_storage, self._settings.campaign_table)
        self._closers.append(store.aclose)
        return store

    def campaign_directory(self) -> CampaignReads:
        from shared.adapters.graph_campaign import GraphCampaignDirectory

        return GraphCampaignDirectory(self._graph_directory)

    def mailer(self) -> Mailer:
        from shared.adapters.acs_mailer import AcsMailer
        from shared.adapters.rate_limited_mailer import (
            ProcessBudget,
            RateLimitedMailer,
            SendBudget,
        )
        from shared.adapters.table_email_budget import TableEmailBudget
        from shared.domain.email_budget import EmailBudget
        from shared.domain.rate_limit import RateLimiter

        s = self._settings
        budget: SendBudget
        if s.storage is not None:  # one budget for every instance, in the ledger's table
            shares = EmailBudget.for_limits(
                s.email_rate_per_minute, s.email_rate_per_hour, s.campaign_email_share_percent
            )
            budget = TableEmailBudget(s.storage, s.ledger_table, shares)
        else:  # a process without the app's storage (a CLI run) can only count its own sends
            budget = ProcessBudget(RateLimiter(s.email_rate_per_minute, s.email_rate_per_hour))
        mailer = RateLimitedMailer(AcsMailer(s), budget)
        self._closers.append(mailer.aclose)
        return mailer
