"""The `tapstart` CLI end to end, in-process, against the emulators and Azurite."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.queue import QueueClient

from local.procs import REPO_ROOT, free_port
from shared.cli import main
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.graph import EmulatedGraph
from tests.functional.doctor.conftest import (
    DYNAMIC_GROUP,
    PASSWORDLESS_GROUP,
    ROLE_GROUP,
    set_policy,
)
from tests.functional.doctor.conftest import run_cli as run

JOINER = "jamie.joiner@contoso.example"
ADMIN = "alex.admin@contoso.example"


def test_doctor_prints_a_table_and_exits_by_the_worst_status(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    code, out, _ = run(capsys, "doctor")
    assert code == 0
    assert out.splitlines()[0].split() == ["check", "status", "found", "fix"]
    assert "PASS:" in out and "0 warnings, 0 failures" in out
    # with the default targets' Passkey (FIDO2) checks, the TAP policy's reach, the methods
    # policy (migration, campaign), system-preferred MFA, Conditional Access and the call probes
    assert "PASS: 26 passed" in out

    everyone = {"targetType": "group", "id": "all_users", "authenticationMode": "any"}
    tenant(set_policy("MicrosoftAuthenticator", includeTargets=[everyone]))
    monkeypatch.setenv("PASSWORDLESS_GROUP_IDS", f"{PASSWORDLESS_GROUP},{ROLE_GROUP}")
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "1 warning, 0 failures" in out
    assert re.search(
        r"^group\[Tier 0 Admins\]\s+WARN\s+Tier 0 Admins is role-assignable", out, re.M
    )

    monkeypatch.setenv("PASSWORDLESS_GROUP_IDS", f"{PASSWORDLESS_GROUP},{DYNAMIC_GROUP}")
    code, out, _ = run(capsys, "doctor", "--json")
    assert code == 2
    body = json.loads(out)
    assert body["status"] == "fail"
    [dynamic] = [c for c in body["checks"] if c["check"] == "group[Engineering (dynamic)]"]
    assert dynamic["status"] == "fail"


def test_progress_goes_to_stderr_not_stdout(
    app_env: dict[str, str], tenant: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant()
    assert main(["doctor", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["status"] == "pass"
    assert "… checked TAP policy" in err


def test_dry_run_changes_nothing(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    acs: AcsEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    code, out, _ = run(capsys, "onboard", "--upn", JOINER, "--hire-date", yesterday, "--dry-run")
    assert code == 0
    assert "would DELIVER a TAP (dry run: nothing changed)" in out
    assert f"{PASSWORDLESS_GROUP}: would add" in out
    assert "one-time, valid from immediately, 240 min" in out
    assert graph.control.taps() == []
    assert acs.control.messages() == []
    assert run(capsys, "status")[1].strip().endswith("0 of 0 joiners (most recently updated first)")


def test_dry_run_shows_a_guardrail_refusal(
    app_env: dict[str, str], tenant: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant()
    code, out, _ = run(capsys, "onboard", "--upn", ADMIN, "--dry-run")
    assert code == 1
    assert "REFUSED: admin_role" in out


def test_onboard_runs_the_pipeline_and_status_shows_it(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    acs: AcsEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant()
    code, out, err = run(capsys, "onboard", "--employee-id", "E1001")
    assert code == 0, err
    assert "delivered" in out
    [tap] = graph.control.taps()
    [email] = acs.control.messages()
    assert [r["address"] for r in email["to"]] == ["maria.manager@contoso.example"]
    passcode = _passcode_of(acs, email["id"])
    assert len(passcode) >= 8 and " " not in passcode
    assert passcode not in out + err  # the TAP only ever travels in the email

    code, out, _ = run(capsys, "status")
    assert code == 0
    assert JOINER in out and "delivered" in out
    code, out, _ = run(capsys, "status", JOINER, "--json")
    view = json.loads(out)
    assert view["status"] == "delivered"
    assert view["tap"]["id"] == tap["id"]
    assert [s["step"] for s in view["steps"]][-1] == "delivery"


def _passcode_of(acs: AcsEmulator, message_id: str) -> str:
    """The passcode in the delivery email's text: the indented line inside the ==== box."""
    lines = (acs.control.message(message_id).get("plainText") or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("====="))
    return next(line.strip() for line in lines[start + 1 :] if line.startswith("    "))


def test_unknown_joiner_is_one_line_and_exit_1(
    app_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "status", "nobody@contoso.example")
    assert code == 1
    assert out == ""
    assert err.splitlines()[0] == "error: no joiner with UPN 'nobody@contoso.example'"


def test_missing_settings_are_one_line_plus_fix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PASSWORDLESS_GROUP_IDS", raising=False)
    monkeypatch.delenv("ACS_ENDPOINT", raising=False)
    code, _, err = run(capsys, "doctor")
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith("error: Tapstart settings: ")
    assert "ACS_ENDPOINT is missing" in lines[0]
    assert (
        lines[1]
        == "  fix: set the app settings in the environment, or pass --settings local.settings.json"
    )
    assert "Traceback" not in err


def test_poison_list_replay_discard(
    app_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    main_queue = app_env["ONBOARDING_QUEUE"]
    poison = QueueClient.from_connection_string(
        app_env["AzureWebJobsStorage"], f"{main_queue}-poison"
    )
    poison.create_queue()
    for tracking in ("t-1", "t-2"):
        poison.send_message(
            base64.b64encode(json.dumps({"trackingId": tracking}).encode()).decode()
        )
    code, out, _ = run(capsys, "poison", "list", "--json")
    listed = json.loads(out)
    assert code == 0
    assert [m["trackingId"] for m in listed["messages"]] == ["t-1", "t-2"]
    first = listed["messages"][0]["id"]

    code, _, err = run(capsys, "poison", "replay")
    assert code == 2
    assert err.splitlines() == [
        "error: poison replay needs --id ID (repeatable) or --all",
        "  fix: see `tapstart <command> --help`",
    ]

    code, out, _ = run(capsys, "poison", "replay", "--id", first)
    assert code == 0
    assert out.strip() == f"1 message(s) replayed onto {main_queue} from {main_queue}-poison"
    replayed = QueueClient.from_connection_string(app_env["AzureWebJobsStorage"], main_queue)
    [message] = list(replayed.peek_messages())
    assert json.loads(base64.b64decode(message.content)) == {"trackingId": "t-1"}

    code, out, _ = run(capsys, "poison", "discard", "--all")
    assert code == 0 and out.startswith("1 message(s) discarded")
    assert run(capsys, "poison", "list")[1].strip() == f"{main_queue}-poison is empty"
    poison.close()
    replayed.close()


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "doctor" in done.stdout and "poison" in done.stdout


def test_report_builds_and_archives_without_mailing(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    acs: AcsEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant()
    code, out, err = run(capsys, "report", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["outcome"] == "report"
    assert int(body["users"]) > 0
    assert body["email"] == "not sent (use --send)"
    assert acs.control.messages() == []


def test_onboard_of_a_not_yet_provisioned_joiner_hands_over_to_the_queue(
    app_env: dict[str, str], tenant: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant()
    code, out, _ = run(capsys, "onboard", "--employee-id", "E9999")
    assert code == 0
    assert "waiting_for_account" in out
    assert "The onboarding queue resumes this joiner in 60 s." in out
    queue = QueueClient.from_connection_string(
        app_env["AzureWebJobsStorage"], app_env["ONBOARDING_QUEUE"]
    )
    try:
        assert queue.get_queue_properties().approximate_message_count == 1
    finally:
        queue.close()


def test_onboard_by_unknown_upn_needs_an_employee_id(
    app_env: dict[str, str], tenant: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant()
    code, out, err = run(capsys, "onboard", "--upn", "ghost@contoso.example")
    assert (code, out) == (2, "")
    assert err.startswith("error: no Entra user 'ghost@contoso.example'; pass --employee-id")


def test_graph_unreachable_is_one_line(
    app_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPH_BASE_URL", f"http://127.0.0.1:{free_port()}/v1.0")
    code, out, err = run(capsys, "onboard", "--upn", JOINER, "--dry-run")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: graph_503 on find user by UPN",
        "  fix: retry in a minute; `tapstart doctor` checks each service",
    ]


def test_onboard_by_upn_of_a_user_without_employee_id(
    app_env: dict[str, str], tenant: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant()
    guest = "gail_partner.example#EXT#@contoso.example"
    code, out, _ = run(capsys, "onboard", "--upn", guest)
    assert code == 1
    assert "refused (guest_account)" in out
    code, out, _ = run(capsys, "status", guest, "--json")
    view = json.loads(out)
    assert (view["employeeId"], view["status"]) == (guest, "refused")
