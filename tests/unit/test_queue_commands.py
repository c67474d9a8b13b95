"""The one rule of every queue trigger (functions/queue_commands.py)."""

from __future__ import annotations

import asyncio
import logging

import azure.functions as func
import pytest

from functions.queue_commands import parse_message, run_command
from shared.domain.commands import OnboardJoiner
from shared.domain.errors import TransientError
from shared.logging_setup import context
from tests.fakes import FakeQueue


def _message(body: str) -> func.QueueMessage:
    return func.QueueMessage(id="m-1", body=body.encode())


def test_a_malformed_message_is_dropped_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert parse_message(_message('{"slot": 1}'), OnboardJoiner.from_json, "onboarding") is None
    [record] = caplog.records
    assert record.reason == "trackingId is missing or not a short string"  # type: ignore[attr-defined]
    assert record.message_id == "m-1"  # type: ignore[attr-defined]


def test_a_wait_with_retry_after_is_re_enqueued_and_the_message_completes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = FakeQueue()
    command = OnboardJoiner("t-1")

    seen: list[dict[str, object]] = []

    async def handle(c: OnboardJoiner) -> str:
        seen.append(context())  # what every log line of the use case carries
        raise TransientError("email_rate_limited", retry_after=29.2)

    with caplog.at_level(logging.INFO):
        result = asyncio.run(
            run_command(
                _message(command.to_json()),
                command,
                handle,
                queue.named("onboarding"),
                {"tracking_id": "t-1"},
            )
        )
    assert result is None
    assert queue.on("onboarding") == [{"v": 1, "trackingId": "t-1"}]
    assert queue.delays("onboarding") == [30]  # never sooner than the service asked
    assert seen == [{"tracking_id": "t-1", "message_id": "m-1"}]
    assert any("re-enqueued" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("with_requeue", [True, False])
def test_other_failures_go_to_the_host_retry(with_requeue: bool) -> None:
    queue = FakeQueue()
    command = OnboardJoiner("t-1")

    async def without_delay(c: OnboardJoiner) -> None:
        raise TransientError("graph_503")

    async def with_delay(c: OnboardJoiner) -> None:
        raise TransientError("throttled", retry_after=5)

    handler = without_delay if with_requeue else with_delay
    requeue = queue.named("onboarding") if with_requeue else None  # None: a poison trigger
    with pytest.raises(TransientError):
        asyncio.run(run_command(_message(command.to_json()), command, handler, requeue, {}))
    assert queue.messages == []


def test_a_handled_command_returns_the_use_cases_result() -> None:
    command = OnboardJoiner("t-1")

    async def handle(c: OnboardJoiner) -> str:
        return f"done {c.tracking_id}"

    result = asyncio.run(run_command(_message(command.to_json()), command, handle, None, {}))
    assert result == "done t-1"
