"""The whole local stack for end-to-end tests: local host + Azurite + Graph and ACS emulators.

Settings come from local.settings.example.json with the endpoints of this session's services,
so the app is configured exactly as `make up` configures it, apart from faster retry timings.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from local.stack import LOCAL_REPORTS_KEY, AcsEndpoint, GraphEndpoint, stack_environment
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite, storage_name
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher, HttpResult, RunningHost

REPO = Path(__file__).resolve().parents[2]
PASSWORDLESS_GROUP = "20000000-0000-4000-8000-000000000001"
SECRET = "whsec_" + "dGFwc3RhcnQtZTJlLXRlc3Qtc2VjcmV0LTAwMDAwMDAw"
FAST_QUEUES = {
    "visibilityTimeout": "00:00:01",
    "maxPollingInterval": "00:00:00.200",
    "maxDequeueCount": 5,
}


def app_settings(
    azurite: Azurite, graph: EmulatedGraph, acs: AcsEmulator, **overrides: str
) -> dict[str, str]:
    values: dict[str, str] = json.loads((REPO / "local.settings.example.json").read_text())[
        "Values"
    ]

    def port(url: str) -> int:
        found = urlsplit(url).port
        assert found is not None, f"{url} names no port"
        return found

    # The wiring to the local services is local.stack's, the same `make up` gives the app.
    graph_endpoint = GraphEndpoint(
        port=port(graph.base_url),
        tls_port=port(graph.authority),
        ca_file=Path(graph.ca_file),
        tenant_id=graph.tenant_id,
        client_id=graph.client_id,
        client_secret=graph.client_secret,
    )
    acs_endpoint = AcsEndpoint(port=port(acs.endpoint), access_key=acs.access_key)
    values.update(stack_environment(azurite.connection_string, graph_endpoint, acs_endpoint))
    values.update(
        {
            "MAIL_SENDER": acs.sender,
            "HR_WEBHOOK_SECRETS": SECRET,
            "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
            "PASSWORDLESS_GROUP_IDS": PASSWORDLESS_GROUP,
            "ONBOARDING_QUEUE": storage_name("onb"),
            "REMINDER_QUEUE": storage_name("rem"),
            "LEDGER_TABLE": "ledger" + uuid.uuid4().hex[:10],
            "REPORT_CONTAINER": storage_name("rep"),
            "CAMPAIGN_QUEUE": storage_name("cmp"),
            "CAMPAIGN_TABLE": "campaign" + uuid.uuid4().hex[:10],
            "ACCOUNT_RETRY_BASE_SECONDS": "1",
            "QUIET_HOURS": "0-0",
            "TAP_START_HOUR": "0",  # "today" joiners get a TAP usable at once, whatever the hour
        }
    )
    values.update(overrides)
    for host_key in ("TAPSTART_FUNCTION_KEYS", "TAPSTART_MASTER_KEY"):
        values.pop(host_key, None)  # the launcher gives each host its own keys
    return values


def host_json(**queues: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO / "host.json").read_text())
    document["extensions"]["queues"].update(FAST_QUEUES | queues)
    return document


def canonical_event(employee_id: str, hire_date: str, **fields: Any) -> dict[str, Any]:
    return {
        "eventId": f"evt-{uuid.uuid4().hex}",
        "occurredAt": datetime.now(UTC).isoformat(),
        "employeeId": employee_id,
        "givenName": "Test",
        "surname": "Joiner",
        "hireDate": hire_date,
        "timeZone": "UTC",
        **fields,
    }


def signed_headers(
    body: bytes, secret: str = SECRET, msg_id: str | None = None, at: datetime | None = None
) -> dict[str, str]:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


@dataclass
class Tapstart:
    host: RunningHost
    graph: EmulatedGraph
    acs: AcsEmulator
    settings: dict[str, str]

    def post_event(
        self,
        payload: Mapping[str, Any] | bytes,
        content_type: str = "application/json",
        **sign: Any,
    ) -> HttpResult:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"content-type": content_type, **signed_headers(body, **sign)}
        return self.host.request(
            "POST", "/api/hr/events", body=body, key=self.host.function_key, headers=headers
        )

    def status(self, tracking_id: str) -> dict[str, Any]:
        result = self.host.request(
            "GET", f"/api/onboarding/{tracking_id}", key=self.host.function_key
        )
        assert result.status == 200, result.text
        return dict(result.json())

    def wait_final(
        self,
        tracking_id: str,
        timeout: float = 60.0,
        accept: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(tracking_id)
            if (accept or (lambda s: bool(s["final"])))(status):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"joiner {tracking_id} not final after {timeout:.0f} s: {status}\n{self.host.logs()[-4000:]}"
                )
            time.sleep(0.25)

    def messages_to(self, address: str) -> list[dict[str, Any]]:
        return [m for m in self.acs.control.messages() if address in json.dumps(m.get("to", []))]


def launch(
    launcher: HostLauncher,
    azurite: Azurite,
    graph: EmulatedGraph,
    acs: AcsEmulator,
    **overrides: str,
) -> Tapstart:
    settings = app_settings(azurite, graph, acs, **overrides)
    host = launcher.start(env=settings, host_json=host_json())
    return Tapstart(host, graph, acs, settings)


def onboard(stack: Tapstart, employee_id: str, hire_date: str | None = None, **fields: Any) -> str:
    """Send a joiner event and wait until the TAP was delivered; returns the tracking id."""
    day = hire_date or datetime.now(UTC).date().isoformat()
    result = stack.post_event(canonical_event(employee_id, day, **fields))
    assert result.status == 202, result.text
    tracking_id = str(result.json()["trackingIds"][0])
    assert stack.wait_final(tracking_id)["status"] == "delivered"
    return tracking_id


def run_report(stack: Tapstart) -> dict[str, Any]:
    result = stack.host.request("POST", "/api/reports/run", key=LOCAL_REPORTS_KEY)
    assert result.status == 200, result.text
    return dict(result.json())


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.25)
    return value
