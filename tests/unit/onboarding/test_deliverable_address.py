"""Which addresses may receive mail: refused ones are found before a TAP exists."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.domain.email_address import address_problem, is_deliverable
from shared.domain.recipient import unsafe_manager
from tests.unit.onboarding.world import MANAGER

DELIVERABLE = [
    "maria.manager@contoso.example",
    "o'brien+onboarding@contoso.example",
    "a@b.co",
    "first_last-1@mail.sub.contoso.example",
    "x" * 64 + "@contoso.example",
]

REFUSED = [
    ("jörg@example.org", "non-ASCII"),
    ("maria@exämple.org", "non-ASCII"),
    ("a..b@example.org", "dot"),
    (".a@example.org", "dot"),
    ("a.@example.org", "dot"),
    ("a b@example.org", "white space"),
    ("a@b@example.org", "exactly one @"),
    ("example.org", "exactly one @"),
    ("@example.org", "empty part"),
    ("a@", "empty part"),
    ('"ab"@example.org', "special character"),
    ("a(comment)@example.org", "special character"),
    ("a@localhost", "domain"),
    ("a@-contoso.example", "domain"),
    ("a@contoso-.example", "domain"),
    ("a@contoso..example", "domain"),
    ("a@contoso.example.", "domain"),
    ("a@contoso_x.example", "domain"),
    ("a@192.168.0.1", "domain"),
    ("a@[192.168.0.1]", "domain"),
    ("x" * 65 + "@contoso.example", "too long"),
    ("a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 61, "too long"),
]


@pytest.mark.parametrize("address", DELIVERABLE)
def test_plain_ascii_addresses_are_deliverable(address: str) -> None:
    assert address_problem(address) is None
    assert is_deliverable(address)


@pytest.mark.parametrize(("address", "why"), REFUSED)
def test_addresses_the_mail_service_refuses_are_named(address: str, why: str) -> None:
    problem = address_problem(address)
    assert problem is not None and why in problem
    assert address not in problem  # the reason is recorded; the address is personal data
    assert not is_deliverable(address)


def test_none_is_not_deliverable() -> None:
    assert not is_deliverable(None)


@pytest.mark.parametrize("mail", ["jörg@contoso.example", "a..b@contoso.example"])
def test_a_manager_whose_mail_would_be_refused_is_not_a_recipient(mail: str) -> None:
    why = unsafe_manager(replace(MANAGER, mail=mail), frozenset({"contoso.example"}))
    assert why is not None and "not an address the mail service accepts" in why


def test_a_manager_with_a_deliverable_mail_stays_the_recipient() -> None:
    assert unsafe_manager(MANAGER, frozenset({"contoso.example"})) is None
