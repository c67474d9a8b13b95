"""Rehires and converted contractors: refused by the established-account guardrails unless an
admin's explicit, audited override says otherwise — which never waives privilege, guests or
disabled accounts, and removes the old methods only when asked to."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.directory import DirectoryUser
from shared.domain.errors import InvalidEventError
from shared.domain.guardrails import REHIRE_WAIVES, refusal_reason
from shared.domain.passwordless import MethodKind, SignInMethod
from shared.domain.privilege import Privilege
from shared.domain.record import JoinerRecord, Status
from shared.domain.rehire import check_reason, describe, stale_methods
from shared.intake.canonical import event_from_canonical
from tests.unit.intake.helpers import canonical
from tests.unit.onboarding.world import NOW, World, joiner_record, user

AUTHENTICATOR = "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"
PASSWORD = "#microsoft.graph.passwordAuthenticationMethod"
PHONE = "#microsoft.graph.phoneAuthenticationMethod"


def returning(w: World) -> None:
    """E1's account from an earlier employment: two years old, Authenticator and a phone."""
    w.add_user()
    w.directory.users["E1"] = replace(w.directory.users["E1"], created=NOW - timedelta(days=730))
    w.directory.methods["id-E1"] = [PASSWORD, AUTHENTICATOR, PHONE]


def override(w: World, remove: bool = False, record: JoinerRecord | None = None) -> str:
    stored = asyncio.run(
        w.services.rehire.record(
            record or joiner_record(),
            user_id="id-E1",
            actor="ada.admin@contoso.example",
            reason="returning after two years abroad",
            remove_methods=remove,
        )
    )
    return stored.tracking_id


# --- the pure rules ------------------------------------------------------------------------


def test_the_override_waives_only_the_established_account_rules() -> None:
    old = user(created=NOW - timedelta(days=730))

    def refused(account: DirectoryUser, admin: bool = False, rehire: bool = False) -> str | None:
        return refusal_reason(
            account,
            privilege=Privilege(active_roles=("62e90394",)) if admin else Privilege(),
            method_types=[AUTHENTICATOR],
            now=NOW,
            max_account_age_days=30,
            rehire=rehire,
            employee_id="E1",
        )

    assert refused(old) in REHIRE_WAIVES
    assert refused(replace(old, last_sign_in=NOW), rehire=True) is None
    assert refused(old, admin=True, rehire=True) == "admin_role"
    assert refused(replace(old, user_type="Guest"), rehire=True) == "guest_account"
    assert refused(replace(old, account_enabled=False), rehire=True) == "account_disabled"
    # Someone else's account is never a rehire.
    assert refused(replace(old, employee_id="E2"), rehire=True) == "employee_id_mismatch"


def test_the_stale_methods_are_all_but_the_password() -> None:
    methods = (
        SignInMethod(MethodKind.PASSWORD, "p"),
        SignInMethod(MethodKind.AUTHENTICATOR, "a", NOW),
        SignInMethod(MethodKind.PHONE, "ph"),
        SignInMethod(MethodKind.OTHER, "x"),
    )
    assert [m.id for m in stale_methods(methods)] == ["a", "ph"]
    assert describe(stale_methods(methods)) == "authenticator a (since 2026-11-28), phone ph"
    assert describe(()) == "none"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_override_without_a_reason_is_refused(reason: str | None) -> None:
    with pytest.raises(ValueError, match="--reason"):
        check_reason(reason)
    assert check_reason("  back   from leave ") == "back from leave"


def test_no_hr_event_can_ask_for_the_override() -> None:
    with pytest.raises(InvalidEventError) as caught:
        event_from_canonical(canonical(rehire=True))
    assert caught.value.field == "/rehire"


# --- through the composition root, on fakes ---------------------------------------------


def test_a_rehire_is_refused_without_the_override() -> None:
    w = World()
    returning(w)
    tid = w.joiner(present=False)
    assert w.run(tid) == (Status.REFUSED, "already_enrolled")
    assert w.directory.taps == []


def test_a_rehire_is_onboarded_with_the_override_and_it_is_audited() -> None:
    w = World()
    returning(w)

    tid = override(w)
    assert w.run(tid)[0] is Status.DELIVERED

    record = w.record(tid)
    assert (record.rehire_by, record.rehire_reason) == (
        "ada.admin@contoso.example",
        "returning after two years abroad",
    )
    steps = {s.step: s.detail for s in record.steps}
    assert steps["rehire_override"] == (
        "by ada.admin@contoso.example: returning after two years abroad"
    )
    assert steps["stale_methods"] == "authenticator m1, phone m2 (kept)"
    assert "stale_methods_removed" not in steps and w.directory.deleted_methods == []
    alert, _ = w.mailer.sent[0]
    assert alert.kind == "alert" and "rehire_override" in alert.subject
    assert "ada.admin@contoso.example" in alert.text and "two years abroad" in alert.text
    assert w.email_kinds() == ["alert", "tap_delivery"]  # told before the pass exists


def test_the_stale_methods_go_only_with_the_second_flag_and_right_before_the_pass() -> None:
    w = World()
    returning(w)

    tid = override(w, remove=True)
    w.run(tid)

    assert w.directory.deleted_methods == [("id-E1", "m1"), ("id-E1", "m2")]
    steps = [s.step for s in w.record(tid).steps]
    assert steps.index("guardrails") < steps.index("stale_methods_removed") < steps.index("tap")
    left = asyncio.run(w.directory.sign_in_methods("id-E1"))
    assert {m.kind for m in left} == {MethodKind.PASSWORD, MethodKind.TAP}


def test_the_override_never_helps_an_admin_and_removes_nothing_then() -> None:
    w = World()
    returning(w)
    w.directory.admins.add("id-E1")

    tid = override(w, remove=True)

    assert w.run(tid) == (Status.REFUSED, "admin_role")
    assert w.directory.deleted_methods == [] and w.directory.taps == []


def test_a_method_graph_refuses_first_is_tried_again_once_the_others_are_gone() -> None:
    w = World()
    returning(w)
    w.directory.refuse_delete["m1"] = 1  # the default method: refused while others remain

    tid = override(w, remove=True)

    assert w.run(tid)[0] is Status.DELIVERED
    assert w.directory.deleted_methods == [("id-E1", "m2"), ("id-E1", "m1")]


def test_methods_that_cannot_be_removed_stop_the_pass() -> None:
    w = World()
    returning(w)
    w.directory.refuse_delete["m1"] = 5

    tid = override(w, remove=True)

    assert w.run(tid) == (Status.FAILED, "stale_methods_not_removed")
    assert w.directory.taps == []
    assert "authenticator m1" in (w.record(tid).reason_detail or "")
