from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import UndefinedError

from shared.emails.render import HTML_ENV, TEXT_ENV, header_safe, one_line


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
