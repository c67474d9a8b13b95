"""The fault matrix: a small batch of joiners onboarded under one fault, then the invariants.

Shared by `tests/reliability` (reduced, in `make test`) and `bench/soak.py` (full). A fault is
armed on the emulators before the events are posted; a "kill" scenario holds the worker at one
onboarding step (a slow or refused next call), SIGKILLs the host there, disarms the fault and
starts a new host on the same queues and ledger, which must resume. No hook is added to the app.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.acs_email_emulator import UNLIMITED
from local.acs_email_emulator.control import Fault
from local.procs import REPO_ROOT
from tests.e2e.canary import leaks, passcodes_in, storage_texts
from tests.e2e.stack import Tapstart, app_settings, canonical_event, host_json
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.graph import ControlError, EmulatedGraph
from tests.fixtures.host import HostLauncher, RunningHost
from tests.reliability.persistent_azurite import PersistentAzurite

MANAGER = "maria.manager@contoso.example"
INVARIANTS = ("final", "one_live_tap", "no_dup_email", "no_poison", "canary", "tap_after_slot")
# The runtime leases a received message for 10 minutes; a short lease lets a scenario watch a dead
# worker's (or a lost receive's) messages come back within its time budget.
QUEUE_LEASE_S = 8.0
LOG_DIR = REPO_ROOT / ".local" / "logs"
# Business limits of the example settings would pause a batch; the matrix tests faults, not caps.
RAISED_LIMITS = {
    "EMAIL_RATE_PER_MINUTE": "10000",
    "EMAIL_RATE_PER_HOUR": "100000",
    "TAP_MAX_PER_HOUR": "100000",
}


@dataclass
class Stack:
    azurite: PersistentAzurite
    graph: EmulatedGraph
    acs: AcsEmulator
    launcher: HostLauncher


@dataclass
class Run:
    """What a scenario sees while it runs (hosts in start order, the joiners' UPNs)."""

    stack: Stack
    upns: list[str]
    hosts: list[RunningHost] = field(default_factory=list)

    def graph_log(self) -> list[dict[str, Any]]:
        requests: list[dict[str, Any]] = self.stack.graph.control.requests()["requests"]
        return requests

    def seen(self, method: str, fragment: str) -> int:
        return sum(
            1
            for r in self.graph_log()
            if r["method"] == method and fragment in r["path"] and r["status"] < 400
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    arm: Callable[[Stack], None] = lambda stack: None
    # Kill scenarios: when this holds, the worker is stuck at the step; SIGKILL, disarm, restart.
    kill_when: Callable[[Run], bool] | None = None
    during: Callable[[Stack], None] | None = None
    note: str = ""
    # Settings over RAISED_LIMITS (a scenario that puts a business limit back on).
    limits: dict[str, str] = field(default_factory=dict)
    extra_time: float = 0.0  # seconds on top of the run's timeout (a limit that makes joiners wait)
    # The onboarding must create exactly one TAP per joiner (no kill in between to excuse more).
    one_tap_per_joiner: bool = False
    # How every joiner must end. "failed": nothing delivered, and then no usable TAP may remain.
    expect: str = "delivered"
    # Host processes on the same queues and storage from the start (scale-out); events are
    # posted to them in turn.
    hosts: int = 1
    min_joiners: int = 0  # a batch at least this large (scale-out needs enough to share)


def _graph(**spec: Any) -> Callable[[Stack], None]:
    return lambda stack: stack.graph.control.set_faults(**spec)


def _acs(*faults: Fault) -> Callable[[Stack], None]:
    return lambda stack: stack.acs.control.set_faults(*faults)


def _hold(path: str, method: str) -> Callable[[Stack], None]:
    """Every matching Graph call waits 30 s: the worker stays at the step before it."""
    return _graph(rules=[{"path": path, "method": method, "latencyMs": 30000}])


def _after(check: Callable[[Run], bool], settle: float = 1.0) -> Callable[[Run], bool]:
    first: list[float] = []

    def ready(run: Run) -> bool:
        if not first and check(run):
            first.append(time.monotonic())
        return bool(first) and time.monotonic() - first[0] >= settle

    return ready


def _groups_added(run: Run) -> bool:
    return run.seen("PATCH", "/groups/") + run.seen("POST", "/members/$ref") > 0


def _taps_exist(run: Run) -> bool:
    return len(run.stack.graph.control.taps()) >= len(run.upns)


def _emails_sent(run: Run) -> bool:
    return len(run.stack.acs.control.messages()) >= len(run.upns)


def all_scenarios() -> list[Scenario]:
    return [
        Scenario("none (control)"),
        Scenario(
            "Graph 429 + Retry-After",
            _graph(rules=[{"path": "", "status": 429, "retryAfter": 1, "count": 6}]),
        ),
        Scenario("Graph 503", _graph(rules=[{"path": "", "status": 503, "count": 6}])),
        Scenario("Graph 500", _graph(rules=[{"path": "", "status": 500, "count": 6}])),
        Scenario(
            "Graph latency spikes",
            _graph(latencyMs=400, latencyJitterMs=400, seed=7),
        ),
        Scenario("Graph dropped connections", _graph(dropRate=0.2, seed=3)),
        Scenario("ACS 429", _acs(Fault(status=429, count=3, retry_after=1))),
        Scenario("ACS 500", _acs(Fault(status=500, count=3))),
        Scenario(
            "ACS refuses the send (400)",
            _acs(Fault(status=400, count=1000, code="InvalidEmailAddress")),
            expect="failed",
            note="a permanent refusal after the TAP exists: the joiner fails, the TAP is deleted",
        ),
        Scenario("Azurite down 3 s", during=lambda stack: stack.azurite.outage(3.0)),
        Scenario(
            "email rate limit (real limits on)",
            limits={"EMAIL_RATE_PER_MINUTE": "2"},
            extra_time=75.0,
            one_tap_per_joiner=True,
            note="2 emails a minute: the third joiner's send is refused locally and retried",
        ),
        Scenario(
            "kill after user resolve",
            _hold(r"/\$batch$", "POST"),
            kill_when=_after(lambda run: run.seen("GET", "/users") >= len(run.upns)),
            note="held on the roles/methods/manager $batch",
        ),
        Scenario(
            "kill after group add",
            _hold("/authentication/temporaryAccessPassMethods", "POST"),
            kill_when=_after(_groups_added, settle=1.5),
            note="held on the TAP POST (sent, not yet created)",
        ),
        Scenario(
            "kill after TAP create",
            _acs(Fault(status=429, count=1000, retry_after=30)),
            kill_when=_after(_taps_exist),
            note="ACS answers 429 Retry-After 30 to the send",
        ),
        Scenario(
            "kill after email send",
            kill_when=_emails_sent,
            note="killed as soon as the outbox holds the mails (race with the ledger write)",
        ),
        Scenario(
            "kill before ledger write",
            _graph(
                rules=[
                    {
                        "path": "/authentication/temporaryAccessPassMethods$",
                        "method": "POST",
                        "responseLatencyMs": 30000,
                    }
                ]
            ),
            kill_when=_taps_exist,
            note="TAP POST answered after the worker died: created in Graph, not in the ledger",
        ),
        Scenario(
            "two hosts on the same queues",
            hosts=2,
            min_joiners=8,
            one_tap_per_joiner=True,
            note="scale-out: both hosts take messages from one queue, one ledger, one cap",
        ),
        Scenario(
            "two hosts, Graph 429 + Retry-After",
            _graph(rules=[{"path": "", "status": 429, "retryAfter": 1, "count": 6}]),
            hosts=2,
            min_joiners=8,
            note="scale-out while Graph throttles: retries from either host, no second pass",
        ),
    ]


REDUCED = (
    "none (control)",
    "Graph 429 + Retry-After",
    "Graph 503",
    "Graph dropped connections",
    "ACS 500",
    "ACS refuses the send (400)",
    "Azurite down 3 s",
    "email rate limit (real limits on)",
    "kill after user resolve",
    "kill after TAP create",
    "kill before ledger write",
    "two hosts on the same queues",
)


@dataclass
class Result:
    scenario: str
    joiners: int
    seconds: float
    checks: dict[str, bool]
    details: list[str]

    @property
    def ok(self) -> bool:
        return all(self.checks.values())


def seed_joiners(stack: Stack, count: int) -> tuple[list[str], list[str]]:
    stack.graph.control.reset()
    stack.graph.control.clear_requests()
    stack.acs.control.reset()
    stack.acs.control.set_limits(
        per_minute=UNLIMITED,
        per_hour=UNLIMITED,
        status_per_minute=UNLIMITED,
        status_per_hour=UNLIMITED,
    )
    tag = uuid.uuid4().hex[:6]
    employees, upns = [], []
    for i in range(count):
        upn = f"rel.{tag}.{i:04d}@contoso.example"
        stack.graph.control.add_user(
            userPrincipalName=upn,
            displayName=f"Rel {tag} {i:04d}",
            givenName="Rel",
            employeeId=f"R{tag}{i:04d}",
            manager=MANAGER,
            createdDateTime="now-1d",
        )
        employees.append(f"R{tag}{i:04d}")
        upns.append(upn)
    return employees, upns


def launch(
    stack: Stack, settings: dict[str, str], lease: float = QUEUE_LEASE_S, **queues: Any
) -> RunningHost:
    return stack.launcher.start(
        env=settings, host_json=host_json(**queues), extra_args=["--queue-lease", str(lease)]
    )


def run_scenario(
    stack: Stack, scenario: Scenario, joiners: int = 3, timeout: float = 90.0
) -> Result:
    started = time.monotonic()
    joiners = max(joiners, scenario.min_joiners)
    employees, upns = seed_joiners(stack, joiners)
    limits = {**RAISED_LIMITS, **scenario.limits}
    settings = app_settings(stack.azurite.info, stack.graph, stack.acs, **limits)
    run = Run(stack, upns)
    run.hosts.extend(launch(stack, settings) for _ in range(scenario.hosts))
    details: list[str] = []
    scenario.arm(stack)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    entries = [Tapstart(host, stack.graph, stack.acs, settings) for host in run.hosts]
    tapstart = entries[0]
    answers = [
        entries[i % len(entries)].post_event(canonical_event(e, today))
        for i, e in enumerate(employees)
    ]
    accepted = [a for a in answers if a.status == 202]
    if len(accepted) != joiners:
        details.append(f"intake refused {[a.status for a in answers if a.status != 202]}")
    tracking = [str(a.json()["trackingIds"][0]) for a in accepted]
    if scenario.during is not None:
        scenario.during(stack)
    if scenario.kill_when is not None:
        _kill_and_restart(run, scenario, settings, details)
        tapstart = Tapstart(run.hosts[-1], stack.graph, stack.acs, settings)
    statuses = _wait_all(tapstart, tracking, started + timeout + scenario.extra_time, details)
    stack.graph.control.clear_faults()
    stack.acs.control.set_faults()
    checks = _invariants(
        run, settings, statuses, [a.text for a in answers], details, scenario.expect
    )
    # A local email-rate refusal must come before the TAP: one TAP POST per joiner, never a
    # TAP created and then thrown away because the email could not be sent yet.
    tap_posts = run.seen("POST", "/authentication/temporaryAccessPassMethods")
    checks["tap_after_slot"] = not scenario.one_tap_per_joiner or tap_posts == joiners
    if not checks["tap_after_slot"]:
        details.append(f"{tap_posts} TAPs created for {joiners} joiners")
    if len(run.hosts) > 1:
        shares = [host.logs().count("function=onboarding_worker ") for host in run.hosts]
        details.append(f"onboarding invocations per host: {shares}")
    for host in run.hosts:
        host.stop()
    if not all(checks.values()):
        details.extend(_keep_logs(scenario.name, run.hosts))
    return Result(scenario.name, joiners, time.monotonic() - started, checks, details)


def _keep_logs(scenario: str, hosts: list[RunningHost]) -> list[str]:
    """Copy a failed scenario's host logs under .local/logs (the work dir is deleted)."""
    slug = re.sub(r"[^a-z0-9]+", "-", scenario.lower()).strip("-")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    kept = []
    for i, host in enumerate(hosts):
        target = LOG_DIR / f"matrix-{slug}-host{i}.log"
        target.write_text(host.logs(), encoding="utf-8")
        kept.append(f"host log: {target.relative_to(REPO_ROOT)}")
    return kept


def _kill_and_restart(
    run: Run,
    scenario: Scenario,
    settings: dict[str, str],
    details: list[str],
) -> None:
    assert scenario.kill_when is not None
    deadline = time.monotonic() + 45
    while not scenario.kill_when(run):
        if time.monotonic() > deadline:
            details.append("kill point never reached")
            break
        time.sleep(0.05)
    run.hosts[-1].process.kill()
    time.sleep(3.5)  # a held Graph call finishes on the emulator's side after the worker died
    run.stack.graph.control.clear_faults()
    run.stack.acs.control.set_faults()
    details.append(
        f"at kill: {len(run.stack.graph.control.taps())} TAPs, "
        f"{len(run.stack.acs.control.messages())} emails"
    )
    # The dead worker's messages come back when their lease ends (QUEUE_LEASE_S), as in Azure.
    run.hosts.append(launch(run.stack, settings))


def _wait_all(
    tapstart: Tapstart, tracking: list[str], deadline: float, details: list[str]
) -> dict[str, dict[str, Any]]:
    statuses: dict[str, dict[str, Any]] = {}
    while True:
        for tid in tracking:
            if tid not in statuses or not statuses[tid]["final"]:
                try:
                    statuses[tid] = tapstart.status(tid)
                except (AssertionError, OSError) as exc:
                    details.append(f"status {tid[:8]}: {exc}"[:200])
        if all(statuses.get(t, {}).get("final") for t in tracking):
            return statuses
        if time.monotonic() > deadline:
            stuck = {t[:8]: statuses.get(t, {}).get("status") for t in tracking}
            details.append(f"not final in time: {stuck}")
            return statuses
        time.sleep(0.3)


def _invariants(
    run: Run,
    settings: dict[str, str],
    statuses: dict[str, dict[str, Any]],
    answers: list[str],
    details: list[str],
    expect: str = "delivered",
) -> dict[str, bool]:
    stack = run.stack
    final = len(statuses) == len(run.upns) and all(
        s.get("final") and s.get("status") == expect for s in statuses.values()
    )
    messages = stack.acs.control.messages()
    taps = stack.graph.control.taps()
    one_live_tap = True
    no_dup_email = True
    for upn in run.upns:
        name = upn.split("@")[0].replace("rel.", "Rel ").replace(".", " ")
        mails = [m for m in messages if name in (m.get("plainText") or "")]
        if expect == "delivered" and len(mails) != 1:
            no_dup_email = False
            details.append(f"{upn}: {len(mails)} emails")
        live = [t for t in taps if upn in json.dumps(t)]
        codes = passcodes_in(mails)
        if expect != "delivered":  # nothing went out: no pass may stay usable, none mailed
            if live:
                one_live_tap = False
            if mails:
                no_dup_email = False
            if live or mails:
                details.append(f"{upn}: {len(live)} TAPs left, {len(mails)} emails")
            continue
        if len(live) != 1 or len(codes) != 1:
            one_live_tap = False
            details.append(f"{upn}: {len(live)} live TAPs, {len(codes)} delivered")
            continue
        try:
            stack.graph.control.register(
                upn, "microsoftAuthenticatorPasswordless", temporary_access_pass=codes[0]
            )
        except ControlError as exc:
            one_live_tap = False
            details.append(f"{upn}: delivered TAP refused: {exc}"[:200])
    texts = storage_texts(stack.azurite.info.connection_string)
    ours = (settings["ONBOARDING_QUEUE"], settings["REMINDER_QUEUE"])
    poison = [
        k for k in texts if k.startswith("queue:") and "poison" in k and any(q in k for q in ours)
    ]
    if poison:
        details.append(f"poison: {poison}")
    places = dict(texts)
    for i, host in enumerate(run.hosts):
        places[f"host log {i}"] = host.logs()
    places.update({f"http answer {i}": a for i, a in enumerate(answers)})
    places.update({f"status {t[:8]}": json.dumps(s) for t, s in statuses.items()})
    leaked = leaks(passcodes_in(messages), places)
    if leaked:
        details.append(f"canary: {leaked[:3]}")
    return {
        "final": final,
        "one_live_tap": one_live_tap,
        "no_dup_email": no_dup_email,
        "no_poison": not poison,
        "canary": not leaked,
    }


def render(results: list[Result]) -> str:
    width = max([len(f"{r.scenario} [{r.joiners}]") for r in results] + [10]) + 2
    head = f"{'fault':<{width}}" + "".join(f"{i:>16}" for i in INVARIANTS) + f"{'s':>7}"
    lines = ["Fault matrix (joiners per fault in brackets)", head]
    for r in results:
        cells = "".join(f"{'ok' if r.checks[i] else 'FAIL':>16}" for i in INVARIANTS)
        lines.append(f"{r.scenario + f' [{r.joiners}]':<{width}}{cells}{r.seconds:>7.1f}")
    return "\n".join(lines)


def write_json(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            [
                {
                    "scenario": r.scenario,
                    "joiners": r.joiners,
                    "seconds": round(r.seconds, 1),
                    "checks": r.checks,
                    "details": r.details,
                }
                for r in results
            ],
            indent=2,
        )
    )
