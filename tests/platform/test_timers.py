"""Timer triggers through the local host: schedules, admin runs, missed occurrences, overlap."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.blob import ContainerClient

from tests.fixtures.azurite import Azurite
from tests.fixtures.host import StartHost
from tests.platform.conftest import APP, host_json, records, wait_until

pytestmark = pytest.mark.azurite


def test_timer_runs_on_its_schedule_every_second(
    start_local_host: StartHost, app_env: dict[str, str]
) -> None:
    env = {**app_env, "TICK_SCHEDULE": "* * * * * *"}
    host = start_local_host(app=APP, env=env, host_json=host_json())

    runs = wait_until(lambda: records(app_env, "tick"), count=2, timeout=10)

    assert len(runs) >= 2
    assert not any(run["past_due"] for run in runs)
    next_times = [datetime.fromisoformat(run["next"]) for run in runs]
    assert next_times == sorted(set(next_times))  # one run per occurrence, in order
    assert all(t.microsecond == 0 and t.tzinfo is not None for t in next_times)
    assert "trigger=timer:schedule" in host.logs()


def test_timer_runs_through_the_admin_endpoint(
    start_local_host: StartHost, app_env: dict[str, str]
) -> None:
    host = start_local_host(app=APP, env=app_env, host_json=host_json())
    assert records(app_env, "tick") == []  # yearly: not due during the test

    assert host.invoke("tick", "ignored for timers").status == 202

    [run] = wait_until(lambda: records(app_env, "tick"))
    assert run["past_due"] is False
    assert datetime.fromisoformat(run["next"]).strftime("%m-%d %H:%M:%S") == "01-01 00:00:00"


def test_a_missed_occurrence_runs_at_start_as_past_due(
    start_local_host: StartHost, app_env: dict[str, str], azurite: Azurite
) -> None:
    host_id = f"missed-{app_env['WORK_QUEUE']}"
    # What the schedule monitor stored before the host went down: an occurrence now passed.
    status = {"Last": None, "Next": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    hosts = "azure-webjobs-hosts"
    with ContainerClient.from_connection_string(azurite.connection_string, hosts) as container:
        if not container.exists():
            container.create_container()
        container.upload_blob(f"timers/{host_id}/tick/status", json.dumps(status), overwrite=True)

    env = {**app_env, "AzureFunctionsWebHost__hostid": host_id}
    host = start_local_host(app=APP, env=env, host_json=host_json())

    [run] = wait_until(lambda: records(app_env, "tick"))
    assert run["past_due"] is True
    assert wait_until(lambda: [x for x in host.logs().splitlines() if "timer:missed" in x])


def test_an_occurrence_due_while_the_timer_runs_does_not_start_beside_it(
    start_local_host: StartHost, app_env: dict[str, str]
) -> None:
    env = {**app_env, "TICK_SCHEDULE": "* * * * * *", "TICK_SLEEP": "1.5"}
    start_local_host(app=APP, env=env, host_json=host_json())

    ends = wait_until(lambda: records(app_env, "tick_end"), count=2, timeout=20)

    assert len(ends) >= 2
    spans = sorted((r["started"], r["ended"]) for r in ends)
    assert all(ended <= started for (_, ended), (started, _) in itertools.pairwise(spans))


def test_a_failed_timer_run_is_not_retried(
    start_local_host: StartHost, app_env: dict[str, str]
) -> None:
    env = {**app_env, "TICK_SCHEDULE": "* * * * * *", "TICK_FAIL": "1"}
    host = start_local_host(app=APP, env=env, host_json=host_json())

    runs = wait_until(lambda: records(app_env, "tick"), count=3, timeout=15)

    assert len(runs) >= 3
    occurrences = [run["next"] for run in runs]
    assert len(set(occurrences)) == len(occurrences)  # a new occurrence each time, no retry
    assert "function=tick" in host.logs()
    assert "outcome=failed error=RuntimeError" in host.logs()
