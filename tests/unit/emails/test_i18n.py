from __future__ import annotations

import string
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.emails.i18n import REFERENCE_LANGUAGE, catalogue, negotiate, supported_languages


def _placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_at_least_english_german_and_french_are_supported() -> None:
    assert {"en", "de", "fr"} <= set(supported_languages())


@pytest.mark.parametrize("language", supported_languages())
def test_every_catalogue_has_the_reference_keys_and_placeholders(language: str) -> None:
    reference = catalogue(REFERENCE_LANGUAGE)
    other = catalogue(language)

    assert set(other.messages) == set(reference.messages)
    for key, message in reference.messages.items():
        assert _placeholders(other.messages[key]) == _placeholders(message), key
    assert len(other.weekdays) == 7 and len(other.months) == 12


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("de-AT", "de"),
        ("de_CH", "de"),
        ("DE", "de"),
        ("fr-CA", "fr"),
        ("en-US", "en"),
        ("pt-BR", "de"),  # unsupported: the default
        (None, "de"),
        ("", "de"),
        ("pt-BR,fr;q=0.8", "fr"),  # first supported of a list
    ],
)
def test_negotiation(requested: str | None, expected: str) -> None:
    assert negotiate(requested, default="de") == expected


def test_unsupported_default_falls_back_to_english() -> None:
    assert negotiate("xx", default="tlh") == "en"


def test_unsupported_catalogue_is_refused() -> None:
    with pytest.raises(KeyError):
        catalogue("tlh")


@pytest.mark.parametrize(
    ("minutes", "en", "de"),
    [
        (60, "1 hour", "1 Stunde"),
        (480, "8 hours", "8 Stunden"),
        (90, "1 hour 30 minutes", "1 Stunde 30 Minuten"),
        (1440, "1 day", "1 Tag"),
        (2 * 1440 + 1, "2 days 1 minute", "2 Tage 1 Minute"),
        (0, "0 minutes", "0 Minuten"),
    ],
)
def test_durations(minutes: int, en: str, de: str) -> None:
    assert catalogue("en").duration(minutes) == en
    assert catalogue("de").duration(minutes) == de


def test_dates_and_times_are_spelled_per_language() -> None:
    moment = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    zone = ZoneInfo("Europe/Paris")

    assert catalogue("en").date(date(2026, 3, 1)) == "Sunday, 1 March 2026"
    assert catalogue("de").date(date(2026, 3, 1)) == "Sonntag, 1. März 2026"
    assert catalogue("fr").datetime(moment, zone) == "dimanche 1 mars 2026 à 09:00 (Europe/Paris)"
