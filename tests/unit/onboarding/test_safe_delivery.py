"""A TAP reaches only a safe recipient, and a pass whose email never went out never stays
usable."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from shared.config import Settings
from shared.domain.directory import Manager
from shared.domain.errors import PermanentError, TransientError
from shared.domain.passwordless import MethodKind
from shared.domain.record import Status
from tests.unit.onboarding.world import GROUP, MANAGER, World

FALLBACK = "it-onboarding@contoso.example"


BASE = {
    "ACS_ENDPOINT": "https://acs.example",
    "MAIL_SENDER": "noreply@contoso.example",
    "ADMIN_EMAILS": "admins@contoso.example",
    "HR_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
    "PASSWORDLESS_GROUP_IDS": GROUP,
    "PREHIRE_LEAD_DAYS": "2",
}


def world(**settings: str) -> World:
    return World(Settings.from_env({**BASE, "FALLBACK_DELIVERY_EMAIL": FALLBACK, **settings}))


def live_taps(w: World) -> list[str]:
    methods = asyncio.run(w.directory.sign_in_methods("id-E1"))
    return [m.id for m in methods if m.kind is MethodKind.TAP]


@pytest.mark.parametrize(
    ("manager", "why"),
    [
        (replace(MANAGER, user_type="Guest"), "guest or external"),
        (replace(MANAGER, external=True), "guest or external"),
        (replace(MANAGER, account_enabled=False), "disabled"),
        (replace(MANAGER, mail="grace@partner.example"), "partner.example is not a delivery"),
    ],
)
def test_an_unsafe_manager_never_gets_the_pass_the_fallback_does(
    manager: Manager, why: str
) -> None:
    w = world()
    tid = w.joiner()
    w.directory.managers["id-E1"] = manager

    assert w.run(tid)[0] is Status.DELIVERED

    [(email, _)] = w.mailer.sent
    assert email.to == (FALLBACK,)
    step = next(s for s in w.record(tid).steps if s.step == "recipient")
    assert why in step.detail


def test_delivery_domains_widen_where_a_manager_may_be() -> None:
    w = world(DELIVERY_DOMAINS="contoso.example, fabrikam.example")
    tid = w.joiner()
    w.directory.managers["id-E1"] = replace(MANAGER, mail="grace@fabrikam.example")

    w.run(tid)

    assert w.mailer.sent[0][0].to == ("grace@fabrikam.example",)


def test_no_safe_manager_and_no_fallback_fails_naming_why() -> None:
    w = World()
    tid = w.joiner()
    w.directory.managers["id-E1"] = replace(MANAGER, user_type="Guest")

    assert w.run(tid) == (Status.FAILED, "no_delivery_address")
    assert "guest" in (w.record(tid).reason_detail or "")
    assert w.directory.taps == []


def test_a_pass_whose_email_is_refused_for_good_is_deleted() -> None:
    w = World()
    tid = w.joiner()
    w.mailer.fail_send.append(PermanentError("email_rejected", "InvalidEmailAddress"))

    assert w.run(tid) == (Status.FAILED, "email_rejected")

    [(_, tap)] = w.directory.taps
    assert ("id-E1", tap.id) in w.directory.deleted_taps
    assert live_taps(w) == []


def test_a_retry_after_an_unsent_email_deletes_the_undelivered_pass_before_the_next() -> None:
    w = World()
    tid = w.joiner()
    w.mailer.fail_send.append(TransientError("acs_503"))
    with pytest.raises(TransientError):
        w.run(tid)
    [(_, first)] = w.directory.taps

    assert w.run(tid)[0] is Status.DELIVERED

    second = w.directory.taps[1][1]
    assert ("id-E1", first.id) in w.directory.deleted_taps
    assert live_taps(w) == [second.id]  # never two live passes
    assert w.record(tid).tap_retired_at is None  # the live pass is not "retired"


def test_a_joiner_failed_by_poison_leaves_no_undelivered_pass() -> None:
    w = World()
    tid = w.joiner()
    w.mailer.fail_send.append(TransientError("acs_503"))
    with pytest.raises(TransientError):
        w.run(tid)

    asyncio.run(w.services.onboard_joiner.fail(tid, "poison_message", "dequeued 5 times"))

    assert live_taps(w) == []
    assert w.record(tid).status is Status.FAILED
