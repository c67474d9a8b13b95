"""What the app does where the ACS emulator once differed from ACS (issue 20, the ACS part).

Each test is the app-level consequence of one difference (docs/acs-email-emulator.md,
"Fidelity"): an address ACS refuses, a suppressed cc, the production credential, a restart of
the service, and what a repeated Operation-Id may do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.communication.email import EmailClient
from azure.core.exceptions import ResourceExistsError
from azure.identity import ClientSecretCredential
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from local.acs_email_emulator import Fault
from shared.adapters.acs_mailer import CLIENT_OPTIONS, AcsMailer
from shared.config import Settings
from shared.domain.commands import SendReminder
from shared.domain.email import OutgoingEmail
from shared.domain.errors import PermanentError
from tests.e2e.acs_process import AcsProcess
from tests.e2e.stack import Tapstart, app_settings, canonical_event, launch, onboard, wait_for
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher

TODAY = datetime.now(UTC).date().isoformat()
MANAGER = "maria.manager@contoso.example"
FALLBACK = "it-onboarding@contoso.example"
TAP_PATH = "temporaryAccessPassMethods"


def accept(stack: Tapstart, event: dict[str, Any]) -> str:
    result = stack.post_event(event)
    assert result.status == 202, result.text
    return str(result.json()["trackingIds"][0])


def taps_created(graph: EmulatedGraph) -> int:
    log = graph.control.requests()["requests"]
    return sum(
        1
        for r in log
        if r["method"] == "POST" and r["path"].endswith(TAP_PATH) and r["status"] < 300
    )


def add_joiner(graph: EmulatedGraph, employee: str, manager: str, **user: Any) -> str:
    upn = f"{employee.lower()}@contoso.example"
    graph.control.add_user(
        userPrincipalName=upn,
        displayName=f"Joiner {employee}",
        employeeId=employee,
        manager=manager,
        createdDateTime="now-1d",
        **user,
    )
    return upn


# -- an address ACS refuses: decided before a TAP exists -----------------------------------

REFUSED_MAILS = ["jörg@contoso.example", "a..b@contoso.example", ".a@contoso.example"]


def _managers_with_refused_mail(graph: EmulatedGraph, first_employee: int) -> list[str]:
    employees = []
    for n, mail in enumerate(REFUSED_MAILS):
        manager_upn = f"manager{first_employee + n}@contoso.example"
        graph.control.add_user(
            userPrincipalName=manager_upn,
            displayName=f"Manager {n}",
            mail=mail,
            createdDateTime="now-400d",
        )
        employee = f"E{first_employee + n}"
        add_joiner(graph, employee, manager_upn)
        employees.append(employee)
    return employees


def test_a_manager_mail_acs_refuses_never_gets_a_pass_the_fallback_does(
    tapstart: Tapstart,
) -> None:
    employees = _managers_with_refused_mail(tapstart.graph, 7710)
    ids = [accept(tapstart, canonical_event(e, TODAY)) for e in employees]

    for tracking_id in ids:
        status = tapstart.wait_final(tracking_id)
        assert status["status"] == "delivered", status
        [step] = [s for s in status["steps"] if s["step"] == "recipient"]
        assert "not an address the mail service accepts" in step["detail"]
    # One pass per joiner, each mailed to the fallback; nothing was ever sent to the refused
    # addresses, so ACS never answered an error (the old emulator answered a 500 per retry).
    assert taps_created(tapstart.graph) == len(employees)
    assert len(tapstart.messages_to(FALLBACK)) == len(employees)
    assert tapstart.acs.control.requests()["send"] == {"202": len(employees)}


@pytest.fixture(scope="module")
def no_fallback(
    module_launcher: HostLauncher,
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
) -> Tapstart:
    return launch(
        module_launcher, azurite, graph_emulator, acs_emulator, FALLBACK_DELIVERY_EMAIL=""
    )


def test_without_a_fallback_a_refused_manager_mail_creates_no_tap_at_all(
    no_fallback: Tapstart, graph: EmulatedGraph, acs: AcsEmulator
) -> None:
    [employee, *_] = _managers_with_refused_mail(graph, 7720)

    status = no_fallback.wait_final(accept(no_fallback, canonical_event(employee, TODAY)))

    assert (status["status"], status["reason"]) == ("failed", "no_delivery_address")
    assert "not an address the mail service accepts" in status["reasonDetail"]
    assert taps_created(graph) == 0
    assert graph.control.taps() == []
    # The only mail is the admins' alert about the failure (sent after the status is final, so
    # waited for); ACS refused nothing.
    [alert] = wait_for(lambda: acs.control.messages(), timeout=30)
    assert no_fallback.settings["ADMIN_EMAILS"] in json.dumps(alert["to"])
    assert acs.control.requests()["send"] == {"202": 1}


# -- a suppressed cc: the reminder counts as sent, as in production ------------------------


def enqueue_reminder(stack: Tapstart, tracking_id: str, slot: int) -> None:
    queue = QueueClient.from_connection_string(
        stack.settings["AzureWebJobsStorage"],
        stack.settings["REMINDER_QUEUE"],
        message_encode_policy=TextBase64EncodePolicy(),
    )
    with queue:
        with contextlib.suppress(ResourceExistsError):
            queue.create_queue()
        queue.send_message(SendReminder(tracking_id, slot).to_json())


def test_a_reminder_whose_cc_manager_is_suppressed_is_not_sent_again(tapstart: Tapstart) -> None:
    # Work mail and no personal address: the reminder goes to the work mail, manager in cc.
    work = "sam.starter@contoso.example"
    add_joiner(tapstart.graph, "E7730", MANAGER, mail=work)
    tracking_id = onboard(tapstart, "E7730")
    acs = tapstart.acs
    acs.control.set_bounces([MANAGER])
    # ACS accepts the reminder but its answer is lost: the app retries and asks ACS first.
    acs.control.set_faults(Fault(status=503, count=1, accept=True, retry_after=1))
    sends_before = acs.control.requests()["send"].get("202", 0)

    enqueue_reminder(tapstart, tracking_id, 1)

    reminders = wait_for(
        lambda: (r := tapstart.status(tracking_id)["reminders"])["sent"] == 1 and r, timeout=60
    )
    [entry] = reminders["log"]
    assert entry["detail"] == "confirmed after a redelivery"
    [reminder] = tapstart.messages_to(work)
    assert reminder["suppressed"] == [MANAGER] and reminder["status"] == "Succeeded"
    # One POST for the reminder (answered 503 after it was carried out), none after it: the old
    # emulator failed the operation for the suppressed cc, and the app sent the reminder again.
    assert acs.control.requests()["send"] == {"202": sends_before, "503": 1}


# -- the production credential: an Entra token, checked as ACS checks it ------------------


@pytest.fixture(scope="module")
def entra_acs(
    graph_emulator: EmulatedGraph, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AcsEmulator]:
    process = AcsProcess(
        tmp_path_factory.mktemp("acs-entra-mailer"),
        (
            "--entra-tenant",
            graph_emulator.tenant_id,
            "--entra-issuer-graph",
            graph_emulator.base_url,
        ),
    )
    try:
        yield process.start()
    finally:
        process.stop()


def mailer_settings(
    azurite: Azurite, graph: EmulatedGraph, acs: AcsEmulator, **overrides: str
) -> Settings:
    values = app_settings(azurite, graph, acs, **overrides)
    return Settings.from_env(values)


def token_mailer(settings: Settings, graph: EmulatedGraph) -> AcsMailer:
    """The app's mailer with a service principal's token credential, as the managed identity
    would give it in Azure: the client is the one the app builds, with a token instead of a key."""
    credential = ClientSecretCredential(
        graph.tenant_id,
        graph.client_id,
        graph.client_secret,
        authority=graph.authority,
        disable_instance_discovery=True,
        connection_verify=graph.ca_file,
    )
    client = EmailClient(settings.acs_endpoint, credential, **CLIENT_OPTIONS)
    return AcsMailer(settings, client=client)


EMAIL = OutgoingEmail(
    to=(MANAGER,), subject="Welcome", html="<p>Hi</p>", text="Hi", kind="tap_delivery"
)


def test_the_mailer_with_a_token_credential_sends_and_confirms(
    azurite: Azurite, graph_emulator: EmulatedGraph, entra_acs: AcsEmulator
) -> None:
    entra_acs.control.reset()
    settings = mailer_settings(azurite, graph_emulator, entra_acs, ACS_ACCESS_KEY="")
    operation_id = "0b5e3c1e-0000-4000-8000-000000000001"

    async def run(mailer: AcsMailer) -> tuple[str, bool | None, bool | None]:
        try:
            sent = await mailer.send(EMAIL, operation_id)
            unknown = "0b5e3c1e-0000-4000-8000-00000000dead"
            return sent, await mailer.was_sent(operation_id), await mailer.was_sent(unknown)
        finally:
            await mailer.aclose()

    assert asyncio.run(run(token_mailer(settings, graph_emulator))) == (operation_id, True, False)
    [record] = entra_acs.control.messages()
    assert record["to"] == [{"address": MANAGER, "displayName": None}]
    assert entra_acs.control.requests() == {"send": {"202": 1}, "status": {"200": 1, "404": 1}}


# -- a restart of the service: a sent TAP email stays sent ---------------------------------


@dataclass
class Restartable:
    process: AcsProcess
    acs: AcsEmulator
    stack: Tapstart


@pytest.fixture(scope="module")
def restartable(
    module_launcher: HostLauncher,
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Restartable]:
    process = AcsProcess(tmp_path_factory.mktemp("acs-restart"), ("--processing-seconds", "0"))
    try:
        acs = process.start()
        yield Restartable(process, acs, launch(module_launcher, azurite, graph_emulator, acs))
    finally:
        process.stop()


def test_a_restart_of_the_mail_service_does_not_lead_to_a_second_tap(
    restartable: Restartable, graph: EmulatedGraph
) -> None:
    stack, acs = restartable.stack, restartable.acs
    acs.control.reset()
    # The TAP email is carried out, its answer lost; the app retries in 8 s, and the service
    # restarts in between.
    acs.control.set_faults(Fault(status=503, count=1, accept=True, retry_after=8))
    tracking_id = accept(stack, canonical_event("E1001", TODAY))
    wait_for(lambda: acs.control.messages(), timeout=30)
    assert stack.status(tracking_id)["status"] == "sending"

    restartable.process.restart()

    status = stack.wait_final(tracking_id, timeout=60)
    assert status["status"] == "delivered"
    assert status["steps"][-1]["detail"] == "confirmed after a restart"
    assert taps_created(graph) == 1  # the old emulator forgot the operation: 404, a second TAP
    assert len([m for m in acs.control.messages() if MANAGER in json.dumps(m["to"])]) == 1


# -- a repeated Operation-Id: the mailer is right whatever ACS does ------------------------


@pytest.mark.parametrize(("mode", "messages"), [("new", 2), ("replay", 1), ("conflict", 1)])
def test_a_send_repeated_under_one_operation_id_is_never_a_refusal(
    azurite: Azurite, graph_emulator: EmulatedGraph, acs: AcsEmulator, mode: str, messages: int
) -> None:
    acs.control.set_repeated_operation_id(mode)
    operation_id = "0b5e3c1e-0000-4000-8000-0000000000aa"

    async def run(mailer: AcsMailer) -> tuple[str, str, bool | None]:
        try:
            first = await mailer.send(EMAIL, operation_id)
            # A repeat of an accepted send (the SDK's own retry after a lost answer does this):
            # ACS's 409 means it holds the operation, so the email counts as sent.
            again = await mailer.send(EMAIL, operation_id)
            return first, again, await mailer.was_sent(operation_id)
        finally:
            await mailer.aclose()

    mailer = AcsMailer(mailer_settings(azurite, graph_emulator, acs))
    assert asyncio.run(run(mailer)) == (operation_id, operation_id, True)
    assert len(acs.control.messages()) == messages


def test_a_conflict_on_an_operation_that_failed_is_a_refusal(
    azurite: Azurite, graph_emulator: EmulatedGraph, acs: AcsEmulator
) -> None:
    acs.control.set_repeated_operation_id("conflict")
    acs.control.set_limits(processing_seconds=0)
    acs.control.set_bounces([MANAGER])  # every recipient suppressed: the operation fails
    operation_id = "0b5e3c1e-0000-4000-8000-0000000000bb"

    async def run(mailer: AcsMailer) -> bool | None:
        try:
            await mailer.send(EMAIL, operation_id)
            dropped = await mailer.was_sent(operation_id)
            await mailer.send(EMAIL, operation_id)
            return dropped
        finally:
            await mailer.aclose()

    with pytest.raises(PermanentError) as caught:
        asyncio.run(run(AcsMailer(mailer_settings(azurite, graph_emulator, acs))))
    assert caught.value.reason == "email_rejected" and "409" in caught.value.detail
    assert len(acs.control.messages()) == 1


def test_the_mailer_refuses_an_undeliverable_recipient_without_a_request(
    azurite: Azurite, graph_emulator: EmulatedGraph, acs: AcsEmulator
) -> None:
    cc_refused = OutgoingEmail(
        to=(MANAGER,), cc=("a..b@contoso.example",), subject="x", html="x", text="x"
    )

    async def run(mailer: AcsMailer) -> None:
        try:
            await mailer.send(cc_refused, "0b5e3c1e-0000-4000-8000-0000000000cc")
        finally:
            await mailer.aclose()

    with pytest.raises(PermanentError):
        asyncio.run(run(AcsMailer(mailer_settings(azurite, graph_emulator, acs))))
    # Refused requests count against ACS's send limit; this one never reached it.
    assert acs.control.requests() == {}
