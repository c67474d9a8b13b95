"""Daily report and reminders end to end: report email with CSV, enrolment seen, reminders fanned out."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from local.stack import LOCAL_HR_KEY, LOCAL_REPORTS_KEY, LOCAL_STATUS_KEY
from tests.e2e.canary import passcodes_in
from tests.e2e.stack import Tapstart, launch, onboard, run_report, wait_for
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher

TODAY = datetime.now(UTC).date().isoformat()
ADMINS = "identity-admins@contoso.example"


@pytest.fixture(scope="module")
def reminding(
    module_launcher: HostLauncher,
    azurite: Azurite,
    graph_emulator: EmulatedGraph,
    acs_emulator: AcsEmulator,
) -> Tapstart:
    # Reminder day 0: a joiner is due a first reminder as soon as the TAP is valid.
    return launch(
        module_launcher,
        azurite,
        graph_emulator,
        acs_emulator,
        REMINDER_DAYS="0,5",
        REMINDER_MAX_COUNT="2",
    )


@pytest.fixture
def stack(reminding: Tapstart, graph: EmulatedGraph, acs: AcsEmulator) -> Iterator[Tapstart]:
    yield reminding


def test_report_mails_admins_marks_enrolled_joiners_and_reminds_the_others(stack: Tapstart) -> None:
    enrolled = onboard(stack, "E1001")
    pending = onboard(stack, "E1002", personalEmail="pat.private@example.org")
    [jamie_email] = [m for m in stack.acs.control.messages() if "jamie" in json.dumps(m).lower()]
    [passcode] = passcodes_in([jamie_email])
    stack.graph.control.register(
        "jamie.joiner@contoso.example",
        "microsoftAuthenticatorPasswordless",
        temporary_access_pass=passcode,
    )
    stack.graph.control.set_report_lag(0)

    run = run_report(stack)
    assert run["outcome"] == "report" and run["users"] > 0 and run["reminders_enqueued"] == 1

    [report] = stack.messages_to(ADMINS)
    assert report["attachments"] and report["attachments"][0]["name"].startswith("users.csv")
    assert stack.status(enrolled)["status"] == "enrolled"
    reminder = wait_for(lambda: stack.messages_to("pat.private@example.org"))
    assert len(reminder) == 1
    reminders = wait_for(
        lambda: (
            stack.status(pending)["reminders"]["sent"] == 1 and stack.status(pending)["reminders"]
        )
    )
    assert reminders["log"][0]["recipient_masked"].startswith("personal_email: p***e@")

    # A second run the same day enqueues nothing new and mails no second reminder.
    assert run_report(stack)["reminders_enqueued"] == 0
    time.sleep(2)
    assert len(stack.messages_to("pat.private@example.org")) == 1


def test_a_joiner_who_enrolled_after_the_report_is_skipped_by_the_live_check(
    stack: Tapstart,
) -> None:
    tracking_id = onboard(stack, "E1002")
    [email] = stack.messages_to("maria.manager@contoso.example")
    [passcode] = passcodes_in([email])
    stack.graph.control.set_report_lag(3600)  # the report still shows the joiner unregistered
    stack.graph.control.register(
        "pat.prehire@contoso.example",
        "microsoftAuthenticatorPasswordless",
        temporary_access_pass=passcode,
    )

    assert run_report(stack)["reminders_enqueued"] == 1
    status = wait_for(lambda: (s := stack.status(tracking_id))["reminders"]["skipped"] == 1 and s)
    assert status["status"] == "enrolled" and status["reminders"]["sent"] == 0
    assert stack.messages_to("pat.prehire@contoso.example") == []


def test_latest_report_is_served_as_html_and_json(stack: Tapstart) -> None:
    run_report(stack)
    html = stack.host.request("GET", "/api/reports/latest", key=LOCAL_REPORTS_KEY)
    assert html.status == 200 and "<table" in html.text
    figures = stack.host.request(
        "GET", "/api/reports/latest?format=json", key=LOCAL_REPORTS_KEY
    ).json()
    assert figures["tenant"]["users"] > 0
    for other in (LOCAL_HR_KEY, LOCAL_STATUS_KEY):  # another caller's key opens no report
        denied = stack.host.request("GET", "/api/reports/latest", key=other)
        assert denied.status == 401


def test_report_csv_is_hardened_against_formula_injection(stack: Tapstart) -> None:
    stack.graph.control.add_user(
        userPrincipalName="evil@contoso.example",
        displayName='=HYPERLINK("http://x")',
        employeeId="E9999",
    )
    run_report(stack)
    [report] = stack.messages_to(ADMINS)
    assert report["attachments"][0]["name"] == "users.csv"
    raw = stack.acs.control.attachment(report["id"], 0)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
