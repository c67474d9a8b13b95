"""ACS Email, storage and the webhook secret, against the ACS emulator and Azurite."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable

import pytest

from local.procs import free_port
from shared.config import Settings
from shared.doctor import CheckStatus, DoctorReport
from shared.domain.errors import ConfigurationError
from shared.services import build_services
from tests.fixtures.acs import AcsEmulator
from tests.functional.doctor.conftest import by_name, doctor_report

PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL


def test_acs_wrong_key_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    wrong = base64.b64encode(b"not-the-emulator-key").decode()
    check = by_name(doctor_report(monkeypatch, ACS_ACCESS_KEY=wrong))["acs.reachable"]
    assert check.status is FAIL
    assert "refuses the credential (401" in check.found
    assert "ACS_ACCESS_KEY" in check.fix


def test_acs_unreachable_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    dead = f"http://127.0.0.1:{free_port()}"
    check = by_name(doctor_report(monkeypatch, ACS_ENDPOINT=dead))["acs.reachable"]
    assert check.status is FAIL
    assert check.found.startswith(f"{dead}: not reachable")


def test_custom_sender_domain_is_not_probed_by_default(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    acs: AcsEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    checks = by_name(doctor_report(monkeypatch))
    assert checks["acs.reachable"].status is PASS
    assert checks["acs.sender_domain"].status is PASS
    assert "not probed" in checks["acs.sender_domain"].found
    assert acs.control.messages() == []  # nothing was sent


def test_storage_unreachable_fails(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    port = free_port()
    dead = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
        + base64.b64encode(b"k" * 64).decode()
        + f";BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        f"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    check = by_name(doctor_report(monkeypatch, AzureWebJobsStorage=dead))["storage.reachable"]
    assert check.status is FAIL
    assert "not reachable" in check.found
    assert "AzureWebJobsStorage" in check.fix


def test_storage_reachable_names_each_resource(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    check = by_name(doctor_report(monkeypatch))["storage.reachable"]
    assert check.status is PASS
    assert check.found == (
        f"queue {app_env['ONBOARDING_QUEUE']}, table {app_env['LEDGER_TABLE']}, "
        f"container {app_env['REPORT_CONTAINER']} reachable"
    )


def test_a_short_webhook_secret_stops_the_doctor_before_any_check(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    short = "whsec_" + base64.b64encode(b"0123456789").decode()
    with pytest.raises(ConfigurationError, match="secret #1 is 10 bytes"):
        doctor_report(monkeypatch, HR_WEBHOOK_SECRETS=short)


def test_probe_email_proves_a_linked_sender_domain(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    acs: AcsEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    report = asyncio.run(_doctor_with_probe())
    check = by_name(report)["acs.sender_domain"]
    assert check.status is PASS
    assert check.found == f"a test email from {acs.sender} was accepted"
    [sent] = acs.control.messages()
    assert [r["address"] for r in sent["to"]] == ["identity-admins@contoso.example"]


def test_probe_email_from_an_unlinked_domain_fails(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    acs: AcsEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    monkeypatch.setenv("MAIL_SENDER", "DoNotReply@fabrikam.example")
    check = by_name(asyncio.run(_doctor_with_probe()))["acs.sender_domain"]
    assert check.status is FAIL
    assert "DomainNotLinked" in check.found
    assert "verify fabrikam.example" in check.fix
    assert acs.control.messages() == []


async def _doctor_with_probe() -> DoctorReport:
    services = build_services(Settings.from_env())
    try:
        return await services.tenant_doctor(probe_email=True)
    finally:
        await services.aclose()
