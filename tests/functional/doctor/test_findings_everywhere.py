"""A tenant finding of issue 18 reaches every place the doctor speaks: the CLI (test_tenant_settings),
`GET /api/doctor` (as a problem, failures first) and the daily digest emailed to the admins."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from functions.app_services import app_settings
from shared.config import Settings
from shared.services import build_services
from tests.fixtures.acs import AcsEmulator
from tests.functional.doctor.test_http_doctor import call_doctor
from tests.functional.doctor.test_tenant_settings import BLOCK_OFFSITE, _access, _ca_read

CHECK = "ca.register_security_info[Block security info off-site]"


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The trigger reads the settings once per process; read them from this test's env."""
    app_settings.cache_clear()
    yield
    app_settings.cache_clear()


def test_the_conditional_access_finding_is_a_problem_over_http(
    app_env: dict[str, str], tenant: Callable[..., None], fresh_settings: None
) -> None:
    tenant(_ca_read, _access(BLOCK_OFFSITE))
    status, body = call_doctor()
    assert (status, body["status"]) == (200, "fail")
    [problem] = [p for p in body["problems"] if p["check"] == CHECK]
    assert problem["status"] == "fail" and "from outside Head office" in problem["found"]
    assert problem["fix"].startswith("Entra ID → Conditional Access → Policies")


def test_the_conditional_access_finding_heads_the_daily_digest(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    acs: AcsEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant(_ca_read, _access(BLOCK_OFFSITE))

    async def run() -> None:
        services = build_services(Settings.from_env())
        try:
            await services.daily_run()
        finally:
            await services.aclose()

    asyncio.run(run())
    [digest] = [m for m in acs.control.messages() if "identity-admins" in str(m.get("to"))]
    text = str(digest.get("plainText"))
    assert CHECK in text
    assert "'Block security info off-site' blocks it when Passwordless Users register" in text
    assert "Require multifactor authentication" in text
