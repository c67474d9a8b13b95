"""GET /api/doctor: the blueprint's binding, and the same results as the CLI, as JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest

from functions.app_services import app_settings, services
from functions.doctor import doctor
from tests.functional.doctor.conftest import DYNAMIC_GROUP, PASSWORDLESS_GROUP


@pytest.fixture
def fresh_container() -> Iterator[None]:
    """The trigger reads the settings once per process; read them from this test's env."""
    app_settings.cache_clear()
    yield
    app_settings.cache_clear()


def call_doctor() -> tuple[int, dict[str, Any]]:
    handler = doctor.build().get_user_function()

    async def run() -> func.HttpResponse:
        try:
            response: func.HttpResponse = await handler(
                func.HttpRequest("GET", "http://localhost/api/doctor", body=b"")
            )
            return response
        finally:
            await services().aclose()

    response = asyncio.run(run())
    return response.status_code, json.loads(response.get_body())


def test_binding_is_a_function_level_get() -> None:
    """The doctor has a function key of its own (no caller needs the master key)."""
    function = doctor.build()
    trigger = function.get_trigger()
    assert (trigger.route, trigger.methods) == ("doctor", [func.HttpMethod.GET])
    assert trigger.auth_level is func.AuthLevel.FUNCTION


def test_answers_the_checks_with_problems_first(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    fresh_container: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    monkeypatch.setenv("PASSWORDLESS_GROUP_IDS", f"{PASSWORDLESS_GROUP},{DYNAMIC_GROUP}")
    status, body = call_doctor()
    assert status == 200
    assert body["status"] == "fail"
    assert body["counts"]["fail"] == 2  # the dynamic group, and its Authenticator targeting
    assert [p["status"] for p in body["problems"]] == ["fail", "fail"]
    assert {p["check"] for p in body["problems"]} == {
        "group[Engineering (dynamic)]",
        "authenticator.target[Engineering (dynamic)]",
    }
    # 26 for the first group (default targets: phone_sign_in and passkey), 5 more per group:
    # group, authenticator.target, fido2.target, fido2.key_restrictions, fido2.attestation.
    assert len(body["checks"]) == 31
    assert sum(c["check"].endswith("[Engineering (dynamic)]") for c in body["checks"]) == 5
