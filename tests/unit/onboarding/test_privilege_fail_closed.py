"""Who gets a TAP is decided on fresh, complete facts: privilege read at every attempt (never
from an earlier one), and an unreadable privilege is never "not privileged"."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from shared.domain.errors import PermanentError, TransientError
from shared.domain.privilege import Privilege
from shared.domain.record import Status
from shared.usecases.onboarding_facts import hour_key
from tests.unit.onboarding.world import GROUP, World


def test_a_joiner_paused_by_the_flood_cap_and_made_admin_meanwhile_gets_no_tap() -> None:
    w = World()
    tid = w.joiner()
    cap = w.settings.tap_max_per_hour
    for _ in range(cap):  # someone filled this hour's cap
        asyncio.run(w.ledger.take_tap_slot(hour_key(w.clock.now()), cap))
    assert w.run(tid)[0] is Status.PAUSED

    w.directory.admins.add("id-E1")  # made Global Administrator while paused
    w.clock.current = w.clock.current.replace(minute=0) + timedelta(hours=1)

    assert w.run(tid) == (Status.REFUSED, "admin_role")
    assert w.directory.taps == []
    assert w.directory.forgotten.count("id-E1") == 2  # each attempt read afresh


@pytest.mark.parametrize(
    ("privilege", "reason"),
    [
        (Privilege(eligible_roles=("62e90394",)), "eligible_admin_role"),
        (Privilege(privileged_groups=("tier0",)), "privileged_group"),
        (Privilege(owned_apps=("app-1",)), "app_owner"),
    ],
)
def test_every_kind_of_privilege_refuses_the_joiner(privilege: Privilege, reason: str) -> None:
    w = World()
    tid = w.joiner()
    w.directory.privileges["id-E1"] = privilege

    assert w.run(tid) == (Status.REFUSED, reason)
    assert w.directory.taps == []


def test_a_privilege_read_graph_refuses_fails_the_joiner_and_issues_nothing() -> None:
    w = World()
    tid = w.joiner()
    w.directory.fail_privilege = PermanentError("graph_forbidden", "read role eligibility: 403")

    assert w.run(tid) == (Status.FAILED, "privilege_unknown")
    assert w.directory.taps == [] and "id-E1" not in w.directory.groups.get(GROUP, set())
    assert "read role eligibility" in (w.record(tid).reason_detail or "")


def test_a_privilege_read_that_fails_for_now_is_retried_not_decided() -> None:
    w = World()
    tid = w.joiner()
    w.directory.fail_privilege = TransientError("graph_503 on read role assignments")

    with pytest.raises(TransientError):
        w.run(tid)
    assert w.directory.taps == []
    w.directory.fail_privilege = None
    assert w.run(tid)[0] is Status.DELIVERED
