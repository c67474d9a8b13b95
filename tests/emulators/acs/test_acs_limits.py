"""Rate limits on send and status, and injected faults, as the SDK experiences them."""

from __future__ import annotations

from typing import Any, cast

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from local.acs_email_emulator import UNLIMITED, Fault
from tests.fixtures.acs import AcsEmulator, sdk_retry_sockets_forgiven


def body(acs: AcsEmulator) -> dict[str, Any]:
    return {
        "senderAddress": acs.sender,
        "recipients": {"to": [{"address": "someone@contoso.example"}]},
        "content": {"subject": "Hello", "plainText": "Hi"},
    }


def throttled_send(acs: AcsEmulator) -> HttpResponseError:
    # retry_total=0: see the 429 itself instead of the SDK's retry of it.
    with pytest.raises(HttpResponseError) as caught:
        acs.email_client(retry_total=0).begin_send(body(acs), polling=False)
    return caught.value


def test_defaults_are_the_custom_domain_limits(acs: AcsEmulator) -> None:
    limits = acs.control.limits()
    assert limits["profile"] == "custom"
    assert (limits["perMinute"], limits["perHour"]) == (30, 100)
    assert (limits["statusPerMinute"], limits["statusPerHour"]) == (60, 200)


def test_managed_profile_allows_five_per_minute(acs: AcsEmulator) -> None:
    limits = acs.control.set_limits(profile="managed")
    assert (limits["perMinute"], limits["perHour"]) == (5, 10)
    assert (limits["statusPerMinute"], limits["statusPerHour"]) == (10, 20)
    client = acs.email_client()
    for _ in range(5):
        client.begin_send(body(acs), polling=False)
    error = throttled_send(acs)
    assert error.status_code == 429
    assert len(acs.control.messages()) == 5


def test_per_minute_limit_answers_429_until_the_window_slides(acs: AcsEmulator) -> None:
    acs.control.set_limits(per_minute=2)
    client = acs.email_client()
    client.begin_send(body(acs), polling=False)
    acs.control.advance_clock(20)
    client.begin_send(body(acs), polling=False)

    error = throttled_send(acs)
    assert error.status_code == 429
    assert error.error is not None
    assert error.error.code == "TooManyRequests"
    assert error.response is not None
    # The oldest admitted send leaves the 60 s window 40 s from now.
    assert cast(Any, error.response).headers["retry-after"] == "40"

    acs.control.advance_clock(40)
    client.begin_send(body(acs), polling=False)
    assert len(acs.control.messages()) == 3
    assert acs.control.requests()["send"] == {"202": 3, "429": 1}


def test_per_hour_limit(acs: AcsEmulator) -> None:
    acs.control.set_limits(per_minute=UNLIMITED, per_hour=3)
    client = acs.email_client()
    for _ in range(3):
        client.begin_send(body(acs), polling=False)
    error = throttled_send(acs)
    assert error.response is not None
    assert int(cast(Any, error.response).headers["retry-after"]) == 3600
    acs.control.advance_clock(3600)
    client.begin_send(body(acs), polling=False)
    assert len(acs.control.messages()) == 4


def test_refused_sends_count_toward_the_quota(acs: AcsEmulator) -> None:
    # ACS: "all requests accrue against your usage limits"; the old emulator counted only 202s.
    acs.control.set_limits(per_minute=2)
    refused = [
        body(acs) | {"senderAddress": "x@fabrikam.example"},  # 404 DomainNotLinked
        body(acs) | {"recipients": {"to": [{"address": "a..b@contoso.example"}]}},  # 400
    ]
    for bad in refused:
        with pytest.raises(HttpResponseError):
            acs.email_client(retry_total=0).begin_send(bad, polling=False)

    error = throttled_send(acs)

    assert error.status_code == 429
    assert acs.control.messages() == []
    assert acs.control.requests()["send"] == {"404": 1, "400": 1, "429": 1}


def test_a_faulted_send_counts_toward_the_quota(acs: AcsEmulator) -> None:
    acs.control.set_limits(per_minute=1)
    acs.control.set_faults(Fault(status=500, count=1))
    with pytest.raises(HttpResponseError):
        acs.email_client(retry_total=0).begin_send(body(acs), polling=False)
    assert throttled_send(acs).status_code == 429


def test_a_429_answer_does_not_extend_the_window(acs: AcsEmulator) -> None:
    acs.control.set_limits(per_minute=1)
    acs.email_client().begin_send(body(acs), polling=False)
    for _ in range(3):
        assert throttled_send(acs).status_code == 429
    acs.control.advance_clock(60)  # the retry-after of the first 429
    acs.email_client().begin_send(body(acs), polling=False)
    assert len(acs.control.messages()) == 2


def test_refused_status_polls_count_toward_the_status_quota(acs: AcsEmulator) -> None:
    acs.control.set_limits(status_per_minute=1)
    client = acs.email_client(retry_total=0)
    unknown = HttpRequest("GET", "/emails/operations/nope?api-version=2025-09-01")
    assert client.send_request(unknown).status_code == 404
    assert client.send_request(unknown).status_code == 429


def test_an_accepting_fault_sends_the_message_and_loses_the_answer(acs: AcsEmulator) -> None:
    acs.control.set_faults(Fault(status=503, count=1, accept=True, retry_after=7))
    acs.control.set_limits(processing_seconds=0)
    client = acs.email_client(retry_total=0)

    with pytest.raises(HttpResponseError) as caught:
        client.begin_send(body(acs), operation_id="op-lost", polling=False)

    assert caught.value.status_code == 503
    assert caught.value.response is not None
    assert cast(Any, caught.value.response).headers["retry-after"] == "7"
    [record] = acs.control.messages()
    assert record["operationId"] == "op-lost"
    status = client.send_request(
        HttpRequest("GET", "/emails/operations/op-lost?api-version=2025-09-01")
    )
    assert status.json() == {"id": "op-lost", "status": "Succeeded"}


def test_status_endpoint_has_its_own_quota(acs: AcsEmulator) -> None:
    acs.control.set_limits(status_per_minute=1)
    client = acs.email_client(retry_total=0)
    client.begin_send(body(acs), operation_id="op-q", polling=False)
    status = HttpRequest("GET", "/emails/operations/op-q?api-version=2025-09-01")

    assert client.send_request(status).status_code == 200
    throttled = client.send_request(status)
    assert throttled.status_code == 429
    assert throttled.headers["x-ms-error-code"] == "TooManyRequests"
    assert throttled.headers["retry-after"] == "60"
    # Sends are counted separately.
    client.begin_send(body(acs), polling=False)


def test_sdk_honours_429_retry_after_and_then_succeeds(acs: AcsEmulator) -> None:
    acs.control.set_faults(Fault(status=429, count=1, retry_after=1))
    acs.control.set_limits(processing_seconds=0)

    with sdk_retry_sockets_forgiven():
        result = acs.email_client().begin_send(body(acs), operation_id="op-retry").result()

    assert result == {"id": "op-retry", "status": "Succeeded"}
    assert acs.control.requests()["send"] == {"429": 1, "202": 1}
    assert len(acs.control.messages()) == 1


def test_sdk_retries_a_503_on_send(acs: AcsEmulator) -> None:
    acs.control.set_faults(Fault(status=503, count=1))
    with sdk_retry_sockets_forgiven():
        acs.email_client().begin_send(body(acs), polling=False)
    assert acs.control.requests()["send"] == {"503": 1, "202": 1}


def test_persistent_500_surfaces_after_the_sdk_gives_up(acs: AcsEmulator) -> None:
    acs.control.set_faults(Fault(status=500, count=10))
    with pytest.raises(HttpResponseError) as caught:
        acs.email_client(retry_total=1, retry_backoff_factor=0).begin_send(body(acs), polling=False)
    assert caught.value.status_code == 500
    assert acs.control.requests()["send"] == {"500": 2}
    assert acs.control.messages() == []


def test_status_429_during_polling_is_retried_by_the_poller(acs: AcsEmulator) -> None:
    acs.control.set_faults(Fault(status=429, count=1, endpoint="status", retry_after=1))
    acs.control.set_limits(processing_seconds=0)
    with sdk_retry_sockets_forgiven():
        result = acs.email_client().begin_send(body(acs)).result()
    assert result["status"] == "Succeeded"
    assert acs.control.requests()["status"] == {"429": 1, "200": 1}


def test_reset_restores_limits_and_clears_faults(acs: AcsEmulator) -> None:
    acs.control.set_limits(profile="managed", per_minute=1)
    acs.control.set_faults(Fault(status=500, count=5))
    acs.control.reset()
    assert acs.control.limits()["perMinute"] == 30
    acs.email_client().begin_send(body(acs), polling=False)
    assert acs.control.requests() == {"send": {"202": 1}}
