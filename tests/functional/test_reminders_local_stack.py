"""Reminders on the local stack: the real adapters against Azurite, the Graph emulator and the
ACS Email emulator, driven by the `send_reminder` use case with a controlled clock.

The use-case tests (tests/unit/reminders) pin every rule on in-memory fakes; these show the same
rules hold through the Table ledger, Storage queue, msgraph-sdk and the ACS SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import azure.functions as func
import pytest
from azure.storage.queue import QueueClient

from functions.queue_commands import run_command
from local.acs_email_emulator import UNLIMITED
from local.acs_email_emulator.control import Fault
from shared.config import Settings
from shared.domain.commands import SendReminder
from shared.domain.joiner import JoinerEvent
from shared.domain.record import Status
from shared.services import Services, build_services
from shared.usecases.send_reminder import ReminderOutcome
from tests.e2e.stack import app_settings
from tests.fakes import FakeClock, accepted_record
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import ControlError, EmulatedGraph

TAP_START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NOON_DAY_1 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 13:00 in Berlin
MANAGER = "maria.manager@contoso.example"
PERSONAL = "ada.private@example.org"
OTHER = "ada.other@example.net"
PASSWORDLESS_GROUP = "20000000-0000-4000-8000-000000000001"  # the test seed's TAP policy target

pytestmark = pytest.mark.azurite


@pytest.fixture
def env(
    graph: EmulatedGraph, azurite: Azurite, acs: AcsEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    values = app_settings(
        azurite,
        graph,
        acs,
        REMINDER_DAYS="1,3,7",
        REMINDER_MAX_COUNT="3",
        REMINDER_MANAGER_CC_FROM="2",
        QUIET_HOURS="20-7",
    )
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    graph.control.reset()
    acs.control.reset()
    acs.control.set_limits(per_minute=UNLIMITED, per_hour=UNLIMITED)
    yield values
    acs.control.set_faults()


@dataclass
class World:
    """The app's real adapters (one Services, as a worker process has) and a held clock."""

    services: Services
    clock: FakeClock


@contextlib.asynccontextmanager
async def local_stack() -> AsyncIterator[World]:
    clock = FakeClock(NOON_DAY_1)
    services = build_services(Settings.from_env(), clock=clock)
    try:
        yield World(services, clock)
    finally:
        await services.aclose()


async def send_reminder(tid: str, slot: int, world: World) -> ReminderOutcome | None:
    """One reminder message through the queue trigger's rule; None: it was re-enqueued."""
    command = SendReminder(tid, slot)
    message = func.QueueMessage(id=f"m-{tid}-{slot}", body=command.to_json().encode())
    services = world.services
    outcome: ReminderOutcome | None = await run_command(
        message, command, services.send_reminder, services.reminder_queue, {}
    )
    return outcome


async def add_joiner(
    world: World,
    graph: EmulatedGraph,
    personal: str | None = PERSONAL,
    other_mails: tuple[str, ...] = (OTHER,),
) -> tuple[str, str]:
    """A delivered joiner, in Entra (the emulator) and in the ledger: (tracking id, UPN)."""
    tag = uuid.uuid4().hex[:6]
    user = graph.control.add_user(
        userPrincipalName=f"ada.{tag}@contoso.example",
        displayName=f"Ada {tag}",
        givenName="Ada",
        employeeId=f"A{tag}",
        manager=MANAGER,
        otherMails=list(other_mails),
        createdDateTime="now-2d",
    )
    event = JoinerEvent(
        f"evt-{tag}",
        TAP_START,
        f"A{tag}",
        date(2026, 11, 20),
        display_name=f"Ada {tag}",
        time_zone="Europe/Berlin",
        personal_email=personal,
    )
    record = replace(
        accepted_record(event, TAP_START),
        status=Status.DELIVERED,
        user_id=str(user["id"]),
        upn=str(user["userPrincipalName"]),
        tap_id="t1",
        tap_start=TAP_START,
        tap_lifetime_minutes=480,
        delivered_at=TAP_START,
    )
    await world.services.ledger.create(record)
    return record.tracking_id, record.upn or ""


def addresses(message: dict[str, Any], field: str) -> list[str]:
    return [str(p["address"]) for p in message[field]]


def test_personal_address_first_and_a_redelivered_message_sends_one_email(
    env: dict[str, str], graph: EmulatedGraph, acs: AcsEmulator
) -> None:
    async def scenario() -> list[str]:
        async with local_stack() as world:
            tid, _ = await add_joiner(world, graph)
            first = await send_reminder(tid, 1, world)
            again = await send_reminder(tid, 1, world)
            return [first.outcome, again.outcome]

    assert asyncio.run(scenario()) == ["sent", "duplicate"]
    [sent] = acs.control.messages()
    assert addresses(sent, "to") == [PERSONAL] and addresses(sent, "cc") == []


def test_fallback_to_other_mails_then_work_mail_with_the_manager(
    env: dict[str, str], graph: EmulatedGraph, acs: AcsEmulator
) -> None:
    async def scenario() -> str:
        async with local_stack() as world:
            with_other, _ = await add_joiner(world, graph, personal=None)
            await send_reminder(with_other, 1, world)
            bare, upn = await add_joiner(world, graph, personal=None, other_mails=())
            await send_reminder(bare, 1, world)
            return upn

    upn = asyncio.run(scenario())
    first, second = acs.control.messages()
    assert addresses(first, "to") == [OTHER]
    assert addresses(second, "to") == [upn] and addresses(second, "cc") == [MANAGER]


def test_manager_copied_from_the_second_reminder_and_final_notice_at_the_last(
    env: dict[str, str], graph: EmulatedGraph, acs: AcsEmulator
) -> None:
    async def scenario() -> list[str]:
        async with local_stack() as world:
            tid, _ = await add_joiner(world, graph)
            for slot, day in ((1, 1), (2, 3), (3, 7)):
                world.clock.current = TAP_START + timedelta(days=day, hours=4)
                await send_reminder(tid, slot, world)
            record = await world.services.ledger.get(tid)
            assert record is not None
            return [r.outcome for r in record.reminders]

    # The last slot sends its reminder, then the manager's final notice.
    assert asyncio.run(scenario()) == ["sent", "sent", "sent", "final_notice"]
    messages = acs.control.messages()
    assert [addresses(m, "cc") for m in messages[:3]] == [[], [MANAGER], [MANAGER]]
    assert addresses(messages[3], "to") == [MANAGER]


def test_quiet_hours_put_the_message_back_on_the_queue_until_morning(
    env: dict[str, str], graph: EmulatedGraph, acs: AcsEmulator, azurite: Azurite
) -> None:
    async def scenario() -> tuple[str, int | None]:
        async with local_stack() as world:
            tid, _ = await add_joiner(world, graph)
            world.clock.current = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
            outcome = await send_reminder(tid, 1, world)
            assert outcome is not None
            return outcome.outcome, outcome.retry_in_seconds

    assert asyncio.run(scenario()) == ("delayed", 8 * 3600)  # 23:00 -> 07:00 Berlin
    queue = QueueClient.from_connection_string(azurite.connection_string, env["REMINDER_QUEUE"])
    with queue:
        assert queue.get_queue_properties().approximate_message_count == 1
        assert list(queue.peek_messages()) == []  # invisible until the morning
    assert acs.control.messages() == []


def test_acs_429_delays_the_reminder_and_the_retry_sends_it_once(
    env: dict[str, str], graph: EmulatedGraph, acs: AcsEmulator, azurite: Azurite
) -> None:
    async def scenario() -> list[object]:
        async with local_stack() as world:
            tid, _ = await add_joiner(world, graph)
            acs.control.set_faults(Fault(status=429, count=10, retry_after=17))
            delayed = await send_reminder(tid, 1, world)
            record = await world.services.ledger.get(tid)
            acs.control.set_faults()
            sent = await send_reminder(tid, 1, world)
            again = await send_reminder(tid, 1, world)
            assert record is not None
            assert sent is not None and again is not None
            return [delayed, record.reminders, sent.outcome, again.outcome]

    # The 429's Retry-After comes back as TransientError(17): the trigger's rule re-enqueues.
    assert asyncio.run(scenario()) == [None, (), "sent", "duplicate"]
    queue = QueueClient.from_connection_string(azurite.connection_string, env["REMINDER_QUEUE"])
    with queue:
        assert queue.get_queue_properties().approximate_message_count == 1
    assert len(acs.control.messages()) == 1


def test_a_joiner_who_enrolled_since_the_report_gets_nothing(
    env: dict[str, str], graph: EmulatedGraph, acs: AcsEmulator
) -> None:
    async def scenario() -> tuple[str, Status | None]:
        async with local_stack() as world:
            tid, upn = await add_joiner(world, graph)
            graph.control.register(upn, "microsoftAuthenticatorPasswordless", via_tap=False)
            outcome = await send_reminder(tid, 1, world)
            record = await world.services.ledger.get(tid)
            return outcome.outcome, record.status if record else None

    assert asyncio.run(scenario()) == ("skipped_enrolled", Status.ENROLLED)
    assert acs.control.messages() == []


def test_push_only_is_no_enrolment_through_the_real_sdk_and_emulator(
    env: dict[str, str], graph: EmulatedGraph, acs: AcsEmulator
) -> None:
    """The live read through GraphDirectory: the device $expand tells push from phone sign-in."""

    async def scenario() -> tuple[str, Status | None, str | None]:
        async with local_stack() as world:
            tid, upn = await add_joiner(world, graph)
            graph.control.register(upn, via_tap=False)  # push only
            outcome = await send_reminder(tid, 1, world)
            record = await world.services.ledger.get(tid)
            assert record is not None
            return outcome.outcome, record.status, record.stage

    outcome, status, stage = asyncio.run(scenario())
    assert (outcome, status, stage) == ("sent", Status.DELIVERED, "authenticator")
    [reminder] = acs.control.messages()
    assert "phone sign-in" in reminder["subject"]


def test_graph_directory_reads_stages_deletes_only_by_id_and_reads_the_audit_log(
    env: dict[str, str], graph: EmulatedGraph, acs: AcsEmulator
) -> None:
    """The adapter's progress reads through the real SDK against the emulator."""

    async def scenario() -> dict[str, Any]:
        async with local_stack() as world:
            directory = world.services.users
            tag = uuid.uuid4().hex[:6]
            upn = f"kim.{tag}@contoso.example"
            user_id = graph.control.add_user(
                userPrincipalName=upn,
                employeeId=f"K{tag}",
                createdDateTime="now-1d",
                groups=[PASSWORDLESS_GROUP],  # the TAP policy's target: Graph refuses others
            )["id"]
            tap = await directory.create_tap(user_id, None, 120, True)
            graph.control.register(upn, via_tap=False)  # push only: no device
            before = await directory.sign_in_methods(user_id)
            devices_before = await directory.phone_sign_in_devices(user_id)
            graph.control.enable_phone_sign_in(upn)
            devices_after = await directory.phone_sign_in_devices(user_id)
            gone_wrong_id = await directory.delete_tap(
                user_id, "00000000-0000-0000-0000-000000000000"
            )
            deleted = await directory.delete_tap(user_id, tap.id)
            again = await directory.delete_tap(user_id, tap.id)
            after = await directory.sign_in_methods(user_id)
            with contextlib.suppress(ControlError):  # the failed attempt answers 409
                graph.control.register(upn, "fido2SecurityKey", via_tap=False, fail="Blocked by CA")
            events = await directory.registration_events(datetime.now(UTC) - timedelta(hours=1))
            return {
                "kinds_before": sorted(m.kind.value for m in before),
                "tap_usable": [m.usable for m in before if m.kind.value == "tap"],
                "devices": (list(devices_before.values()), list(devices_after.values())),
                "deletes": (gone_wrong_id, deleted, again),
                "kinds_after": sorted(m.kind.value for m in after),
                "failed": [(e.method, e.reason) for e in events if not e.succeeded],
            }

    got = asyncio.run(scenario())
    assert got["kinds_before"] == ["authenticator", "password", "tap"]
    assert got["tap_usable"] == [True]
    assert got["devices"] == ([False], [True])
    assert got["deletes"] == (False, True, False)
    assert got["kinds_after"] == ["authenticator", "password"]
    assert ("Passkey", "Blocked by CA") in got["failed"]
