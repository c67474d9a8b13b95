"""The doctor and the CLI against the Graph emulator, the ACS emulator and Azurite.

`tenant(...)` resets the emulated tenant to the test seed with changes (a policy, a group, the
app's permissions), so each test trips one check; `app_env` holds the app settings, set in the
process environment as the functions and the CLI read them.

The default TARGET_METHODS (phone_sign_in,passkey) need a Passkey (FIDO2) configuration and
Device.Read.All. `tenant(...)` applies `BASELINE` first, through the emulator's control API (a
reset with an amended copy of the seed, never an edit of the file): a FIDO2 policy that lets
every user register any passkey, and Device.Read.All for the app — so these tests do not depend
on what the shared test seed (local/seeds/test_tenant.json) happens to configure.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from shared.config import Settings
from shared.doctor import DoctorReport
from shared.services import build_services
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph

PASSWORDLESS_GROUP = "20000000-0000-4000-8000-000000000001"
DYNAMIC_GROUP = "20000000-0000-4000-8000-000000000002"
ROLE_GROUP = "20000000-0000-4000-8000-000000000003"
EXCLUDED_GROUP = "20000000-0000-4000-8000-000000000004"
STRONG_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
AUTHENTICATOR_IOS = "90a3ccdf-635c-4729-a248-9b709135078f"
AUTHENTICATOR_ANDROID = "de1e552d-db1d-4423-a619-566b625cdc84"
PERMISSIVE_FIDO2: dict[str, Any] = {
    "state": "enabled",
    "isSelfServiceRegistrationAllowed": True,
    "isAttestationEnforced": False,
    "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
    "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": False}],
    "excludeTargets": [],
}


@pytest.fixture
def app_env(
    graph: EmulatedGraph, azurite: Azurite, acs: AcsEmulator, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    env = {
        "AzureWebJobsStorage": azurite.connection_string,
        "GRAPH_BASE_URL": graph.base_url,
        "GRAPH_AUTHORITY_HOST": graph.authority,
        "GRAPH_CA_BUNDLE": graph.ca_file,
        "GRAPH_TENANT_ID": graph.tenant_id,
        "GRAPH_CLIENT_ID": graph.client_id,
        "GRAPH_CLIENT_SECRET": graph.client_secret,
        "ACS_ENDPOINT": acs.endpoint,
        "ACS_ACCESS_KEY": acs.access_key,
        "MAIL_SENDER": acs.sender,
        "ADMIN_EMAILS": "identity-admins@contoso.example",
        "HR_WEBHOOK_SECRETS": STRONG_SECRET,
        "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
        "PASSWORDLESS_GROUP_IDS": PASSWORDLESS_GROUP,
        "TAP_LIFETIME_MINUTES": "240",
        "ONBOARDING_QUEUE": f"onboarding{suffix}",
        "REMINDER_QUEUE": f"reminders{suffix}",
        "LEDGER_TABLE": f"Ledger{suffix}",
        "REPORT_CONTAINER": f"reports{suffix}",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


Change = Callable[[dict[str, Any]], None]


def _baseline(seed: dict[str, Any]) -> None:
    """What the default targets need and the seed lacks (see the module docstring)."""
    seed.setdefault("policies", {}).setdefault("Fido2", {}).update(copy.deepcopy(PERMISSIVE_FIDO2))
    roles = seed["apps"][0].setdefault("roles", [])
    if "Device.Read.All" not in roles:
        roles.append("Device.Read.All")


@pytest.fixture
def tenant(graph: EmulatedGraph) -> Callable[..., None]:
    """`tenant(change, ...)`: reset the emulator to the test seed after applying the baseline and
    then the changes."""

    def apply(*changes: Change) -> None:
        seed = copy.deepcopy(graph.seed)
        for change in (_baseline, *changes):
            change(seed)
        graph.control.reset(seed)

    return apply


def set_policy(policy_id: str, **fields: Any) -> Change:
    def change(seed: dict[str, Any]) -> None:
        seed.setdefault("policies", {}).setdefault(policy_id, {}).update(fields)

    return change


def set_app_roles(roles: list[str]) -> Change:
    def change(seed: dict[str, Any]) -> None:
        seed["apps"][0]["roles"] = roles

    return change


def doctor_report(monkeypatch: pytest.MonkeyPatch, **settings: str) -> DoctorReport:
    """Run the doctor as the app would, with settings changed from `app_env`."""
    for key, value in settings.items():
        monkeypatch.setenv(key, value)

    async def run() -> DoctorReport:
        services = build_services(Settings.from_env())
        try:
            return await services.tenant_doctor()
        finally:
            await services.aclose()

    return asyncio.run(run())


def by_name(report: DoctorReport) -> dict[str, Any]:
    return {r.name: r for r in report.results}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`tapstart --quiet ARGV` in-process: exit code, stdout, stderr."""
    from shared.cli import main

    code = main(["--quiet", *argv])
    out, err = capsys.readouterr()
    return code, out, err
