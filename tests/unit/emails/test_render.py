from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import UndefinedError

from shared.emails.render import TEMPLATES
from shared.rendering import header_safe, one_line

HTML_ENV = TEMPLATES.html_env
TEXT_ENV = TEMPLATES.text_env


@given(st.text())
def test_header_safe_never_leaves_a_line_break_or_angle_bracket(value):
    cleaned = header_safe(value)

    assert not any(c in cleaned for c in "\r\n\x00<>\u2028\u2029\u202e")
    assert len(cleaned) <= 200


def test_one_line_keeps_ordinary_text():
    assert one_line("  Zoë  O'Brien-Müller ") == "Zoë O'Brien-Müller"
    assert one_line("a\r\nb\tc\u202ed") == "a b c d"


def test_html_environment_escapes_and_text_environment_does_not():
    template = "{{ name }}"
    assert HTML_ENV.from_string(template).render(name="<b>&") == "&lt;b&gt;&amp;"
    assert TEXT_ENV.from_string(template).render(name="<b>&") == "<b>&"


def test_text_environment_flattens_line_breaks_in_values():
    rendered = TEXT_ENV.from_string("Hi {{ name }}!").render(name="Eve\r\nYour pass: 1234")
    assert rendered == "Hi Eve Your pass: 1234!"


@pytest.mark.parametrize("env", [HTML_ENV, TEXT_ENV])
def test_missing_variables_fail_loudly(env):
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()


def test_the_admin_digest_shares_the_guards_of_the_emails() -> None:
    """The report's environments are the same kind: a display name from the directory cannot
    forge a line, flip text with a bidi override, or reach a header."""
    from shared.report.render import _FOLDER as REPORT

    hostile = "Eve\u202eexe.jpg\r\nBcc: x@evil.example"
    for env in (REPORT.html_env, REPORT.text_env):
        rendered = env.from_string("{{ name }}").render(name=hostile)
        assert "\r" not in rendered and "\n" not in rendered and "\u202e" not in rendered
    assert "<b>" not in REPORT.html_env.from_string("{{ n }}").render(n="<b>x</b>")
