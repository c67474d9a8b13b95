"""`make demo`: Tapstart's main job on the local stack, start to finish, in under two minutes.

Starts Azurite, the Graph and ACS emulators (demo tenant) and the local Functions host, sends
signed HR events for the usual cases (start today, pre-hire, an account that appears later, an
admin, a manager without mail, a duplicate delivery, a forged signature), lets one joiner enrol
with the TAP from the manager's email and another register Authenticator for push only, runs
the daily report (reminders fan out from it: the push-only joiner is asked to turn on phone
sign-in), lets that joiner turn it on, runs the report again (enrolled, the TAP retired), waits
for every outcome and prints a table. The outbox stays in .local/outbox for a person to open.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from local.procs import REPO_ROOT
from local.stack import (
    LOCAL_HR_KEY,
    LOCAL_REPORTS_KEY,
    LOCAL_STATUS_KEY,
    Stack,
    app_settings_file,
)
from shared.intake.signature import sign_request

SETTINGS = json.loads((REPO_ROOT / "local.settings.example.json").read_text())["Values"]
SECRET = SETTINGS["HR_WEBHOOK_SECRETS"].split(",")[0]
# Demo-only timings: a missing account is retried after 2 s, reminders are due from day 0 so
# the report's fan-out has someone to remind right away, and quiet hours are off.
# The demo tenant's dynamic ("All Engineering") and role-assignable ("Tier 0 Admins") groups: the
# demo configures neither, so the setup check lists them next to the real one to show its findings.
DOCTOR_GROUPS = (
    "6a1f0d2e-0000-4000-8000-00000000c001",
    "6a1f0d2e-0000-4000-8000-00000000c002",
    "6a1f0d2e-0000-4000-8000-00000000c003",
)
DEMO_ENV = {
    "ACCOUNT_RETRY_BASE_SECONDS": "2",
    "REMINDER_DAYS": "0,3,7,14",
    "QUIET_HOURS": "0-0",
    "TAP_START_HOUR": "0",
    # Multi-use passes (the demo tenant allows them): a pass that outlives the first
    # registration is what retiring it after enrolment is for.
    "TAP_ONE_TIME": "false",
    "TAPSTART_LOG_LEVEL": "INFO",
}
TIMEOUT_SECONDS = 60
_PASSCODE = re.compile(r"={50}\n[^\n]*\n\n {4}(\S+)\n")


@dataclass
class Joiner:
    label: str
    employee_id: str
    hire_in_days: int = 0
    upn: str | None = None
    personal_email: str | None = None
    language: str | None = None
    tracking_id: str | None = None
    answer: str = ""
    status: dict[str, Any] = field(default_factory=dict)


JOINERS = [
    Joiner("starts today (en)", "E1101", personal_email="jamie.private@example.org"),
    Joiner(
        "starts today (de)", "E1102", personal_email="lena.privat@example.org", language="de-DE"
    ),
    Joiner("pre-hire, in 3 days", "E1104", hire_in_days=3),
    Joiner("pre-hire, in 14 days", "E1106", hire_in_days=14),
    Joiner("account appears later", "E1901", upn="late.starter@contoso.example"),
    Joiner("admin (must be refused)", "E1040"),
    Joiner("manager has no mail", "E1107"),
]


def call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Demo:
    def __init__(self, stack: Stack, env: dict[str, str]) -> None:
        self.host = stack.host_url
        self.env = env  # the app settings the host runs with (the CLI reads the same)
        self.graph = env["GRAPH_BASE_URL"].removesuffix("/v1.0")
        self.acs = env["ACS_ENDPOINT"]

    def event(self, joiner: Joiner, event_id: str | None = None) -> dict[str, Any]:
        return {
            "eventId": event_id or f"hr-{joiner.employee_id}-{uuid.uuid4().hex[:8]}",
            "occurredAt": datetime.now(UTC).isoformat(),
            "employeeId": joiner.employee_id,
            "givenName": joiner.label.split()[0].title(),
            "surname": "Demo",
            "hireDate": (date.today() + timedelta(days=joiner.hire_in_days)).isoformat(),
            "timeZone": "UTC",
            **({"userPrincipalName": joiner.upn} if joiner.upn else {}),
            **({"personalEmail": joiner.personal_email} if joiner.personal_email else {}),
            **({"preferredLanguage": joiner.language} if joiner.language else {}),
        }

    def post(self, payload: dict[str, Any], secret: str = SECRET) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload).encode()
        headers = {
            "content-type": "application/json",
            "x-functions-key": LOCAL_HR_KEY,  # the HR system's key: hr_events only
            **sign_request(body, secret),
        }
        status, raw = call(f"{self.host}/api/hr/events", "POST", body, headers)
        return status, json.loads(raw or b"{}")

    def status(self, tracking_id: str) -> dict[str, Any]:
        _, raw = call(
            f"{self.host}/api/onboarding/{tracking_id}",
            headers={"x-functions-key": LOCAL_STATUS_KEY},  # the service desk's key
        )
        return dict(json.loads(raw))

    def control(self, base: str, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        status, raw = call(
            f"{base}/_emulator/{path}", method, data, {"content-type": "application/json"}
        )
        if status >= 400:
            raise RuntimeError(f"emulator control {path} answered {status}: {raw[:200]!r}")
        return json.loads(raw) if raw else None

    def messages(self) -> list[dict[str, Any]]:
        return list(self.control(self.acs, "GET", "messages"))

    def wait(self, joiners: list[Joiner], done: Any, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        pending = [j for j in joiners if j.tracking_id]
        while pending and time.monotonic() < deadline:
            for joiner in list(pending):
                joiner.status = self.status(str(joiner.tracking_id))
                if done(joiner.status):
                    pending.remove(joiner)
            time.sleep(0.3)
        if pending:
            print(f"  (still waiting for {what}: {', '.join(j.label for j in pending)})")


def step(text: str) -> None:
    print(f"\n▸ {text}", flush=True)


def due_now(status: dict[str, Any]) -> bool:
    """Delivered and the hire day has come (the pass is valid): the fan-out reminds these.
    The status answer carries no pass window (it is for the HR system), so the hire date it is."""
    hire = status.get("hireDate")
    started = hire is None or date.fromisoformat(hire) <= datetime.now(UTC).date()
    return status.get("status") == "delivered" and started


def settled(status: dict[str, Any]) -> bool:
    return bool(status.get("final")) or status.get("status") == "waiting_for_hire_date"


def run_demo(demo: Demo) -> int:
    demo.control(demo.acs, "DELETE", "messages")
    step("HR sends signed joiner events (Standard Webhooks)")
    for joiner in JOINERS:
        code, answer = demo.post(demo.event(joiner))
        joiner.tracking_id = (answer.get("trackingIds") or [None])[0]
        joiner.answer = str(code)
        print(
            f"  {joiner.label:<26} {joiner.employee_id}  → HTTP {code}  tracking {joiner.tracking_id}"
        )
    first = JOINERS[0]
    duplicate_code, duplicate = demo.post(
        demo.event(
            first,
            event_id=first.status.get("eventId") or demo.status(str(first.tracking_id))["eventId"],
        )
    )
    same = duplicate.get("trackingIds", [None])[0] == first.tracking_id
    print(
        f"  duplicate delivery of {first.employee_id}'s event → HTTP {duplicate_code}, same tracking id: {same}"
    )
    forged_code, forged = demo.post(
        demo.event(first), secret="whsec_" + "Zm9yZ2VkLXNlY3JldC1mb3ItdGhlLWRlbW8="
    )
    print(
        f"  badly signed event → HTTP {forged_code} {forged.get('title', '')}: {forged.get('detail', '')}"
    )

    step("The late account is provisioned in Entra a few seconds after its HR event")
    time.sleep(3)
    demo.control(
        demo.graph,
        "POST",
        "users",
        {
            "userPrincipalName": "late.starter@contoso.example",
            "displayName": "Late Starter",
            "employeeId": "E1901",
            "employeeHireDate": "today",
            "manager": "maria.garcia@contoso.example",
        },
    )
    demo.wait(JOINERS, settled, "onboarding")

    step("Jamie signs in with the TAP from the manager's email and sets up phone sign-in")
    demo.control(
        demo.graph, "POST", "settings", {"reportLagSeconds": 3600}
    )  # the report lags, as in Entra
    register(demo, "jamie", "jamie.joiner@contoso.example", "microsoftAuthenticatorPasswordless")
    step("Lena registers Authenticator for push notifications only (no phone sign-in yet)")
    register(demo, "lena", "lena.neumann@contoso.example", "microsoftAuthenticatorPush")

    step("The daily report runs (admins get the digest; reminders fan out)")
    run_report(demo)
    demo.wait(
        [j for j in JOINERS if due_now(j.status)],
        lambda s: (
            s["reminders"]["sent"] + s["reminders"]["skipped"] > 0 or s["status"] == "enrolled"
        ),
        "reminders",
    )
    lena = next(j for j in JOINERS if j.employee_id == "E1102")
    show_stage(demo, lena)
    reminder = next(
        (m for m in demo.messages() if "lena.privat@example.org" in json.dumps(m.get("to"))), None
    )
    if reminder:
        print(f"  Lena's reminder: {reminder.get('subject')!r}")
    jamie = next(j for j in JOINERS if j.employee_id == "E1101")
    show_stage(demo, jamie)

    step("Lena turns on phone sign-in in Authenticator; the next daily report sees it")
    demo.control(demo.graph, "POST", "users/lena.neumann@contoso.example/enable-phone-sign-in", {})
    demo.control(demo.graph, "POST", "settings", {"reportLagSeconds": 0})
    run_report(demo)
    show_stage(demo, lena)
    setup_check(demo)
    result = summarize(demo)
    setup_plan(demo)
    return result


def register(demo: Demo, name: str, upn: str, method: str) -> None:
    """The joiner signs in with the TAP from the manager's email and registers `method`."""
    mail = next((m for m in demo.messages() if name in json.dumps(m).lower()), None)
    passcodes = _PASSCODE.findall((mail or {}).get("plainText", ""))
    if not passcodes:
        print(f"  no TAP email for {name} in the outbox")
        return
    body = {"method": method, "viaTap": True, "temporaryAccessPass": passcodes[0]}
    demo.control(demo.graph, "POST", f"users/{upn}/register", body)
    print(f"  {method} registered with the delivered TAP (the report shows it only later)")


def run_report(demo: Demo) -> None:
    code, raw = call(
        f"{demo.host}/api/reports/run", "POST", b"", {"x-functions-key": LOCAL_REPORTS_KEY}
    )
    run = json.loads(raw or b"{}")
    print(
        f"  HTTP {code}: {run.get('outcome')}, {run.get('users')} users, "
        f"{run.get('reminders_enqueued')} reminders enqueued"
    )


def show_stage(demo: Demo, joiner: Joiner) -> None:
    if joiner.tracking_id is None:
        return
    s = demo.status(joiner.tracking_id)
    joiner.status = s
    stages = s.get("stages") or {}
    retired = s.get("tapRetiredAt")
    print(
        f"  {joiner.label}: status {s.get('status')}, stage {s.get('stage')}"
        + (f", target {stages.get('targetMethod')}" if stages.get("targetMethod") else "")
        + (f", TAP retired at {retired[11:19]} UTC" if retired else ", TAP still live")
    )


def setup_check(demo: Demo) -> None:
    step(
        "An admin checks the tenant: tapstart doctor, with the tenant's dynamic and "
        "role-assignable groups also listed as passwordless groups"
    )
    env = {**os.environ, **demo.env, "PASSWORDLESS_GROUP_IDS": ",".join(DOCTOR_GROUPS)}
    command = ["-m", "shared.cli", "--settings", str(app_settings_file()), "doctor", "--json"]
    done = subprocess.run(
        [sys.executable, *command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print(f"  doctor did not answer in JSON (exit {done.returncode}): {done.stderr[-300:]}")
        return
    for check in report["checks"]:
        if check["status"] != "pass":
            print(f"  {check['status'].upper():<5} {check['check']}: {check['found']}")
    counts = report["counts"]
    print(
        f"  passed {counts['pass']}, warnings {counts['warn']}, failures {counts['fail']} "
        f"(exit {done.returncode}); with the demo's own groups only the seeded Conditional "
        "Access policy fails"
    )


def summarize(demo: Demo) -> int:
    messages = demo.messages()
    step("Outcomes")
    print(
        f"  {'joiner':<26} {'employee':<8} {'outcome':<22} {'reason':<18} {'reminders':<17} "
        f"{'hire date':<17} TAP email (in the outbox)"
    )
    for joiner in JOINERS:
        s = joiner.status or demo.status(str(joiner.tracking_id))
        reminders = s.get("reminders", {})
        note = f"sent {reminders.get('sent', 0)}, skipped {reminders.get('skipped', 0)}"
        operation = (s.get("delivery") or {}).get("operationId")
        tap_mail = next(
            (m for m in messages if operation and m.get("operationId") == operation), None
        )
        where = f".local/outbox/view/{messages.index(tap_mail) + 1:03d}.html" if tap_mail else "-"
        valid = s.get("hireDate") or "-"
        print(
            f"  {joiner.label:<26} {joiner.employee_id:<8} {s.get('status', '?'):<22} {s.get('reason') or '-'!s:<18} {note:<17} {valid:<17} {where}"
        )
    kinds: dict[str, int] = {}
    for m in messages:
        kinds[_kind(m)] = kinds.get(_kind(m), 0) + 1
    print(
        f"\n  outbox: {len(messages)} messages ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))})"
    )
    index = write_outbox_index(messages)
    print(f"  open {index.relative_to(REPO_ROOT)} in a browser (the .eml files are beside it)")
    delivered = sum(1 for j in JOINERS if j.status.get("status") in ("delivered", "enrolled"))
    return 0 if delivered >= 3 else 1


def _kind(message: dict[str, Any]) -> str:
    if _PASSCODE.search(str(message.get("plainText", ""))):
        return "TAP delivery"
    if message.get("attachments"):
        return "report"
    return "reminder or notice"


def write_outbox_index(messages: list[dict[str, Any]]) -> Path:
    """A static page listing what was sent, each message's HTML beside it (no server needed)."""
    view = REPO_ROOT / ".local" / "outbox" / "view"
    view.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, message in enumerate(messages, 1):
        page = view / f"{n:03d}.html"
        page.write_text(
            str(message.get("html") or html.escape(str(message.get("plainText", "")))),
            encoding="utf-8",
        )
        to = ", ".join(r.get("address", "") for r in message.get("to", []) if isinstance(r, dict))
        rows.append(
            f"<tr><td>{n}</td><td>{html.escape(to)}</td>"
            f'<td><a href="view/{page.name}">{html.escape(str(message.get("subject", "")))}</a></td></tr>'
        )
    index = view.parent / "index.html"
    index.write_text(
        "<!doctype html><meta charset=utf-8><title>Tapstart demo outbox</title>"
        "<h1>Tapstart demo outbox</h1><table border=1 cellpadding=4><tr><th>#</th><th>To</th><th>Subject</th></tr>"
        + "".join(rows)
        + "</table>",
        encoding="utf-8",
    )
    return index


def setup_plan(demo: Demo) -> None:
    """Tenant setup as code: what `examples/tenant-setup.toml` would change in the demo tenant
    (a plan only reads; applying needs the opt-in Policy.ReadWrite.AuthenticationMethod)."""
    step("Setup as code: tapstart setup plan examples/tenant-setup.toml (reads only)")
    command = [
        "-m", "shared.cli", "--quiet", "--settings", str(app_settings_file()),
        "setup", "plan", "examples/tenant-setup.toml",
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, *command],
        cwd=REPO_ROOT,
        env={**os.environ, **demo.env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for line in (done.stdout or done.stderr).splitlines():
        print(f"  {line}")
    print(f"  (exit {done.returncode}: 1 means the tenant differs from the file)")


def main() -> int:
    started = time.monotonic()
    stack = Stack()
    print(
        "Starting Azurite, the Graph and ACS emulators and the local Functions host ...", flush=True
    )
    host_log = stack.state_dir / "logs" / "host.log"
    host_log.unlink(missing_ok=True)  # this run's log only
    try:
        env = stack.up(extra_env=DEMO_ENV, host_log=host_log)
        for line in stack.summary:
            print(f"  {line}")
        result = run_demo(Demo(stack, env))
    finally:
        stack.down()
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s; host log: .local/logs/host.log")
    return result


if __name__ == "__main__":
    sys.exit(main())
