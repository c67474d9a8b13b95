"""Operations outlive a restart of the emulator, as they outlive any moment of ACS.

The old emulator kept operations in memory only: after a restart a sent email's operation
answered 404, which the app reads as "never sent" and answers with a fresh TAP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.rest import HttpRequest

from tests.e2e.acs_process import AcsProcess
from tests.fixtures.acs import AcsEmulator

MESSAGE = {
    "senderAddress": "DoNotReply@contoso.example",
    "recipients": {"to": [{"address": "someone@contoso.example"}]},
    "content": {"subject": "Hello", "plainText": "Hi"},
}


@pytest.fixture
def process(tmp_path: Path) -> Iterator[AcsProcess]:
    owned = AcsProcess(tmp_path, ("--processing-seconds", "0"))
    try:
        yield owned
    finally:
        owned.stop()


def status(acs: AcsEmulator, operation_id: str) -> tuple[int, dict[str, object]]:
    with acs.email_client() as client:
        response = client.send_request(
            HttpRequest("GET", f"/emails/operations/{operation_id}?api-version=2025-09-01")
        )
        return response.status_code, response.json()


def test_a_sent_operation_is_still_known_after_a_restart(process: AcsProcess) -> None:
    acs = process.start()
    with acs.email_client() as client:
        client.begin_send(MESSAGE, operation_id="op-before", polling=False)

    acs = process.restart()

    assert status(acs, "op-before") == (200, {"id": "op-before", "status": "Succeeded"})
    [record] = acs.control.messages()
    assert record["status"] == "Succeeded"


def test_a_failed_operation_keeps_its_error_across_a_restart(process: AcsProcess) -> None:
    acs = process.start()
    acs.control.set_bounces(["someone@contoso.example"])
    with acs.email_client() as client:
        client.begin_send(MESSAGE, operation_id="op-dropped", polling=False)

    acs = process.restart()

    code, body = status(acs, "op-dropped")
    assert (code, body["status"]) == (200, "Failed")
    assert body["error"] == {
        "code": "EmailDroppedAllRecipientsSuppressed",
        "message": "Message dropped because all recipients were suppressed",
    }


def test_the_state_file_lives_next_to_the_outbox_not_in_it(process: AcsProcess) -> None:
    acs = process.start()
    with acs.email_client() as client:
        client.begin_send(MESSAGE, operation_id="op-file", polling=False)

    state = json.loads((process.root / "outbox-state" / "operations.json").read_text())
    assert [op["id"] for op in state["operations"]] == ["op-file"]
    assert not any(p.is_dir() for p in (process.root / "outbox").iterdir())


def test_reset_forgets_operations_also_after_a_restart(process: AcsProcess) -> None:
    acs = process.start()
    with acs.email_client() as client:
        client.begin_send(MESSAGE, operation_id="op-reset", polling=False)
    acs.control.reset()

    acs = process.restart()

    assert status(acs, "op-reset")[0] == 404


def test_an_unreadable_state_file_is_set_aside_not_trusted(process: AcsProcess) -> None:
    state = process.root / "outbox-state" / "operations.json"
    state.parent.mkdir(parents=True)
    state.write_text("{not json")

    acs = process.start()

    assert status(acs, "anything")[0] == 404
    assert (state.parent / "operations.json.unreadable").read_text() == "{not json"
