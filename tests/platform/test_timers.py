"""Timer triggers through the local host: NCRONTAB schedules, admin runs, missed occurrences."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient

from tests.fixtures.azurite import Azurite
from tests.fixtures.host import StartHost
from tests.platform.conftest import SAMPLE_APP, Queues, host_json

pytestmark = pytest.mark.azurite


def ticks(messages: list[str]) -> list[dict[str, Any]]:
    return [json.loads(base64.b64decode(m)) for m in messages]


def test_timer_runs_on_its_schedule_every_second(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    env = {**sample_env, "SAMPLE_TICK_SCHEDULE": "* * * * * *"}
    host = start_local_host(app=SAMPLE_APP, env=env, host_json=host_json())

    runs = ticks(queues.wait_for(sample_env["SAMPLE_TICK_OUT"], count=2, timeout=10))

    assert len(runs) >= 2
    assert not any(run["past_due"] for run in runs)
    next_times = [datetime.fromisoformat(run["next"]) for run in runs]
    assert next_times == sorted(set(next_times))  # one run per occurrence, in order
    assert all(t.microsecond == 0 and t.tzinfo is not None for t in next_times)
    assert "trigger=timer:schedule" in host.logs()


def test_timer_runs_through_the_admin_endpoint(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    host = start_local_host(app=SAMPLE_APP, env=sample_env, host_json=host_json())
    assert queues.peek(sample_env["SAMPLE_TICK_OUT"]) == []  # yearly: not due during the test

    assert host.invoke("tick", "ignored for timers").status == 202

    [run] = ticks(queues.wait_for(sample_env["SAMPLE_TICK_OUT"]))
    assert run["past_due"] is False
    assert datetime.fromisoformat(run["next"]).strftime("%m-%d %H:%M:%S") == "01-01 00:00:00"


def test_a_missed_occurrence_runs_at_start_as_past_due(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues, azurite: Azurite
) -> None:
    host_id = f"missed-{sample_env['SAMPLE_TICK_OUT']}"
    # What the schedule monitor stored before the host went down: an occurrence now passed.
    status = {"Last": None, "Next": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    with BlobServiceClient.from_connection_string(azurite.connection_string) as blobs:
        container = blobs.get_container_client("azure-webjobs-hosts")
        if not container.exists():
            container.create_container()
        container.upload_blob(f"timers/{host_id}/tick/status", json.dumps(status), overwrite=True)

    env = {**sample_env, "AzureFunctionsWebHost__hostid": host_id}
    start_local_host(app=SAMPLE_APP, env=env, host_json=host_json())

    [run] = ticks(queues.wait_for(sample_env["SAMPLE_TICK_OUT"]))
    assert run["past_due"] is True


def test_run_on_startup_runs_a_timer_once_when_the_host_starts(
    start_local_host: StartHost, sample_env: dict[str, str], queues: Queues
) -> None:
    host = start_local_host(app=SAMPLE_APP, env=sample_env, host_json=host_json())

    assert queues.wait_for(sample_env["SAMPLE_WARMUP_OUT"]) == [base64.b64encode(b"warm").decode()]
    assert "function=warmup" in host.logs()
    assert "trigger=timer:startup" in host.logs()
