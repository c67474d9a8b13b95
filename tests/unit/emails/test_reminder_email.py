from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.email import OutgoingEmail
from shared.emails import TapStatus, compose_reminder
from shared.emails.reminder import reminder_tone
from shared.rendering import Brand
from tests.unit.emails.conftest import HOSTILE_NAME


def _reminder(brand: Brand, **overrides: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "to": "eve.private@mail.example",
        "slot": 1,
        "is_last": False,
        "brand": brand,
        "joiner_name": "Eve",
        "joiner_upn": "eve@fabrikam.example",
        "manager_name": "Anna Boss",
        "language": "en",
    }
    values.update(overrides)
    return compose_reminder(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("slot", "is_last", "tone"), [(1, False, "first"), (2, False, "followup"), (4, True, "final")]
)
def test_tone_follows_the_slot(slot: int, is_last: bool, tone: str) -> None:
    assert reminder_tone(slot, is_last) == tone


def test_first_reminder_is_a_friendly_nudge_with_the_steps_and_links(brand: Brand) -> None:
    email = _reminder(brand)

    assert email.subject == "Set up passwordless sign-in for your Fabrikam account"
    assert email.kind == "reminder"
    for body in (email.html, email.text):
        assert "Welcome to Fabrikam!" in body
        assert "Work or school account" in body
        assert "eve@fabrikam.example" in body
        assert "https://mysignins.microsoft.com/security-info" in body
        assert "helpdesk@fabrikam.example" in body
        assert "ask your manager Anna Boss" in body  # what to do if the TAP expired


def test_later_and_final_reminders_change_tone(brand: Brand) -> None:
    followup = _reminder(brand, slot=2)
    final = _reminder(brand, slot=4, is_last=True)

    assert followup.subject.startswith("Reminder: ")
    assert final.subject.startswith("Final reminder: ")
    assert "your manager is asked to follow up" in final.text
    assert "Welcome" not in final.text


def test_valid_pass_shows_until_when_in_the_joiners_zone(brand: Brand) -> None:
    email = _reminder(
        brand,
        tap_status=TapStatus.VALID,
        tap_valid_until=datetime(2026, 1, 5, 7, 0, tzinfo=UTC),
        time_zone="America/New_York",
    )

    assert "valid until Monday, 5 January 2026, 02:00 (America/New York)" in email.text


def test_reissued_variant_says_a_fresh_pass_went_to_the_manager(brand: Brand) -> None:
    email = _reminder(brand, slot=3, tap_status=TapStatus.REISSUED)

    assert "a fresh one has been sent to your manager Anna Boss" in email.text
    assert "a fresh one has been sent to your manager Anna Boss" in email.html
    assert "has expired or has already been used" not in email.text


def test_german_reminder_with_manager_in_copy(brand: Brand) -> None:
    email = _reminder(
        brand, language="de-CH", slot=4, is_last=True, cc=["anna.boss@fabrikam.example"]
    )

    assert email.subject.startswith("Letzte Erinnerung:")
    assert email.cc == ("anna.boss@fabrikam.example",)
    assert "Ihre Führungskraft Anna Boss" in email.text
    assert "Geschäfts-, Schul- oder Unikonto" in email.html


def test_unknown_language_falls_back_to_the_house_default(brand: Brand) -> None:
    email = _reminder(brand, language="xx-YY")

    assert email.subject.startswith("Set up passwordless sign-in")


def test_hostile_joiner_name_is_escaped(brand: Brand) -> None:
    email = _reminder(brand, joiner_name=HOSTILE_NAME)

    assert "<script>" not in email.html
    assert "Hello Eve &lt;script&gt;" in email.html
    assert not any(line.startswith("Bcc:") for line in email.text.splitlines())


def test_generic_support_contact_is_localized() -> None:
    german = _reminder(Brand(support_contact="your IT service desk"), language="de")

    assert "sich an Ihren IT-Service-Desk." in german.text
    assert "your IT service desk" not in german.text
