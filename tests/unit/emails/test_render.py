from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment, UndefinedError

from shared.emails.render import TEMPLATES
from shared.rendering import header_safe, one_line

HTML_ENV = TEMPLATES.html_env
TEXT_ENV = TEMPLATES.text_env


@given(st.text())
def test_header_safe_never_leaves_a_line_break_or_angle_bracket(value: str) -> None:
    cleaned = header_safe(value)

    assert not any(c in cleaned for c in "\r\n\x00<>\u2028\u2029\u202e")
    assert len(cleaned) <= 200


def test_one_line_keeps_ordinary_text() -> None:
    assert one_line("  Zoë  O'Brien-Müller ") == "Zoë O'Brien-Müller"
    assert one_line("a\r\nb\tc\u202ed") == "a b c d"


def test_html_environment_escapes_and_text_environment_does_not() -> None:
    template = "{{ name }}"
    assert HTML_ENV.from_string(template).render(name="<b>&") == "&lt;b&gt;&amp;"
    assert TEXT_ENV.from_string(template).render(name="<b>&") == "<b>&"


def test_text_environment_flattens_line_breaks_in_values() -> None:
    rendered = TEXT_ENV.from_string("Hi {{ name }}!").render(name="Eve\r\nYour pass: 1234")
    assert rendered == "Hi Eve Your pass: 1234!"


@pytest.mark.parametrize("env", [HTML_ENV, TEXT_ENV])
def test_missing_variables_fail_loudly(env: Environment) -> None:
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()


def test_the_report_environments_share_the_guards_of_the_emails() -> None:
    from shared.report.render import _FOLDER as REPORT

    hostile = "Eve\u202eexe.jpg\r\nBcc: x@evil.example\u2028"
    for env in (REPORT.html_env, REPORT.text_env):
        rendered = env.from_string("{{ name }}").render(name=hostile)
        assert rendered == "Eve exe.jpg Bcc: x@evil.example "
    assert REPORT.html_env.from_string("{{ n }}").render(n="<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"


UNSAFE = ("\r", "\u2028", "\u2029", "\u202e", "\u2066")


@pytest.mark.parametrize(
    ("display_name", "shown"),
    [
        ("Eve\u202eexe.jpg\r\nBcc: x", "Eve exe.jpg Bcc: x"),
        ("Eve\u2066\u2028Your pass: 1234", "Eve Your pass: 1234"),
    ],
    ids=["bidi_override_and_crlf", "line_separator_and_isolate"],
)
def test_the_admin_digest_neutralizes_a_hostile_display_name_from_the_report(
    display_name: str, shown: str
) -> None:
    """The digest goes through the same environments: a display name from a registration row
    (an admin finding) cannot forge a line, flip text with a bidi control, or reach a header."""
    from tests.unit.report.conftest import make_settings, report_fakes
    from tests.unit.report.tenant_rows import ROWS

    admin = {
        **ROWS[2],  # carol: an admin with no method, so a finding the digest names
        "userDisplayName": display_name,
    }
    settings = make_settings(BRAND_COMPANY_NAME="Contoso\r\nBcc: x@evil.example\u202e<b>")
    fakes = report_fakes(pages=[[*ROWS[:2], admin, *ROWS[3:]]])

    run = asyncio.run(fakes.services(settings).daily_run())

    assert run.ok and run.admin_findings == 2
    [(email, _)] = fakes.mailer.sent
    for body in (email.html, email.text):
        assert not any(c in body for c in UNSAFE)
        assert shown in body
    assert f"  - {shown} <carol@contoso.example>: none" in email.text.splitlines()
    assert not any(
        line.lstrip().startswith(("Bcc:", "Your pass")) for line in email.text.splitlines()
    )
    subject = email.subject
    assert subject.startswith("Contoso Bcc: x@evil.example b sign-in report 2026-11-28: ")
    assert not any(c in subject for c in (*UNSAFE, "\n", "<", ">")) and len(subject) <= 200
