"""Queue triggers through the local host against Azurite: encoding, lease, retries, poison."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.fixtures.host import StartHost
from tests.platform.conftest import APP, Queues, host_json, records, wait_until

pytestmark = pytest.mark.azurite


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def test_a_message_that_keeps_failing_lands_in_poison_with_its_body_intact(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    start_local_host(app=APP, env=app_env, host_json=host_json(maxDequeueCount=3))
    body = "fail " + json.dumps({"joiner": "Zoë", "id": 42})
    queues.send(app_env["WORK_QUEUE"], body, base64=True)

    poisoned = queues.wait_for(app_env["WORK_QUEUE"] + "-poison")

    assert poisoned == [b64(body)]  # the stored text, byte for byte
    attempts = [r["dequeue_count"] for r in records(app_env, "start")]
    assert attempts == [1, 2, 3]  # real dequeue counts, stopped at maxDequeueCount
    assert queues.peek(app_env["WORK_QUEUE"]) == []


def test_a_failed_message_is_retried_after_the_visibility_timeout(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    start_local_host(
        app=APP, env=app_env, host_json=host_json(maxDequeueCount=2, visibilityTimeout="00:00:02")
    )
    queues.send(app_env["WORK_QUEUE"], "fail, retry me", base64=True)
    started = time.monotonic()

    assert queues.wait_for(app_env["WORK_QUEUE"] + "-poison") == [b64("fail, retry me")]
    assert time.monotonic() - started >= 2.0


def test_base64_message_reaches_the_function_decoded_with_its_metadata(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    start_local_host(app=APP, env=app_env, host_json=host_json())
    sent = queues.send(app_env["WORK_QUEUE"], '{"name": "Zoë"}', base64=True)

    [started] = wait_until(lambda: records(app_env, "start"))

    assert started["body"] == '{"name": "Zoë"}'
    assert started["id"] == sent.id
    assert started["dequeue_count"] == 1
    assert started["inserted"] is not None
    assert wait_until(lambda: records(app_env, "end"))
    assert queues.peek(app_env["WORK_QUEUE"]) == []  # leased until it is deleted


def test_a_raw_message_under_base64_goes_to_poison_untouched_without_invoking(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    host = start_local_host(app=APP, env=app_env, host_json=host_json())
    raw = "plain text {not base64}!"
    queues.send(app_env["WORK_QUEUE"], raw, base64=False)

    assert queues.wait_for(app_env["WORK_QUEUE"] + "-poison") == [raw]
    assert records(app_env, "start") == []
    assert "function=work" not in host.logs()


def test_encoding_none_passes_the_text_as_is(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    start_local_host(app=APP, env=app_env, host_json=host_json(messageEncoding="none"))
    looks_like_base64 = b64("not decoded under none")
    queues.send(app_env["WORK_QUEUE"], looks_like_base64, base64=False)

    [started] = wait_until(lambda: records(app_env, "start"))

    assert started["body"] == looks_like_base64
    assert queues.peek(app_env["WORK_QUEUE"] + "-poison") == []


def test_admin_endpoint_invokes_a_queue_function_with_the_input_as_body(
    start_local_host: StartHost, app_env: dict[str, str]
) -> None:
    host = start_local_host(app=APP, env=app_env, host_json=host_json())

    assert host.invoke("work", "from the admin API").status == 202

    [started] = wait_until(lambda: records(app_env, "start"))
    assert (started["body"], started["dequeue_count"]) == ("from the admin API", 1)
    # The host logs the invocation once it has finished.
    assert wait_until(lambda: [x for x in host.logs().splitlines() if "trigger=admin" in x])


def test_shutdown_releases_a_message_still_in_flight(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    host = start_local_host(
        app=APP, env=app_env, host_json=host_json(), extra_args=["--shutdown-grace", "1"]
    )
    queues.send(app_env["WORK_QUEUE"], "sleep 120", base64=True)
    assert wait_until(lambda: records(app_env, "start"))
    assert queues.peek(app_env["WORK_QUEUE"]) == []  # invisible while it runs

    started = time.monotonic()
    host.stop()

    assert time.monotonic() - started < 8
    assert host.process.proc is not None
    assert host.process.proc.returncode == 0
    # Abandoned, not lost: visible again at once for the next host.
    assert queues.peek(app_env["WORK_QUEUE"]) == [b64("sleep 120")]
    assert "local Functions host stopped" in host.logs()


def test_batches_run_concurrently_up_to_batch_size(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    for _ in range(6):
        queues.send(app_env["WORK_QUEUE"], "sleep 1", base64=True)
    # newBatchThreshold 0: the next batch is fetched only when the current one is done.
    start_local_host(app=APP, env=app_env, host_json=host_json(batchSize=3, newBatchThreshold=0))

    ends = wait_until(lambda: records(app_env, "end"), count=6, timeout=30)

    assert len(ends) == 6, "the six messages were not all processed"
    spans = [(r["started"], r["ended"]) for r in ends]
    assert max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans) == 3


def test_shutdown_lets_a_message_finish_within_the_grace_period(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    host = start_local_host(
        app=APP, env=app_env, host_json=host_json(), extra_args=["--shutdown-grace", "8"]
    )
    queues.send(app_env["WORK_QUEUE"], "sleep 1.5", base64=True)
    assert wait_until(lambda: records(app_env, "start"))

    host.stop()

    assert host.process.proc is not None
    assert host.process.proc.returncode == 0
    assert len(records(app_env, "end")) == 1  # it ran to the end ...
    assert queues.peek(app_env["WORK_QUEUE"]) == []  # ... and was completed


def test_an_invocation_past_function_timeout_fails(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    settings = {**host_json(maxDequeueCount=1), "functionTimeout": "00:00:01"}
    host = start_local_host(app=APP, env=app_env, host_json=settings)
    queues.send(app_env["WORK_QUEUE"], "sleep 30", base64=True)

    assert queues.wait_for(app_env["WORK_QUEUE"] + "-poison") == [b64("sleep 30")]
    assert "function=work" in host.logs()
    assert "outcome=failed error=TimeoutError" in host.logs()


def test_a_message_stays_invisible_while_its_invocation_runs_past_the_lease(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    # A 3 s lease renewed every 1.5 s: without the renewal the message would be handed out again
    # (dequeue count 2) while the first invocation still runs.
    start_local_host(app=APP, env=app_env, host_json=host_json(), extra_args=["--queue-lease", "3"])
    queues.send(app_env["WORK_QUEUE"], "sleep 5", base64=True)

    assert wait_until(lambda: records(app_env, "end"), timeout=30)

    assert [r["dequeue_count"] for r in records(app_env, "start")] == [1]
