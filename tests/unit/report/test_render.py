from __future__ import annotations

import re

from shared.domain import reasons
from shared.domain.registration import row_from_json
from shared.rendering import Brand, RenderedEmail
from shared.report.cohort import CohortAggregator
from shared.report.failure import ZERO_USERS, failure_for
from shared.report.figures import TenantAggregator
from shared.report.render import render_digest, render_error_digest
from shared.report.trend import PastFigures, build_trend
from tests.unit.report.conftest import NOW, cohort_records, make_settings
from tests.unit.report.tenant_rows import PAGES

BRAND = Brand.from_settings(make_settings())


def _digest(**settings_env: str) -> RenderedEmail:
    aggregator = TenantAggregator()
    for page in PAGES:
        aggregator.add_page([row_from_json(row) for row in page])
    tenant = aggregator.result()
    cohort = CohortAggregator(NOW, 7)
    cohort.add_all(cohort_records())
    trend = build_trend(
        tenant.key_figures(),
        {1: PastFigures(NOW.date(), {"passwordless_capable_pct": 30.0}), 7: None},
    )
    settings = make_settings(**settings_env)
    return render_digest(
        brand=Brand.from_settings(settings),
        retention_days=settings.report_retention_days,
        tenant=tenant,
        cohort=cohort.result(),
        trend=trend,
        generated_at=NOW,
        run_id="run-090000",
        csv_note="The per-user CSV is attached.",
    )


def test_the_security_finding_comes_first_then_adoption_joiners_and_trend() -> None:
    html = _digest().html

    positions = [
        html.index(s)
        for s in ("Security finding", "Adoption across 10 users", "New joiners", "Trend")
    ]
    assert positions == sorted(positions)
    assert "2 of 4 admins without a phishing-resistant or passwordless method" in html


def test_html_from_display_names_is_escaped() -> None:
    rendered = _digest()

    assert "<script" not in rendered.html.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in rendered.html
    assert "<script>alert('x')</script>" in rendered.text  # plain text has no markup to escape


def test_digest_is_email_safe_and_branded() -> None:
    rendered = _digest(
        BRAND_COMPANY_NAME="Fabrikam & Sons", BRAND_LOGO_URL="https://cdn.example/logo.png"
    )
    html = rendered.html

    assert "Fabrikam &amp; Sons" in html
    assert 'src="https://cdn.example/logo.png"' in html
    assert not re.search(r"<(script|link|iframe|form)\b", html, re.IGNORECASE)
    assert "bgcolor=" in html  # bars as table cells, which Outlook renders
    assert rendered.subject.startswith(
        "Fabrikam & Sons sign-in report 2026-11-28: 2 admins without"
    )
    assert "40% passwordless-capable" in rendered.subject


def test_digest_shows_the_hand_counted_figures() -> None:
    rendered = _digest()

    assert "40.0 %" in rendered.html  # passwordless-capable
    assert "Joiner 04" in rendered.html  # overdue and named
    assert "m***r@contoso.example" in rendered.html
    assert f"{reasons.label('admin_role')} (2)" in rendered.html
    assert "median <b>6.0 h</b>" in rendered.html
    assert "90th percentile 2.1 days" in rendered.text  # 50 h
    assert "(+10)" in rendered.html  # passwordless-capable 30 % -> 40 % since yesterday
    assert "SECURITY FINDING: 2 of 4 admins" in rendered.text
    assert rendered.text.index("SECURITY FINDING") < rendered.text.index("ADOPTION")


def test_error_digest_for_403_says_what_to_fix() -> None:
    failure = failure_for(
        "graph_forbidden", "read registration report: Authorization_RequestDenied"
    )

    rendered = render_error_digest(
        brand=BRAND, failure=failure, generated_at=NOW, run_id="run-090000"
    )

    assert "FAILED" in rendered.subject
    for text in (rendered.html, rendered.text):
        assert "403" in text
        assert "Entra ID P1 or P2" in text
        assert "AuditLog.Read.All" in text
        assert "graph_forbidden" in text
    assert "<script" not in rendered.html.lower()


def test_error_digest_for_zero_users() -> None:
    rendered = render_error_digest(
        brand=BRAND, failure=failure_for(ZERO_USERS), generated_at=NOW, run_id="r"
    )

    assert "returned no users" in rendered.subject
    assert "disabled" in rendered.text


def test_unknown_reasons_still_explain_and_escape_detail() -> None:
    failure = failure_for("graph_error", "<b>500</b>")

    rendered = render_error_digest(brand=BRAND, failure=failure, generated_at=NOW, run_id="r")

    assert "&lt;b&gt;500&lt;/b&gt;" in rendered.html
    assert "Application Insights" in rendered.text
