"""Message catalogues and language negotiation for the emails.

One JSON file per language in `locales/` (`en.json`, `de.json`, ...): the file name is the
language code, so adding a language is adding a file (a test keeps every catalogue's keys and
placeholders in step with English). Dates and durations are spelled out from the catalogue
rather than the OS locale, so an email reads the same on every host.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

LOCALES_DIR = Path(__file__).parent / "locales"
# The language every catalogue is checked against, and the last resort of negotiation.
REFERENCE_LANGUAGE = "en"


@dataclass(frozen=True)
class Catalogue:
    language: str
    messages: Mapping[str, str]
    weekdays: tuple[str, ...]  # Monday first, as date.weekday() counts
    months: tuple[str, ...]  # January first

    def text(self, key: str, /, **values: object) -> str:
        """The message `key` with its `{placeholders}` filled; a missing key or value raises."""
        return self.messages[key].format_map(values)

    def date(self, day: date) -> str:
        return self.text(
            "format.date",
            weekday=self.weekdays[day.weekday()],
            day=day.day,
            month=self.months[day.month - 1],
            year=day.year,
        )

    def datetime(self, moment: datetime, zone: ZoneInfo) -> str:
        local = moment.astimezone(zone)
        return self.text(
            "format.datetime",
            date=self.date(local.date()),
            time=f"{local:%H:%M}",
            zone=zone.key.replace("_", " "),
        )

    def duration(self, minutes: int) -> str:
        """`90` -> "1 hour 30 minutes": whole units only, as a TAP lifetime is set in minutes."""
        days, rest = divmod(max(minutes, 0), 24 * 60)
        hours, mins = divmod(rest, 60)
        parts = [
            self.text(f"duration.{unit}.{'one' if count == 1 else 'other'}", count=count)
            for unit, count in (("day", days), ("hour", hours), ("minute", mins))
            if count
        ]
        if not parts:
            return self.text("duration.minute.other", count=0)
        return self.text("duration.separator").join(parts)


def _load(language: str) -> Catalogue:
    data = json.loads((LOCALES_DIR / f"{language}.json").read_text(encoding="utf-8"))
    return Catalogue(
        language=language,
        messages=dict(data["messages"]),
        weekdays=tuple(data["weekdays"]),
        months=tuple(data["months"]),
    )


@cache
def supported_languages() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in LOCALES_DIR.glob("*.json")))


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue of a supported language (use `negotiate` first for anything from outside)."""
    if language not in supported_languages():
        raise KeyError(f"no email catalogue for language {language!r}")
    return _load(language)


def _primary(tag: str) -> str:
    # "de-AT", "de_AT", "DE", "de-AT;q=0.8" all mean German to a catalogue keyed by language
    return tag.split(";")[0].strip().replace("_", "-").split("-")[0].lower()


def negotiate(requested: str | None, default: str) -> str:
    """The supported language closest to `requested` (a tag or an Accept-Language-like list).

    Regional variants fall back to their language (`de-AT` -> `de`); anything unknown falls
    back to `default`, and an unsupported default to English.
    """
    supported = supported_languages()
    for tag in (requested or "").split(","):
        if (language := _primary(tag)) in supported:
            return language
    fallback = _primary(default)
    return fallback if fallback in supported else REFERENCE_LANGUAGE
