"""The per-user CSV, written row by row as pages arrive, hardened against formula injection.

Display names come from the directory, where anyone who can edit a profile controls them. A cell
starting with `=`, `+`, `-`, `@`, tab or CR is a formula to Excel and LibreOffice (OWASP "CSV
Injection"), so such cells get a leading `'`, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from typing import Any, TextIO

from shared.report.figures import methods_of

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# (CSV header, raw Graph property). Booleans are written as true/false, methods joined by ";".
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("userPrincipalName", "userPrincipalName"),
    ("userDisplayName", "userDisplayName"),
    ("userType", "userType"),
    ("isAdmin", "isAdmin"),
    ("isMfaRegistered", "isMfaRegistered"),
    ("isMfaCapable", "isMfaCapable"),
    ("isPasswordlessCapable", "isPasswordlessCapable"),
    ("isSsprRegistered", "isSsprRegistered"),
    ("methodsRegistered", "methodsRegistered"),
    ("lastUpdatedDateTime", "lastUpdatedDateTime"),
    ("id", "id"),
)


def harden_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _cell(row: Mapping[str, Any], prop: str) -> str:
    if prop == "methodsRegistered":
        return ";".join(methods_of(row))
    value = row.get(prop)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CsvRowWriter:
    """Callable row sink for `TenantAggregator(on_row=...)`; writes the header on creation."""

    def __init__(self, stream: TextIO) -> None:
        # QUOTE_MINIMAL is enough once cells are hardened; CRLF line ends are what RFC 4180 and
        # Excel expect, and the stream must be opened with newline="" for them to survive.
        self._writer = csv.writer(stream, lineterminator="\r\n")
        self._writer.writerow([header for header, _ in CSV_COLUMNS])
        self.rows = 0

    def __call__(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow([harden_cell(_cell(row, prop)) for _, prop in CSV_COLUMNS])
        self.rows += 1
