"""`check_tap_reach`, pure: which TAP policy targets reach privileged accounts."""

from __future__ import annotations

from typing import Any

import pytest

from shared.doctor import CheckStatus
from shared.doctor.fetched import ReadFailure
from shared.doctor.tap_reach_checks import TargetReads, check_tap_reach, include_group_ids

GROUP = "g-passwordless"
OTHER = "g-other"
NONE: dict[str, Any] = {"value": []}


def policy(*ids: str) -> dict[str, Any]:
    return {"includeTargets": [{"targetType": "group", "id": i} for i in ids]}


def reads(
    name: str = "Passwordless Users",
    assignable: bool = False,
    active: int = 0,
    eligible: int = 0,
) -> TargetReads:
    return TargetReads(
        {"id": "x", "displayName": name, "isAssignableToRole": assignable},
        {"value": [{"id": str(i)} for i in range(active)]},
        {"value": [{"id": str(i)} for i in range(eligible)]},
    )


def run(p: Any, targets: dict[str, TargetReads], protected: tuple[str, ...] = ()) -> Any:
    [result] = check_tap_reach(
        p,
        targets,
        group_ids=[GROUP],
        group_names={GROUP: "Passwordless Users"},
        protected_group_ids=protected,
    )
    return result


def test_the_passwordless_group_alone_passes() -> None:
    result = run(policy(GROUP), {GROUP: reads()})
    assert result.status is CheckStatus.PASS
    assert result.found.startswith("the TAP policy reaches only Passwordless Users")


def test_all_users_fails_even_with_exclusions() -> None:
    p = {**policy("all_users"), "excludeTargets": [{"id": OTHER}]}
    result = run(p, {})
    assert result.status is CheckStatus.FAIL
    assert "includes all users" in result.found
    assert "Include: remove the other targets, add Passwordless Users" in result.fix


@pytest.mark.parametrize(
    ("target", "protected", "why"),
    [
        (reads("Admins", assignable=True), (), "Admins is role-assignable"),
        (reads("Admins", active=2), (), "Admins holds 2 active directory role assignment(s)"),
        (reads("Admins", eligible=1), (), "Admins is eligible for 1 directory role(s) through PIM"),
        (reads("Break glass"), (OTHER,), "Break glass is in PROTECTED_GROUP_IDS"),
    ],
)
def test_a_privileged_include_fails_and_says_why(
    target: TargetReads, protected: tuple[str, ...], why: str
) -> None:
    result = run(policy(GROUP, OTHER), {GROUP: reads(), OTHER: target}, protected)
    assert result.status is CheckStatus.FAIL
    assert why in result.found


def test_an_unreadable_target_fails_closed() -> None:
    broken = TargetReads(ReadFailure(403, "Authorization_RequestDenied", ""), NONE, NONE)
    result = run(policy(GROUP), {GROUP: broken})
    assert result.status is CheckStatus.FAIL
    assert result.found.startswith("cannot tell")
    assert "403 Authorization_RequestDenied" in result.found


def test_no_p2_means_no_eligibility_not_unknown() -> None:
    no_p2 = TargetReads(
        {"displayName": "Passwordless Users"},
        NONE,
        ReadFailure(400, "AadPremiumLicenseRequired", ""),
    )
    assert run(policy(GROUP), {GROUP: no_p2}).status is CheckStatus.PASS
    other = TargetReads({"displayName": "P"}, NONE, ReadFailure(400, "BadRequest", ""))
    assert run(policy(GROUP), {GROUP: other}).status is CheckStatus.FAIL


def test_a_target_not_read_fails_closed() -> None:
    assert run(policy(GROUP), {}).status is CheckStatus.FAIL


def test_include_group_ids_skips_all_users_and_duplicates() -> None:
    assert include_group_ids(policy("all_users", GROUP, GROUP, OTHER)) == [GROUP, OTHER]
    assert include_group_ids(ReadFailure(403, "", "")) == []


def test_an_unreadable_policy_is_left_to_tap_policy() -> None:
    assert check_tap_reach(ReadFailure(403, "", ""), {}, group_ids=[GROUP], group_names={}) == []
