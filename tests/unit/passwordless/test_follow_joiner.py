"""FollowJoiner against fakes: stages recorded with Graph's times, enrolment only on a target,
Tapstart's own TAP retired once (and only when it still works)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from shared.domain.directory import IssuedTap
from shared.domain.joiner import JoinerEvent
from shared.domain.passwordless import (
    DEFAULT_TARGETS,
    MethodKind,
    SignInMethod,
    Stage,
    TapState,
    Target,
)
from shared.domain.record import JoinerRecord, Status
from shared.usecases.follow_joiner import FollowJoiner
from tests.fakes import FakeClock, FakeDirectory, FakeLedger, accepted_record

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
NOW = START + timedelta(hours=6)
USER = "id-E1"


def _world(
    *methods: SignInMethod,
    devices: dict[str, bool] | None = None,
    retire: bool = True,
    targets: tuple[Target, ...] = DEFAULT_TARGETS,
    tap_id: str = "t1",
) -> tuple[FollowJoiner, FakeDirectory, FakeLedger, JoinerRecord]:
    clock = FakeClock(NOW)
    directory = FakeDirectory(clock=clock)
    directory.sign_in[USER] = [SignInMethod(MethodKind.PASSWORD, "pw"), *methods]
    directory.devices[USER] = devices or {}
    directory.existing_taps.append((USER, IssuedTap(tap_id, "unused", START, 480, False)))
    event = JoinerEvent("evt-1", START, "E1", date(2026, 12, 1))
    record = replace(
        accepted_record(event, START),
        status=Status.DELIVERED,
        user_id=USER,
        tap_id="t1",
        tap_start=START,
        tap_lifetime_minutes=480,
        delivered_at=START,
    )
    ledger = FakeLedger({record.tracking_id: record})
    follow = FollowJoiner(
        directory=directory, ledger=ledger, clock=clock, targets=targets, retire_tap=retire
    )
    return follow, directory, ledger, record


def _auth(at: datetime | None = START + timedelta(hours=1)) -> SignInMethod:
    return SignInMethod(MethodKind.AUTHENTICATOR, "a1", at)


def test_push_only_records_the_authenticator_stage_and_keeps_the_tap() -> None:
    follow, directory, ledger, record = _world(_auth(), devices={"a1": False})

    saved, p = asyncio.run(follow(record, source="test"))

    assert p.stage is Stage.AUTHENTICATOR and p.tap is TapState.USABLE
    assert saved.status is Status.DELIVERED and saved.enrolled_at is None
    assert saved.authenticator_at == START + timedelta(hours=1)
    assert saved.tap_used_at == START + timedelta(hours=1)  # implied: no later than Authenticator
    assert directory.device_reads == [USER] and directory.deleted_taps == []
    assert ledger.records[record.tracking_id] == saved
    assert [s.detail for s in saved.steps if s.step == "stage"] == ["authenticator (test)"]


def test_phone_sign_in_enrols_with_the_registration_time_and_deletes_tapstarts_tap() -> None:
    follow, directory, _ledger, record = _world(_auth(), devices={"a1": True})

    saved, p = asyncio.run(follow(record, source="test"))

    assert p.reached is Target.PHONE_SIGN_IN
    assert saved.status is Status.ENROLLED and saved.target_method == "phone_sign_in"
    # Graph's createdDateTime of the Authenticator registration, not the moment we looked.
    assert saved.enrolled_at == START + timedelta(hours=1)
    assert directory.deleted_taps == [(USER, "t1")] and saved.tap_retired_at == NOW
    assert any(s.step == "tap_retire" and s.outcome == "ok" for s in saved.steps)


def test_an_unknown_registration_time_falls_back_to_now() -> None:
    # Graph documents createdDateTime as null for a push-only Authenticator registration.
    follow, _directory, _ledger, record = _world(_auth(at=None), devices={"a1": True})

    saved, _ = asyncio.run(follow(record, source="test"))

    assert saved.enrolled_at == NOW


def test_a_passkey_needs_no_device_read() -> None:
    key = SignInMethod(MethodKind.FIDO2, "f1", START + timedelta(hours=2), aaguid="x")
    follow, directory, _ledger, record = _world(_auth(), key)

    saved, p = asyncio.run(follow(record, source="test"))

    assert p.reached is Target.PASSKEY and saved.status is Status.ENROLLED
    assert directory.device_reads == []


def test_retirement_off_keeps_the_tap_and_says_so() -> None:
    follow, directory, _ledger, record = _world(_auth(), devices={"a1": True}, retire=False)

    saved, _ = asyncio.run(follow(record, source="test"))

    assert saved.status is Status.ENROLLED and directory.deleted_taps == []
    assert saved.tap_retired_at is None
    assert [(s.outcome, s.detail) for s in saved.steps if s.step == "tap_retire"] == [
        ("skipped", "retirement off")
    ]


def test_a_tap_that_is_not_tapstarts_is_never_deleted() -> None:
    # The helpdesk replaced Tapstart's pass with their own: its id differs from the record's.
    follow, directory, _ledger, record = _world(_auth(), devices={"a1": True}, tap_id="helpdesk")

    saved, p = asyncio.run(follow(record, source="test"))

    assert p.tap is TapState.GONE and saved.status is Status.ENROLLED
    assert directory.deleted_taps == []
    assert [s.detail for s in saved.steps if s.step == "tap_retire"] == ["TAP gone"]


def test_an_expired_tap_is_not_deleted() -> None:
    follow, directory, _ledger, record = _world(_auth(), devices={"a1": True})
    directory.tap_reasons["t1"] = "Expired"

    saved, _ = asyncio.run(follow(record, source="test"))

    assert saved.status is Status.ENROLLED and directory.deleted_taps == []


def test_a_second_look_changes_nothing_and_writes_nothing() -> None:
    follow, directory, ledger, record = _world(_auth(), devices={"a1": True})
    saved, _ = asyncio.run(follow(record, source="test"))
    writes = ledger.version

    again, p = asyncio.run(follow(saved, source="test"))

    assert again == saved and ledger.version == writes
    assert p.stage is Stage.TARGET and directory.deleted_taps == [(USER, "t1")]  # still once


def test_nothing_new_writes_nothing() -> None:
    follow, _directory, ledger, record = _world()
    writes = ledger.version

    saved, p = asyncio.run(follow(record, source="test"))

    assert p.stage is Stage.DELIVERED and saved is record and ledger.version == writes
