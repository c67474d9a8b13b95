"""Shared pieces for the report tests: settings, a paging directory, the seeded ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.config import Settings
from shared.domain.passwordless import MethodKind, SignInMethod
from shared.domain.record import JoinerRecord, ReminderLog, Status
from shared.domain.registration import RegistrationRow, row_from_json
from shared.ports import Ledger, RegistrationReport
from shared.rendering import Brand
from shared.report.snapshots import SnapshotStore
from shared.services import cadence_policy, joiner_follower, report_policy
from shared.usecases.daily_run import DailyRun, ReportRun
from tests.fakes import (
    FakeBlobStore,
    FakeClock,
    FakeDirectory,
    FakeLedger,
    FakeMailer,
    FakeQueue,
    Fakes,
)
from tests.unit.report.tenant_rows import PAGES

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

BASE_ENV = {
    "ACS_ENDPOINT": "https://acs.example.test",
    "MAIL_SENDER": "tapstart@contoso.example",
    "ADMIN_EMAILS": "it-admins@contoso.example, ciso@contoso.example",
    "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
    "PASSWORDLESS_GROUP_IDS": "11111111-2222-3333-4444-555555555555",
    "BRAND_COMPANY_NAME": "Contoso",
}


def make_settings(**overrides: str) -> Settings:
    return Settings.from_env({**BASE_ENV, **overrides})


@pytest.fixture
def settings() -> Settings:
    return make_settings()


class PagedDirectory:
    """Serves `registration_pages` from a list of pages; `fail_with` raises after `fail_after`."""

    def __init__(
        self,
        pages: list[list[dict[str, Any]]],
        fail_with: Exception | None = None,
        fail_after: int = 0,
    ) -> None:
        self.pages = pages
        self.fail_with = fail_with
        self.fail_after = fail_after
        self.reads = 0
        self.member_pages: list[list[dict[str, Any]]] = []
        self.member_reads: list[tuple[str, ...]] = []

    async def registration_pages(self) -> AsyncIterator[list[RegistrationRow]]:
        self.reads += 1
        for number, page in enumerate(self.pages):
            if self.fail_with is not None and number == self.fail_after:
                raise self.fail_with
            yield [row_from_json(row) for row in page]
        if self.fail_with is not None and self.fail_after >= len(self.pages):
            raise self.fail_with

    async def member_registration_pages(
        self, group_ids: Sequence[str]
    ) -> AsyncIterator[list[RegistrationRow]]:
        """The members' rows: `member_pages`, read once per call."""
        self.member_reads.append(tuple(group_ids))
        for page in self.member_pages:
            yield [row_from_json(row) for row in page]


Findings = Sequence[Mapping[str, str]]


def report_fakes(
    records: Sequence[JoinerRecord] = (),
    pages: Sequence[Sequence[Mapping[str, Any]]] = PAGES,
    *,
    phone_sign_in: Sequence[str] = (),
    **fakes: Any,
) -> Fakes:
    """`Fakes` at the report's NOW, whose directory serves `pages` (raw Graph rows) as typed rows
    and whose ledger holds `records`; keywords replace one fake (a broken ledger, a queue...).
    The users in `phone_sign_in` have, read live, Authenticator with phone sign-in turned on."""
    made = Fakes(clock=FakeClock(NOW), **fakes)
    for user_id in phone_sign_in:
        made.directory.sign_in[user_id] = [
            SignInMethod(MethodKind.AUTHENTICATOR, f"auth-{user_id}", NOW - timedelta(hours=5))
        ]
        made.directory.devices[user_id] = {f"auth-{user_id}": True}
    made.directory.registration = [[row_from_json(row) for row in page] for page in pages]
    made.ledger.records.update({r.tracking_id: r for r in records})
    return made


def daily_run(
    settings: Settings,
    *,
    report: RegistrationReport,
    ledger: Ledger | None = None,
    blobs: FakeBlobStore | None = None,
    mailer: FakeMailer | None = None,
    queue: FakeQueue | None = None,
    clock: FakeClock | None = None,
    doctor: Callable[[], Awaitable[Findings]] | None = None,
    directory: FakeDirectory | None = None,
) -> DailyRun:
    """The daily run as build_services wires it, on fakes, with a doctor the test chooses;
    `directory` answers the live reads (methods, audit log) while `report` serves the pages."""
    queue = queue if queue is not None else FakeQueue()
    ledger = ledger if ledger is not None else FakeLedger()
    clock = clock or FakeClock(NOW)
    directory = directory if directory is not None else FakeDirectory()
    follow = joiner_follower(settings, directory=directory, ledger=ledger, clock=clock)
    return DailyRun(
        policy=report_policy(settings),
        cadence=cadence_policy(settings),
        default_time_zone=settings.default_time_zone,
        brand=Brand.from_settings(settings),
        report=report,
        ledger=ledger,
        snapshots=SnapshotStore(blobs if blobs is not None else FakeBlobStore()),
        mailer=mailer if mailer is not None else FakeMailer(),
        onboarding_queue=queue.named(settings.onboarding_queue),
        reminder_queue=queue.named(settings.reminder_queue),
        clock=clock,
        doctor=doctor,
        follow=follow,
        activity=directory,
    )


def findings(*items: Mapping[str, str]) -> Callable[[], Awaitable[Findings]]:
    async def doctor() -> Findings:
        return items

    return doctor


def run_daily(
    report: RegistrationReport,
    ledger: Ledger,
    blobs: FakeBlobStore,
    mailer: FakeMailer,
    queue: FakeQueue,
    settings: Settings,
    clock: FakeClock,
    *,
    doctor: Callable[[], Awaitable[Findings]] | None = None,
    send: bool = True,
    scheduled: bool = True,
    fan_out: bool = True,
) -> Coroutine[Any, Any, ReportRun]:
    run = daily_run(
        settings,
        report=report,
        ledger=ledger,
        blobs=blobs,
        mailer=mailer,
        queue=queue,
        clock=clock,
        doctor=doctor,
    )
    return run(send=send, scheduled=scheduled, fan_out=fan_out)


def _record(n: int, status: Status, **kw: Any) -> JoinerRecord:
    return JoinerRecord(
        tracking_id=f"t{n:02d}",
        event_id=f"e{n:02d}",
        employee_id=f"E{n:04d}",
        hire_date=date(2026, 11, 1),
        accepted_at=NOW - timedelta(days=20),
        status=status,
        display_name=f"Joiner {n:02d}",
        upn=f"joiner{n:02d}@contoso.example",
        **kw,
    )


def cohort_records() -> list[JoinerRecord]:
    """13 joiners. Hand count: accepted 13, TAP issued 7, delivered 6, signed in with the TAP 6
    (joiners 4 and 5, and the 4 enrolled), Authenticator 5 (joiner 4 and the 4 enrolled),
    passwordless target 4, in progress 3. Joiner 4 has sat at "Authenticator" for 9 days, joiner
    5 at "signed in with the TAP" for 36 hours.

    Time to enrol (hours, from the later of delivery and TAP start): 2, 6, 10, 50.
    Nearest rank: median = 2nd of 4 = 6.0; p90 = 4th of 4 = 50.0.
    """
    t = NOW - timedelta(days=15)
    sent = "sent"
    return [
        _record(1, Status.ACCEPTED),
        _record(2, Status.WAITING_FOR_ACCOUNT),
        _record(3, Status.TAP_ISSUED, tap_id="tap3"),
        _record(
            4,
            Status.DELIVERED,
            tap_id="tap4",
            tap_start=NOW - timedelta(days=10),
            delivered_at=NOW - timedelta(days=10),
            delivered_to_masked="m***r@contoso.example",
            tap_used_at=NOW - timedelta(days=9, hours=2),
            authenticator_at=NOW - timedelta(days=9),
            reminders=(
                ReminderLog(1, NOW - timedelta(days=9), sent),
                ReminderLog(2, NOW - timedelta(days=7), sent),
            ),
        ),
        _record(
            5,
            Status.DELIVERED,
            tap_id="tap5",
            tap_start=NOW - timedelta(days=2),
            delivered_at=NOW - timedelta(days=2),
            delivered_to_masked="b***s@contoso.example",
            tap_used_at=NOW - timedelta(hours=36),
            reminders=(ReminderLog(1, NOW - timedelta(hours=20), "failed"),),
        ),
        _record(
            6,
            Status.ENROLLED,
            tap_id="tap6",
            delivered_at=t,
            tap_start=t,
            enrolled_at=t + timedelta(hours=2),
        ),
        # A pre-hire: the TAP was delivered a day before it became valid.
        _record(
            7,
            Status.ENROLLED,
            tap_id="tap7",
            delivered_at=t,
            tap_start=t + timedelta(hours=24),
            enrolled_at=t + timedelta(hours=30),
        ),
        _record(
            8,
            Status.ENROLLED,
            tap_id="tap8",
            delivered_at=t,
            enrolled_at=t + timedelta(hours=10),
            reminders=(ReminderLog(1, t + timedelta(hours=9), "skipped_enrolled"),),
        ),
        _record(
            9, Status.ENROLLED, tap_id="tap9", delivered_at=t, enrolled_at=t + timedelta(hours=50)
        ),
        _record(10, Status.REFUSED, reason="admin_role"),
        _record(11, Status.REFUSED, reason="guest_account"),
        _record(12, Status.REFUSED, reason="admin_role"),
        _record(13, Status.FAILED, reason="tap_policy_disabled"),
    ]


RecordFactory = Callable[[], list[JoinerRecord]]
