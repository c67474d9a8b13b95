"""The trigger glue: signed requests in, 202 or problem+json out, with the port fakes."""

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import azure.functions as func
import pytest

from functions.hr_events import handle_hr_events, hr_events, hr_events_handshake
from shared.config import Settings
from shared.domain.errors import TransientError
from tests.fakes import FakeClock, FakeQueue, Fakes, tracking_id_of

from .helpers import NOW, OLD_SECRET, SECRET, body, bulk, canonical, scim_user, settings, signed


class FailingQueue(FakeQueue):
    async def enqueue(self, queue: str, payload: Mapping[str, Any], delay_seconds: int = 0) -> None:
        raise TransientError("queue unavailable", retry_after=7)


class App(Fakes):
    """The fakes and the settings of one test's app; `post` goes through the real use case."""

    settings: Settings


def container(queue: FakeQueue | None = None, **overrides: str) -> App:
    app = App(clock=FakeClock(NOW), queue=queue or FakeQueue())
    app.settings = settings(**overrides)
    return app


def post(app: App, payload: bytes, headers: dict[str, str]) -> func.HttpResponse:
    intake = app.services(app.settings).accept_hr_request
    return asyncio.run(handle_hr_events(payload, headers, intake))


def problem(response: func.HttpResponse) -> dict[str, Any]:
    assert response.mimetype == "application/problem+json"
    document: dict[str, Any] = json.loads(response.get_body())
    assert document["status"] == response.status_code
    assert document["type"].startswith("urn:tapstart:problem:")
    return document


def test_a_signed_canonical_event_is_accepted() -> None:
    services = container()
    payload = body(canonical())
    response = post(services, payload, signed(payload))
    assert response.status_code == 202
    answer = json.loads(response.get_body())
    tracking_id = tracking_id_of("hr-2026-000123")
    assert answer == {
        "trackingIds": [tracking_id],
        "status": ["accepted"],
        "statusUrls": [f"/api/onboarding/{tracking_id}"],
    }
    assert response.headers["Location"] == f"/api/onboarding/{tracking_id}"
    assert services.queue.on("onboarding") == [{"v": 1, "trackingId": tracking_id}]


def test_the_same_event_in_three_deliveries_is_one_record_and_one_enqueue() -> None:
    services = container()
    payload = body(canonical())
    answers = [post(services, payload, signed(payload, webhook_id=f"msg_{i}")) for i in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert len({a.get_body() for a in answers}) == 1
    assert len(services.queue.messages) == 1


def test_a_replayed_request_gets_the_first_answer_and_changes_nothing() -> None:
    services = container()
    payload = body(canonical())
    headers = signed(payload, webhook_id="msg_once")
    first = post(services, payload, headers)
    assert first.status_code == 202
    replay = post(services, payload, headers)
    assert (replay.status_code, replay.get_body()) == (202, first.get_body())
    assert replay.headers["Location"] == first.headers["Location"]
    assert len(services.queue.messages) == 1


def test_a_bad_signature_is_401_and_nothing_is_recorded() -> None:
    services = container()
    payload = body(canonical())
    headers = signed(payload, secret=OLD_SECRET)
    response = post(services, payload, headers)
    assert response.status_code == 401
    assert problem(response)["errors"][0]["field"] == "webhook-signature"
    assert services.ledger.records == {}
    assert services.queue.messages == []


def test_an_unsigned_request_is_401() -> None:
    response = post(container(), body(canonical()), {"Content-Type": "application/json"})
    assert response.status_code == 401


def test_rotated_secrets_both_verify() -> None:
    services = container(HR_WEBHOOK_SECRETS=f"{SECRET},{OLD_SECRET}")
    payload = body(canonical())
    assert post(services, payload, signed(payload, secret=OLD_SECRET)).status_code == 202


def test_a_schema_violation_is_400_naming_the_field_not_the_value() -> None:
    services = container()
    payload = body(canonical(personalEmail="hunter2-is-my-password"))
    response = post(services, payload, signed(payload))
    assert response.status_code == 400
    document = problem(response)
    assert document["errors"][0]["field"] == "/personalEmail"
    assert b"hunter2" not in response.get_body()
    assert services.ledger.records == {}


def test_oversized_is_413_even_before_the_signature() -> None:
    services = container(MAX_EVENT_BYTES="2048")
    response = post(services, b" " * 2049, {"Content-Type": "application/json"})
    assert response.status_code == 413


def test_unsupported_content_type_is_415() -> None:
    payload = b"<joiner/>"
    response = post(container(), payload, signed(payload, content_type="application/xml"))
    assert response.status_code == 415
    assert problem(response)["errors"][0]["field"] == "content-type"


def test_scim_reports_skipped_users_and_accepts_the_active_ones() -> None:
    services = container()
    payload = body(bulk(scim_user("1"), scim_user("2", active=False), scim_user("3")))
    response = post(services, payload, signed(payload, content_type="application/scim+json"))
    assert response.status_code == 202
    answer = json.loads(response.get_body())
    assert len(answer["trackingIds"]) == 2
    assert answer["skipped"] == [{"bulkId": "b1", "reason": "inactive"}]
    assert "Location" not in response.headers


def test_a_transient_failure_is_503_and_the_retry_is_not_a_replay() -> None:
    payload = body(canonical())
    headers = signed(payload, webhook_id="msg_retry")
    failing = container(queue=FailingQueue())
    response = post(failing, payload, headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "180"  # the enqueue grace period, not sooner
    # the retry of the same message (same webhook-id) reaches a healthy queue and succeeds
    healed = container()
    healed.settings, healed.ledger, healed.clock = failing.settings, failing.ledger, failing.clock
    healed.clock.advance(minutes=3)
    retry = post(healed, payload, signed(payload, webhook_id="msg_retry", at=NOW))
    assert retry.status_code == 202
    assert len(healed.queue.messages) == 1


@pytest.mark.parametrize("name", ["WebHook-Request-Origin", "webhook-request-origin"])
def test_the_options_handshake_allows_the_origin(name: str) -> None:
    request = func.HttpRequest(
        "OPTIONS", "/api/hr/events", headers={name: "eventgrid.azure.net"}, body=b""
    )
    response = hr_events_handshake(request)
    assert response.status_code == 200
    assert response.headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"
    assert response.headers["WebHook-Allowed-Rate"] == "*"


def test_the_options_handshake_without_origin_is_400() -> None:
    response = hr_events_handshake(func.HttpRequest("OPTIONS", "/api/hr/events", body=b""))
    assert response.status_code == 400
    assert problem(response)["errors"][0]["field"] == "WebHook-Request-Origin"


def test_the_bindings_are_post_and_options_on_hr_events_with_a_function_key() -> None:
    bindings = {
        name: json.loads(fn.build().get_function_json())["bindings"][0]
        for name, fn in (("post", hr_events), ("options", hr_events_handshake))
    }
    assert bindings["post"]["route"] == bindings["options"]["route"] == "hr/events"
    assert bindings["post"]["methods"] == ["POST"]
    assert bindings["options"]["methods"] == ["OPTIONS"]
    assert {b["authLevel"] for b in bindings.values()} == {"FUNCTION"}


def test_scim_deactivation_withdraws_an_onboarding_and_skips_everyone_else() -> None:
    services = container()
    hired = body(bulk(scim_user("1")))
    assert (
        post(services, hired, signed(hired, content_type="application/scim+json")).status_code
        == 202
    )
    [tracking_id] = list(services.ledger.records)

    leavers = bulk(scim_user("1", active=False), scim_user("2", active=False))
    leavers["Operations"].append({"method": "DELETE", "path": "/Users/3", "bulkId": "d3"})
    payload = body(leavers)
    response = post(services, payload, signed(payload, content_type="application/scim+json"))

    assert response.status_code == 202
    answer = json.loads(response.get_body())
    assert answer["trackingIds"] == [tracking_id] and answer["status"] == ["cancelling"]
    assert answer["skipped"] == [
        {"bulkId": "b1", "reason": "inactive"},
        {"bulkId": "d3", "reason": "not_onboarding"},
    ]
    # Leavers Tapstart never knew leave no records; the withdrawal itself is recorded.
    kinds = sorted((r.employee_id, r.kind) for r in services.ledger.records.values())
    assert kinds == [("1", "cancel"), ("1", "hire")]
    assert services.ledger.records[tracking_id].status.value == "cancelling"


def test_the_202_carries_the_security_headers() -> None:
    payload = body(canonical())
    response = post(container(), payload, signed(payload))
    assert response.status_code == 202
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
