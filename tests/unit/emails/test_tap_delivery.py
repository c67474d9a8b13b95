from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from markupsafe import escape

from shared.domain.directory import IssuedTap
from shared.domain.email import OutgoingEmail
from shared.emails import compose_tap_delivery
from shared.rendering import Brand
from tests.unit.emails.conftest import HOSTILE_NAME, PASSCODE, PASSCODE_HTML


def _compose(tap: IssuedTap, brand: Brand, hire_date: date, **overrides: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "to": "anna.boss@fabrikam.example",
        "tap": tap,
        "joiner_name": "Eve Example",
        "hire_date": hire_date,
        "brand": brand,
        "manager_name": "Anna",
        "joiner_upn": "eve@fabrikam.example",
        "time_zone": "Europe/Berlin",
    }
    values.update(overrides)
    return compose_tap_delivery(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_passcode_appears_exactly_once_in_each_body_and_never_in_the_subject(
    tap: IssuedTap, brand: Brand, hire_date: date, language: str
) -> None:
    email = _compose(tap, brand, hire_date, language=language)

    assert email.html.count(PASSCODE_HTML) == 1
    assert PASSCODE not in email.html  # only in its escaped form
    assert email.text.count(PASSCODE) == 1
    assert PASSCODE not in email.subject
    assert PASSCODE_HTML not in email.subject
    assert email.kind == "tap_delivery"
    assert email.to == ("anna.boss@fabrikam.example",)


def test_english_email_says_who_when_how_long_and_one_time(
    tap: IssuedTap, brand: Brand, hire_date: date
) -> None:
    email = _compose(tap, brand, hire_date, language="en-GB")

    assert email.subject == (
        "Eve Example starts on Monday, 5 January 2026: Temporary Access Pass for the first sign-in"
    )
    for body in (email.html, email.text):
        assert "Monday, 5 January 2026, 00:00 (Europe/Berlin)" in body  # local start time
        assert "for 8 hours, until Monday, 5 January 2026, 08:00" in body
        assert "One-time use" in body
        assert "Never forward this email" in body
        assert "in person, or read it out to them over the phone" in body
        assert "https://mysignins.microsoft.com/security-info" in body
        assert "eve@fabrikam.example" in body


def test_joiner_steps_are_in_order(tap: IssuedTap, brand: Brand, hire_date: date) -> None:
    text = _compose(tap, brand, hire_date, language="en").text

    markers = [
        "Microsoft Authenticator",
        '"+"',
        "Work or school account",
        '"Sign in"',
        "enter the Temporary Access Pass",
        "register your device",
        "passwordless phone sign-in",
    ]
    positions = [text.index(marker, text.index("1. ")) for marker in markers]
    assert positions == sorted(positions)


def test_german_email_is_german(tap: IssuedTap, brand: Brand, hire_date: date) -> None:
    email = _compose(tap, brand, hire_date, language="de-AT")

    assert email.subject.startswith("Eve Example beginnt am Montag, 5. Januar 2026")
    assert '<html lang="de">' in email.html
    for body in (email.html, email.text):
        assert "Befristeter Zugriffspass" in body
        assert "Montag, 5. Januar 2026, 00:00 Uhr (Europe/Berlin)" in body
        assert "8 Stunden" in body
        assert "Einmalig verwendbar" in body
        assert "Geschäfts-, Schul- oder Unikonto" in body


def test_reusable_pass_is_not_called_one_time(
    tap: IssuedTap, brand: Brand, hire_date: date
) -> None:
    email = _compose(replace(tap, one_time=False), brand, hire_date, language="en")

    assert "several times" in email.text
    assert "One-time use" not in email.text


def test_joiner_who_already_started_is_described_in_the_past(tap: IssuedTap, brand: Brand) -> None:
    email = _compose(tap, brand, date(2026, 1, 2), language="en")

    assert "started on Friday, 2 January 2026" in email.text
    assert "(started Friday, 2 January 2026)" in email.subject


def test_hostile_name_is_neutralised_in_subject_and_escaped_in_html(
    tap: IssuedTap, brand: Brand, hire_date: date
) -> None:
    email = _compose(tap, brand, hire_date, language="en", joiner_name=HOSTILE_NAME)

    assert "\r" not in email.subject and "\n" not in email.subject
    assert "<" not in email.subject and ">" not in email.subject
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in email.html
    # In the text part the name stays on one line: it cannot forge a line of its own.
    assert not any(line.startswith("Bcc:") for line in email.text.splitlines())


def test_html_is_mail_client_safe(tap: IssuedTap, brand: Brand, hire_date: date) -> None:
    html = _compose(tap, brand, hire_date, language="en").html

    assert "<script" not in html.lower()
    assert '<table role="presentation"' in html
    assert 'src="https://cdn.fabrikam.example/logo.png"' in html
    assert 'href="mailto:helpdesk@fabrikam.example"' in html
    assert "<style" not in html  # inline styles only: Gmail and Outlook drop style blocks


def test_company_name_replaces_a_missing_logo(tap: IssuedTap, hire_date: date) -> None:
    html = _compose(tap, Brand(company_name="Northwind"), hire_date).html

    assert "<img" not in html
    assert ">Northwind</span>" in html


@pytest.mark.parametrize("bad", ["boss@fabrikam.example\r\nBcc: x@evil.example", "not-an-address"])
def test_recipient_must_be_one_plain_address(
    tap: IssuedTap, brand: Brand, hire_date: date, bad: str
) -> None:
    with pytest.raises(ValueError, match="not a single plain email address"):
        _compose(tap, brand, hire_date, to=bad)


def test_tap_repr_never_shows_the_passcode(tap: IssuedTap) -> None:
    assert PASSCODE not in repr(tap) and PASSCODE not in str(tap)


HANDOVER_NOTES = {
    "en": {
        "one_sitting": "Eve Example should do everything in one sitting",
        "qr": ("QR code", "on a computer", "https://mysignins.microsoft.com/security-info"),
        "registration": ("It is not device management", "Fabrikam does not take over the phone"),
        "default": ('"Change" next to the default sign-in method', "system-preferred multif"),
    },
    "de": {
        "one_sitting": "Eve Example sollte daher alles in einem Durchgang erledigen",
        "qr": ("QR-Code", "an einem Computer", "https://mysignins.microsoft.com/security-info"),
        "registration": (
            "Das ist keine Geräteverwaltung",
            "Fabrikam übernimmt das Smartphone nicht",
        ),
        "default": ('"Ändern" neben der Standardanmeldemethode', "systembevorzugte mehrstuf"),
    },
    "fr": {
        "one_sitting": "Eve Example doit donc tout faire d'une traite",
        "qr": ("code QR", "sur un ordinateur", "https://mysignins.microsoft.com/security-info"),
        "registration": (
            "Ce n'est pas une gestion de l'appareil",
            "Fabrikam ne prend pas le contrôle du téléphone",
        ),
        "default": (
            "« Modifier » à côté de la méthode de connexion par défaut",
            "authentification multifacteur préférée par le système",
        ),
    },
}


def _in_both(email: OutgoingEmail, phrase: str) -> bool:
    return phrase in email.text and str(escape(phrase)) in email.html


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_handover_notes_in_every_language(
    tap: IssuedTap, brand: Brand, hire_date: date, language: str
) -> None:
    email = _compose(tap, brand, hire_date, language=language)

    notes = HANDOVER_NOTES[language]
    assert _in_both(email, str(notes["one_sitting"]))  # the fixture's pass is one-time
    for key in ("qr", "registration", "default"):
        for phrase in notes[key]:
            assert _in_both(email, phrase), phrase


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_a_reusable_pass_needs_no_single_sitting(
    tap: IssuedTap, brand: Brand, hire_date: date, language: str
) -> None:
    email = _compose(replace(tap, one_time=False), brand, hire_date, language=language)

    one_sitting = str(HANDOVER_NOTES[language]["one_sitting"])
    assert one_sitting not in email.text
    assert str(escape(one_sitting)) not in email.html
    assert _in_both(email, HANDOVER_NOTES[language]["qr"][0])  # the other notes stay


def test_handover_notes_follow_the_steps_and_keep_the_passcode_out(
    tap: IssuedTap, brand: Brand, hire_date: date
) -> None:
    text = _compose(tap, brand, hire_date, language="en").text

    steps_end = text.index("6. Turn on passwordless phone sign-in")
    notes = text.index("Good to know for the first sign-in")
    assert steps_end < notes < text.index("If the pass expires before")
    assert PASSCODE not in text[notes:]
