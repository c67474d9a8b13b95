"""The report's extra duties: doctor findings on top, enrolment from the report, stuck joiners."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from shared.domain.directory import IssuedTap
from shared.domain.passwordless import MethodKind, SignInMethod, Stage
from shared.domain.record import JoinerRecord, Status
from tests.fakes import FakeBlobStore, FakeClock, FakeLedger, FakeMailer, FakeQueue, Fakes
from tests.unit.report.conftest import (
    NOW,
    Findings,
    PagedDirectory,
    cohort_records,
    findings,
    make_settings,
    report_fakes,
    run_daily,
)
from tests.unit.report.tenant_rows import PAGES

FINDING = {
    "check": "group[Engineering]",
    "status": "fail",
    "found": "dynamic <membership>",
    "fix": "use an assigned group",
}


def run(
    ledger: FakeLedger,
    queue: FakeQueue,
    mailer: FakeMailer,
    *,
    doctor: Callable[[], Awaitable[Findings]] | None = None,
) -> None:
    asyncio.run(
        run_daily(
            PagedDirectory(PAGES),
            ledger,
            FakeBlobStore(),
            mailer,
            queue,
            make_settings(),
            FakeClock(NOW),
            doctor=doctor,
        )
    )


def test_doctor_findings_come_first_in_both_parts_and_are_escaped() -> None:
    mailer = FakeMailer()
    run(
        FakeLedger({r.tracking_id: r for r in cohort_records()}),
        FakeQueue(),
        mailer,
        doctor=findings(FINDING),
    )
    [(email, _)] = mailer.sent
    assert email.html.index("setup-findings") < email.html.index("security-finding")
    assert "dynamic &lt;membership&gt;" in email.html
    assert email.text.index("SETUP") < email.text.index("SECURITY FINDING")


def test_each_setup_finding_has_its_own_line_in_the_text_part() -> None:
    second = {"check": "tap.policy", "status": "warn", "found": "lifetime 60", "fix": "raise it"}
    mailer = FakeMailer()
    run(FakeLedger(), FakeQueue(), mailer, doctor=findings(FINDING, second))
    lines = mailer.sent[0][0].text.splitlines()
    starts = [
        line for line in lines if line.startswith("  - FAIL ") or line.startswith("  - WARN ")
    ]
    assert starts == [
        "  - FAIL group[Engineering]: dynamic <membership> -- fix: use an assigned group",
        "  - WARN tap.policy: lifetime 60 -- fix: raise it",
    ]


def test_without_findings_there_is_no_setup_section() -> None:
    mailer = FakeMailer()
    run(FakeLedger({r.tracking_id: r for r in cohort_records()}), FakeQueue(), mailer)
    assert "setup-findings" not in mailer.sent[0][0].html


def test_a_joiner_stuck_in_accepted_is_re_enqueued_and_a_fresh_one_is_not() -> None:
    [first, second, *_] = cohort_records()
    stuck = replace(
        first,
        status=Status.ACCEPTED,
        accepted_at=NOW - timedelta(hours=1),
        updated_at=NOW - timedelta(hours=1),
    )
    fresh = replace(
        second,
        status=Status.ACCEPTED,
        accepted_at=NOW - timedelta(minutes=2),
        updated_at=NOW - timedelta(minutes=2),
    )
    queue = FakeQueue()
    run(FakeLedger({stuck.tracking_id: stuck, fresh.tracking_id: fresh}), queue, FakeMailer())
    assert queue.on("onboarding") == [{"v": 1, "trackingId": stuck.tracking_id}]


def _push_row() -> dict[str, Any]:
    return next(
        r
        for page in PAGES
        for r in page
        if "microsoftAuthenticatorPush" in (r.get("methodsRegistered") or [])
        and "microsoftAuthenticatorPasswordless" not in (r.get("methodsRegistered") or [])
    )


def _delivered(user_id: str) -> JoinerRecord:
    return replace(
        cohort_records()[0],
        status=Status.DELIVERED,
        user_id=user_id,
        enrolled_at=None,
        tap_id="tap-own",
        tap_start=NOW - timedelta(days=2),
        delivered_at=NOW - timedelta(days=2),
    )


def _live_tap(fakes: Fakes, user_id: str) -> None:
    fakes.directory.existing_taps.append((user_id, IssuedTap("tap-own", "unused", NOW, 480, False)))


def test_push_only_in_the_report_and_live_records_the_authenticator_stage_not_enrolment() -> None:
    row = _push_row()
    record = _delivered(row["id"])
    fakes = report_fakes([record])
    auth = SignInMethod(MethodKind.AUTHENTICATOR, "auth-1", NOW - timedelta(hours=3))
    fakes.directory.sign_in[row["id"]] = [auth]
    fakes.directory.devices[row["id"]] = {"auth-1": False}  # no device: push only
    _live_tap(fakes, row["id"])

    asyncio.run(fakes.services(make_settings()).daily_run())

    updated = fakes.ledger.records[record.tracking_id]
    assert updated.status is Status.DELIVERED and updated.enrolled_at is None
    assert updated.authenticator_at == NOW - timedelta(hours=3)  # when Graph says it happened
    assert updated.stage is Stage.AUTHENTICATOR
    assert fakes.directory.device_reads == [row["id"]]
    assert fakes.directory.deleted_taps == []


def test_phone_sign_in_found_live_after_the_report_marks_enrolled_and_retires_the_tap() -> None:
    row = _push_row()
    record = _delivered(row["id"])
    fakes = report_fakes([record], phone_sign_in=[row["id"]])
    _live_tap(fakes, row["id"])

    asyncio.run(fakes.services(make_settings()).daily_run())

    updated = fakes.ledger.records[record.tracking_id]
    assert updated.status is Status.ENROLLED and updated.target_method == "phone_sign_in"
    assert updated.enrolled_at == NOW - timedelta(hours=5)
    assert fakes.directory.deleted_taps == [(row["id"], "tap-own")]
    assert updated.tap_retired_at == NOW
