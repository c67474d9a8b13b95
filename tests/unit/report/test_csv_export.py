from __future__ import annotations

import csv
import io

import pytest

from shared.report.csv_export import CSV_COLUMNS, CsvRowWriter, harden_cell
from shared.report.figures import TenantAggregator
from tests.unit.report.tenant_rows import PAGES, ROWS


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ana-Maria", "Ana-Maria"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_triggers_at_the_start_are_neutralised(raw: str, written: str) -> None:
    assert harden_cell(raw) == written


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_dangerous_display_names_come_out_as_text_in_the_csv() -> None:
    out = io.StringIO(newline="")
    write = CsvRowWriter(out)
    write({"userPrincipalName": "mallory@contoso.example", "userDisplayName": "=cmd|' /C calc'!A0"})
    write({"userPrincipalName": "@evil@contoso.example", "userDisplayName": 'Plain, "quoted" name'})

    header, first, second = _read(out.getvalue())

    assert header == [h for h, _ in CSV_COLUMNS]
    assert first[1] == "'=cmd|' /C calc'!A0"
    assert second[0] == "'@evil@contoso.example"
    assert second[1] == 'Plain, "quoted" name'
    assert out.getvalue().endswith("\r\n")


def test_rows_stream_through_the_aggregator_into_the_csv() -> None:
    out = io.StringIO(newline="")
    writer = CsvRowWriter(out)
    aggregator = TenantAggregator(on_row=writer)
    for page in PAGES:
        aggregator.add_page(page)

    rows = _read(out.getvalue())
    by_upn = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}

    assert writer.rows == len(ROWS) == len(rows) - 1
    alice = by_upn["alice@contoso.example"]
    assert alice["isAdmin"] == "true"
    assert (
        alice["methodsRegistered"] == "microsoftAuthenticatorPush;passKeyDeviceBoundAuthenticator"
    )
    judy = by_upn["judy@contoso.example"]
    assert (judy["isMfaRegistered"], judy["isMfaCapable"], judy["methodsRegistered"]) == (
        "",
        "",
        "",
    )
