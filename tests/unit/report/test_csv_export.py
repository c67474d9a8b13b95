from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from shared.domain.registration import RegistrationRow, row_from_json
from shared.report.csv_export import CSV_COLUMNS, CsvRowWriter, harden_cell
from shared.report.figures import TenantAggregator
from tests.unit.report.tenant_rows import PAGES, ROWS

PARSED_PAGES: list[list[RegistrationRow]] = [[row_from_json(r) for r in page] for page in PAGES]


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
    write(
        row_from_json(
            {
                "userPrincipalName": "mallory@contoso.example",
                "userDisplayName": "=cmd|' /C calc'!A0",
            }
        )
    )
    write(
        row_from_json(
            {
                "userPrincipalName": "@evil@contoso.example",
                "userDisplayName": 'Plain, "quoted" name',
            }
        )
    )

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
    for page in PARSED_PAGES:
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


# Raw rows at the edges of what Graph may send: nulls, missing properties, formula-trigger
# names, duplicate and non-string methods, `methodsRegistered` that is not a list.
TRICKY_ROWS: list[dict[str, Any]] = [
    {},  # every property missing
    {
        "id": None,
        "userPrincipalName": None,
        "userDisplayName": None,
        "userType": None,
        "isAdmin": None,
        "isMfaRegistered": None,
        "isMfaCapable": None,
        "isPasswordlessCapable": None,
        "isSsprRegistered": None,
        "methodsRegistered": None,
        "lastUpdatedDateTime": None,
    },
    {
        "id": "id-eve",
        "userPrincipalName": "=eve@contoso.example",
        "userDisplayName": '=HYPERLINK("http://evil","x")',
        "userType": "member",
        "isAdmin": True,
        "isMfaRegistered": False,
        "isMfaCapable": True,
        "isPasswordlessCapable": False,
        "isSsprRegistered": True,
        "methodsRegistered": ["mobilePhone", "fido2SecurityKey", "mobilePhone", "", None, 7],
        "lastUpdatedDateTime": "2026-11-27T23:10:05.1234567Z",
    },
    {
        "id": "-1",
        "userPrincipalName": "+plus@contoso.example",
        "userDisplayName": "@SUM(A1)",
        "userType": "guest",
        "isAdmin": False,
        "methodsRegistered": "fido2SecurityKey",  # not a list
        "lastUpdatedDateTime": "",
    },
    {
        "id": "id-tab",
        "userPrincipalName": "tab@contoso.example",
        "userDisplayName": "\t=1+1",
        "methodsRegistered": {"a": "b"},
    },
    {
        "id": "id-cr",
        "userPrincipalName": "cr@contoso.example",
        "userDisplayName": "\r=1\nsecond line",
        "userType": "Member",
        "methodsRegistered": [],
        "isMfaRegistered": True,
    },
    {
        "id": "id-quote",
        "userPrincipalName": "q@contoso.example",
        "userDisplayName": 'Plain, "quoted" name; with ; semicolons',
        "userType": "member",
        "methodsRegistered": [
            "windowsHelloForBusiness",
            "microsoftAuthenticatorPush",
            "windowsHelloForBusiness",
        ],
        "extraProperty": "ignored",
    },
    {
        "id": "id-unicode",
        "userPrincipalName": "zoë@contoso.example",
        "userDisplayName": "Zoë Ærøskøbing 名前",
        "userType": "member",
        "methodsRegistered": [None],
        "lastUpdatedDateTime": "2026-01-01T00:00:00Z",
    },
    {
        "id": "id-only",
        "isAdmin": True,
        "userDisplayName": "-Mallory",
        "methodsRegistered": ["mobilePhone", "mobilePhone"],
        "lastUpdatedDateTime": None,
    },
]

# What the CSV writer wrote for TRICKY_ROWS when it still read the raw dicts (captured by running
# the previous csv_export.py on them): parsing into RegistrationRow must not change a byte.
TRICKY_CSV = (
    b"userPrincipalName,userDisplayName,userType,isAdmin,isMfaRegistered,isMfaCapable,"
    b"isPasswordlessCapable,isSsprRegistered,methodsRegistered,lastUpdatedDateTime,id\r\n"
    b",,,,,,,,,,\r\n"
    b",,,,,,,,,,\r\n"
    b'\'=eve@contoso.example,"\'=HYPERLINK(""http://evil"",""x"")",member,true,false,true,'
    b"false,true,fido2SecurityKey;mobilePhone,2026-11-27T23:10:05.1234567Z,id-eve\r\n"
    b"'+plus@contoso.example,'@SUM(A1),guest,false,,,,,,,'-1\r\n"
    b"tab@contoso.example,'\t=1+1,,,,,,,,,id-tab\r\n"
    b'cr@contoso.example,"\'\r=1\nsecond line",Member,,true,,,,,,id-cr\r\n'
    b'q@contoso.example,"Plain, ""quoted"" name; with ; semicolons",member,,,,,,'
    b"microsoftAuthenticatorPush;windowsHelloForBusiness,,id-quote\r\n"
    b"zo\xc3\xab@contoso.example,Zo\xc3\xab \xc3\x86r\xc3\xb8sk\xc3\xb8bing \xe5\x90\x8d\xe5\x89\x8d,"
    b"member,,,,,,,2026-01-01T00:00:00Z,id-unicode\r\n"
    b",'-Mallory,,true,,,,,mobilePhone,,id-only\r\n"
)


def _csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    write = CsvRowWriter(out)
    for row in rows:
        write(row_from_json(row))
    return out.getvalue().encode("utf-8")


def test_the_csv_of_parsed_rows_is_byte_identical_to_the_raw_dict_writer() -> None:
    assert _csv_bytes(TRICKY_ROWS) == TRICKY_CSV


def test_a_flag_that_is_not_a_json_boolean_is_an_empty_cell() -> None:
    # The one deliberate change from the raw-dict writer, which wrote such a value as it came
    # ("1", "true"): Graph's schema makes these Booleans, and the figures never counted them.
    text = _csv_bytes([{"id": "x", "isAdmin": 1, "isMfaRegistered": "true"}]).decode()

    assert text.splitlines()[1] == ",,,,,,,,,,x"
