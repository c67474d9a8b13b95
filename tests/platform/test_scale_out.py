"""Two local hosts on the same storage: the scale-out Azure does with several instances.

Queue messages are shared out by the queue itself (a received message is invisible to the other
host until it is deleted or released); a timer runs on the one host that holds its listener lock.
"""

from __future__ import annotations

import pytest

from tests.fixtures.host import StartHost
from tests.platform.conftest import APP, Queues, host_json, records, wait_until

pytestmark = pytest.mark.azurite


def test_two_hosts_on_one_queue_handle_each_message_exactly_once(
    start_local_host: StartHost, app_env: dict[str, str], queues: Queues
) -> None:
    # One message at a time per host, so the second host necessarily gets a share.
    options = host_json(batchSize=1, newBatchThreshold=0)
    hosts = [start_local_host(app=APP, env=app_env, host_json=options) for _ in range(2)]
    bodies = [f"sleep 0.3 message {n}" for n in range(10)]
    for body in bodies:
        queues.send(app_env["WORK_QUEUE"], body, base64=True)

    ends = wait_until(lambda: records(app_env, "end"), count=len(bodies), timeout=30)

    starts = records(app_env, "start")
    assert sorted(r["body"] for r in starts) == sorted(bodies)  # each handed out once ...
    assert sorted(r["body"] for r in ends) == sorted(bodies)  # ... and completed once
    assert {r["dequeue_count"] for r in starts} == {1}
    assert {r["pid"] for r in starts} == {host.pid for host in hosts}
    assert queues.peek(app_env["WORK_QUEUE"]) == []


def test_a_timer_runs_on_one_of_two_hosts_and_moves_when_that_host_stops(
    start_local_host: StartHost, app_env: dict[str, str]
) -> None:
    # One host id for both, as for two instances of one app; the second asks for the listener
    # lock every half second instead of every minute.
    env = {
        **app_env,
        "TICK_SCHEDULE": "* * * * * *",
        "AzureFunctionsWebHost__hostid": f"scale-{app_env['WORK_QUEUE']}"[:32],
    }
    args = ["--timer-lock-recovery", "0.5"]
    hosts = [
        start_local_host(app=APP, env=env, host_json=host_json(), extra_args=args) for _ in range(2)
    ]
    both_up = len(records(app_env, "tick"))

    runs = wait_until(lambda: records(app_env, "tick"), count=both_up + 3, timeout=15)[both_up:]

    assert len(runs) >= 3
    [holder_pid] = {run["pid"] for run in runs}  # one host runs it ...
    occurrences = [run["next"] for run in runs]
    assert len(set(occurrences)) == len(occurrences)  # ... once per occurrence
    [holder] = [host for host in hosts if host.pid == holder_pid]
    [other] = [host for host in hosts if host is not holder]

    holder.stop()  # releases the lock

    def taken_over() -> list[object]:
        return [run for run in records(app_env, "tick") if run["pid"] == other.pid]

    assert len(wait_until(taken_over, count=2, timeout=15)) >= 2
    assert "listener lock taken; this host runs it" in other.logs()
