"""Queue triggers through the local host against Azurite: encoding, retries, poison, outputs."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from tests.fixtures.host import StartHost
from tests.platform.conftest import SAMPLE_APP, Queues, host_json

pytestmark = pytest.mark.azurite


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def unb64(text: str) -> str:
    return base64.b64decode(text).decode("utf-8")


def finished_gates(record: Path) -> list[tuple[float, float]]:
    """(start, end) of every `gate` invocation that finished."""
    if not record.exists():
        return []
    lines = record.read_text(encoding="utf-8").splitlines()
    return [(float(a), float(b)) for _, a, b in (x.split() for x in lines if x.startswith("gate "))]


def wait_for_line(record: Path, line: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not (record.exists() and line in record.read_text(encoding="utf-8").splitlines()):
        assert time.monotonic() < deadline, f"{line!r} never recorded"
        time.sleep(0.1)


def test_a_message_that_keeps_failing_lands_in_poison_with_its_body_intact(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    start_local_host(app=SAMPLE_APP, env=sample_env, host_json=host_json(maxDequeueCount=3))
    body = json.dumps({"joiner": "Zoë", "id": 42})
    queues.send(sample_env["SAMPLE_FLAKY_QUEUE"], body, base64=True)

    poisoned = queues.wait_for(sample_env["SAMPLE_FLAKY_QUEUE"] + "-poison")

    assert poisoned == [b64(body)]  # the stored text, byte for byte
    assert unb64(poisoned[0]) == body
    attempts = Path(sample_env["SAMPLE_RECORD_FILE"]).read_text(encoding="utf-8").split()
    assert attempts == ["1", "2", "3"]  # real dequeue counts, stopped at maxDequeueCount
    assert queues.peek(sample_env["SAMPLE_FLAKY_QUEUE"]) == []
    # The function set its output before failing: a failed invocation writes no outputs.
    assert queues.peek(sample_env["SAMPLE_FLAKY_OUT"]) == []


def test_a_failed_message_is_retried_after_the_visibility_timeout(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    start_local_host(
        app=SAMPLE_APP,
        env=sample_env,
        host_json=host_json(maxDequeueCount=2, visibilityTimeout="00:00:02"),
    )
    queues.send(sample_env["SAMPLE_FLAKY_QUEUE"], "retry me", base64=True)
    started = time.monotonic()

    assert queues.wait_for(sample_env["SAMPLE_FLAKY_QUEUE"] + "-poison") == [b64("retry me")]
    assert time.monotonic() - started >= 2.0


def test_base64_message_reaches_the_function_decoded_and_its_output_is_written(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    start_local_host(app=SAMPLE_APP, env=sample_env, host_json=host_json())
    sent = queues.send(sample_env["SAMPLE_ECHO_QUEUE"], '{"name": "Zoë"}', base64=True)

    [written] = queues.wait_for(sample_env["SAMPLE_ECHO_OUT"])

    echoed = json.loads(unb64(written))  # outputs are base64 too, per messageEncoding
    assert echoed["body"] == '{"name": "Zoë"}'
    assert echoed["id"] == sent.id
    assert echoed["dequeue_count"] == 1
    assert echoed["inserted"] is not None
    assert queues.peek(sample_env["SAMPLE_ECHO_QUEUE"]) == []


def test_a_raw_message_under_base64_goes_to_poison_untouched_without_invoking(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    host = start_local_host(app=SAMPLE_APP, env=sample_env, host_json=host_json())
    raw = "plain text {not base64}!"
    queues.send(sample_env["SAMPLE_ECHO_QUEUE"], raw, base64=False)

    assert queues.wait_for(sample_env["SAMPLE_ECHO_QUEUE"] + "-poison") == [raw]
    assert queues.peek(sample_env["SAMPLE_ECHO_OUT"]) == []
    assert "function=echo" not in host.logs()


def test_encoding_none_passes_the_text_as_is(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    start_local_host(app=SAMPLE_APP, env=sample_env, host_json=host_json(messageEncoding="none"))
    looks_like_base64 = b64("not decoded under none")
    queues.send(sample_env["SAMPLE_ECHO_QUEUE"], looks_like_base64, base64=False)

    [written] = queues.wait_for(sample_env["SAMPLE_ECHO_OUT"])

    echoed = json.loads(written)  # raw JSON on the wire, no base64
    assert echoed["body"] == looks_like_base64
    assert queues.peek(sample_env["SAMPLE_ECHO_QUEUE"] + "-poison") == []


def test_admin_endpoint_invokes_a_queue_function_with_the_input_as_body(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    host = start_local_host(app=SAMPLE_APP, env=sample_env, host_json=host_json())

    assert host.invoke("echo", "from the admin API").status == 202

    [written] = queues.wait_for(sample_env["SAMPLE_ECHO_OUT"])
    echoed = json.loads(unb64(written))
    assert (echoed["body"], echoed["dequeue_count"]) == ("from the admin API", 1)
    assert "function=echo" in host.logs()
    assert "trigger=admin" in host.logs()


def test_shutdown_releases_a_message_still_in_flight(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    host = start_local_host(
        app=SAMPLE_APP,
        env=sample_env,
        host_json=host_json(),
        extra_args=["--shutdown-grace", "1"],
    )
    queues.send(sample_env["SAMPLE_SLOW_QUEUE"], "long job", base64=True)
    wait_for_line(Path(sample_env["SAMPLE_RECORD_FILE"]), "slow started")
    assert queues.peek(sample_env["SAMPLE_SLOW_QUEUE"]) == []  # invisible while it runs

    started = time.monotonic()
    host.stop()

    assert time.monotonic() - started < 8
    assert host.process.proc is not None
    assert host.process.proc.returncode == 0
    # Abandoned, not lost: visible again at once for the next host.
    assert queues.peek(sample_env["SAMPLE_SLOW_QUEUE"]) == [b64("long job")]
    assert "local Functions host stopped" in host.logs()


def test_batches_run_concurrently_up_to_batch_size(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    for index in range(6):
        queues.send(sample_env["SAMPLE_GATE_QUEUE"], f"job {index}", base64=True)
    # newBatchThreshold 0: the next batch is fetched only when the current one is done.
    start_local_host(
        app=SAMPLE_APP,
        env=sample_env,
        host_json=host_json(batchSize=3, newBatchThreshold=0),
    )
    record = Path(sample_env["SAMPLE_RECORD_FILE"])
    deadline = time.monotonic() + 30
    while len(finished_gates(record)) < 6:
        assert time.monotonic() < deadline, "the six messages were not all processed"
        time.sleep(0.1)

    spans = finished_gates(record)
    overlaps = [sum(1 for s, e in spans if s <= start < e) for start, _ in spans]
    assert max(overlaps) == 3


def test_shutdown_lets_a_message_finish_within_the_grace_period(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    env = {**sample_env, "SAMPLE_GATE_SECONDS": "1.5"}
    host = start_local_host(
        app=SAMPLE_APP, env=env, host_json=host_json(), extra_args=["--shutdown-grace", "8"]
    )
    queues.send(sample_env["SAMPLE_GATE_QUEUE"], "finish me", base64=True)
    record = Path(sample_env["SAMPLE_RECORD_FILE"])
    wait_for_line(record, "gate-started")

    host.stop()

    assert host.process.proc is not None
    assert host.process.proc.returncode == 0
    assert len(finished_gates(record)) == 1  # it ran to the end ...
    assert queues.peek(sample_env["SAMPLE_GATE_QUEUE"]) == []  # ... and was completed


def test_an_invocation_past_function_timeout_fails(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    settings = {**host_json(maxDequeueCount=1), "functionTimeout": "00:00:01"}
    host = start_local_host(app=SAMPLE_APP, env=sample_env, host_json=settings)
    queues.send(sample_env["SAMPLE_SLOW_QUEUE"], "too slow", base64=True)

    assert queues.wait_for(sample_env["SAMPLE_SLOW_QUEUE"] + "-poison") == [b64("too slow")]
    assert "function=slow" in host.logs()
    assert "outcome=failed error=TimeoutError" in host.logs()
