"""Security headers on the HTTP triggers' answers, called as the host calls them (on fakes).

Every answer: nosniff and no-store. The report page (HTML) also: a CSP that allows inline styles
and data:/logo images only, no framing, no base, no form target; and no referrer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest

import functions.doctor
import functions.registration_report
import functions.status
from functions.hr_events import handle_hr_events
from functions.http_headers import content_security_policy, image_origin, secured
from functions.http_problem import problem, problem_body, problem_response
from shared.domain.errors import TransientError
from shared.services import Services
from tests.fakes import Fakes
from tests.unit.intake.helpers import SECRET
from tests.unit.intake.helpers import settings as intake_settings
from tests.unit.report.conftest import cohort_records, make_settings, report_fakes

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def assert_every_answer(response: func.HttpResponse) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def assert_html_answer(response: func.HttpResponse, csp: str = CSP) -> None:
    assert_every_answer(response)
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == csp
    assert response.headers["Referrer-Policy"] == "no-referrer"


def assert_json_answer(response: func.HttpResponse, mimetype: str = "application/json") -> None:
    assert_every_answer(response)
    assert response.mimetype == mimetype
    json.loads(response.get_body())


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Services]]:
    """`app(**settings_env)`: the triggers' services on report fakes (a paging directory)."""

    def build(fakes: Fakes | None = None, **env: str) -> Services:
        # A webhook secret of Standard Webhooks strength: the settings refuse one under 24 bytes.
        settings = make_settings(HR_WEBHOOK_SECRETS=SECRET, **env)
        built = (fakes or report_fakes()).services(settings)
        for module in (functions.registration_report, functions.status, functions.doctor):
            monkeypatch.setattr(module, "services", lambda: built)
        return built

    yield build


def call(function: Any, method: str = "GET", url: str = "/", **kw: Any) -> func.HttpResponse:
    handler = function.build().get_user_function()
    request = func.HttpRequest(method, f"http://localhost/api{url}", body=b"", **kw)
    response: func.HttpResponse = asyncio.run(handler(request))
    return response


def test_the_report_page_is_html_with_the_content_security_policy(
    app: Callable[..., Services],
) -> None:
    app()
    assert call(functions.registration_report.report_run, "POST").status_code == 200

    page = call(functions.registration_report.report_latest, url="/reports/latest")

    assert page.status_code == 200
    assert_html_answer(page)
    body = page.get_body().decode()
    assert "Security finding" in body and "<script" not in body.lower()


def test_the_report_page_may_load_the_configured_logo_and_nothing_else(
    app: Callable[..., Services],
) -> None:
    app(BRAND_LOGO_URL="https://cdn.example/brand/logo.png?v=2")
    call(functions.registration_report.report_run, "POST")

    page = call(functions.registration_report.report_latest, url="/reports/latest")

    assert_html_answer(page, CSP.replace("img-src data:", "img-src data: https://cdn.example"))
    assert 'src="https://cdn.example/brand/logo.png?v=2"' in page.get_body().decode()


def test_the_report_run_and_the_figures_are_json_with_nosniff(
    app: Callable[..., Services],
) -> None:
    app()
    run = call(functions.registration_report.report_run, "POST")
    figures = call(
        functions.registration_report.report_latest,
        url="/reports/latest?format=json",
        params={"format": "json"},
    )

    for response in (run, figures):
        assert_json_answer(response)
        assert "Content-Security-Policy" not in response.headers


@pytest.mark.parametrize(
    ("function", "url", "params", "status"),
    [
        (functions.registration_report.report_latest, "/reports/latest", {}, 404),
        (
            functions.registration_report.report_latest,
            "/reports/latest?format=xml",
            {"format": "xml"},
            400,
        ),
        (functions.status.onboarding_status, "/onboarding/t-nobody", {}, 404),
    ],
    ids=["no_snapshot_yet", "bad_format", "unknown_joiner"],
)
def test_problem_answers_of_the_triggers_have_nosniff(
    app: Callable[..., Services], function: Any, url: str, params: dict[str, str], status: int
) -> None:
    app()  # no joiner recorded
    if status == 400:  # a snapshot to ask for in the wrong format
        call(functions.registration_report.report_run, "POST")

    response = call(function, url=url, params=params, route_params={"trackingId": "t-nobody"})

    assert response.status_code == status
    assert_json_answer(response, "application/problem+json")


def test_the_joiner_status_is_json_with_nosniff(app: Callable[..., Services]) -> None:
    fakes = report_fakes(records=cohort_records())
    app(fakes)

    response = call(
        functions.status.onboarding_status,
        url="/onboarding/t04",
        route_params={"trackingId": "t04"},
    )

    assert response.status_code == 200
    assert_json_answer(response)


def test_the_doctor_is_json_with_nosniff(app: Callable[..., Services]) -> None:
    app()

    response = call(functions.doctor.doctor, url="/doctor")

    assert response.status_code == 200
    assert_json_answer(response)


def test_every_problem_answer_has_nosniff_also_the_hr_intakes() -> None:
    """problem_response is the one builder of problem answers: the HR trigger's refusals too."""

    intake = Fakes().services(intake_settings()).accept_hr_request
    refused = asyncio.run(handle_hr_events(b"{}", {"content-type": "application/json"}, intake))
    retry = problem_response(problem_body(503, "please retry later"), {"Retry-After": "30"})

    for response in (refused, retry, problem(404, "nothing here")):
        assert response.status_code >= 400
        assert_json_answer(response, "application/problem+json")
    assert retry.headers["Retry-After"] == "30"


def test_secured_finishes_any_response_by_its_type() -> None:
    by_header = func.HttpResponse("<p>x</p>", headers={"Content-Type": "text/html; charset=utf-8"})
    html = secured(by_header)
    empty = secured(func.HttpResponse(status_code=200, headers={"WebHook-Allowed-Origin": "*"}))

    assert_every_answer(html)
    assert html.headers["Content-Security-Policy"] == CSP
    assert html.headers["Referrer-Policy"] == "no-referrer"
    assert_every_answer(empty)
    assert "Content-Security-Policy" not in empty.headers
    assert empty.headers["WebHook-Allowed-Origin"] == "*"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://cdn.example/logo.png", "https://cdn.example"),
        ("https://CDN.example:8443/a/b.svg", "https://CDN.example:8443"),
        ("http://intranet/logo.png", "http://intranet"),
        ("", None),
        ("data:image/png;base64,AAAA", None),
        ("javascript:alert(1)", None),
        ("https://evil.example; script-src *", None),
        ("https://user:pw@cdn.example/logo.png", None),
        ("https://'self'/x", None),
    ],
)
def test_only_a_plain_http_origin_of_the_logo_enters_the_policy(
    url: str, origin: str | None
) -> None:
    assert image_origin(url) == origin


def test_the_policy_lists_each_image_source_once() -> None:
    assert content_security_policy(["https://a.example", "https://a.example"]) == CSP.replace(
        "img-src data:", "img-src data: https://a.example"
    )


def test_a_report_run_whose_digest_cannot_go_out_yet_is_503_with_retry_after(
    app: Callable[..., Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = app()

    async def spent(**_: Any) -> None:
        raise TransientError("email_rate_limited", retry_after=41.2)

    monkeypatch.setattr(services, "daily_run", spent)
    response = call(functions.registration_report.report_run, "POST")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "42"
    assert_json_answer(response, "application/problem+json")
    assert "email_rate_limited" in json.loads(response.get_body())["detail"]
