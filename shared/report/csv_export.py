"""The per-user CSV, written row by row as pages arrive, hardened against formula injection.

Display names come from the directory, where anyone who can edit a profile controls them. Every
cell goes through `shared.report.safe_text.csv_cell`: a cell a spreadsheet would read as a formula
(OWASP "CSV Injection": `=`, `+`, `-`, `@`, `|` or their full-width forms, after any leading
blanks, or a leading TAB/CR/LF) gets a leading `'`, which spreadsheets show as text, and bidi and
control characters other than TAB/CR/LF become a space.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import TextIO

from shared.domain.registration import RegistrationRow
from shared.report.safe_text import csv_cell


def _flag(value: bool | None) -> str:
    # A flag Graph left out or sent as null is an empty cell, as in the raw JSON.
    return "" if value is None else "true" if value else "false"


# (CSV header, cell of a row). Booleans are written as true/false, methods joined by ";".
CSV_COLUMNS: tuple[tuple[str, Callable[[RegistrationRow], str]], ...] = (
    ("userPrincipalName", lambda r: r.user_principal_name),
    ("userDisplayName", lambda r: r.display_name),
    ("userType", lambda r: r.user_type),
    ("isAdmin", lambda r: _flag(r.is_admin)),
    ("isMfaRegistered", lambda r: _flag(r.is_mfa_registered)),
    ("isMfaCapable", lambda r: _flag(r.is_mfa_capable)),
    ("isPasswordlessCapable", lambda r: _flag(r.is_passwordless_capable)),
    ("isSsprRegistered", lambda r: _flag(r.is_sspr_registered)),
    ("methodsRegistered", lambda r: ";".join(r.methods)),
    ("lastUpdatedDateTime", lambda r: r.last_updated or ""),
    ("id", lambda r: r.id),
)


def harden_cell(value: str) -> str:
    """One cell as written: `csv_cell`, the report's one CSV guard."""
    return csv_cell(value)


class CsvRowWriter:
    """Callable row sink for `TenantAggregator(on_row=...)`; writes the header on creation."""

    def __init__(self, stream: TextIO) -> None:
        # QUOTE_MINIMAL is enough once cells are hardened; CRLF line ends are what RFC 4180 and
        # Excel expect, and the stream must be opened with newline="" for them to survive.
        self._writer = csv.writer(stream, lineterminator="\r\n")
        self._writer.writerow([header for header, _ in CSV_COLUMNS])
        self.rows = 0

    def __call__(self, row: RegistrationRow) -> None:
        self._writer.writerow([harden_cell(cell(row)) for _, cell in CSV_COLUMNS])
        self.rows += 1
