"""Read the facts the onboarding decision needs, the same way for the worker, a re-issue and the
dry run (shared.domain.onboarding_decision.decide decides on them)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from shared.domain.directory import DirectoryUser, TapPolicy
from shared.domain.errors import PermanentError
from shared.domain.onboarding_decision import Facts
from shared.domain.policies import OnboardingPolicy
from shared.domain.tap_plan import covers
from shared.ports import Ledger, OnboardingDirectory


def hour_key(now: datetime) -> str:
    """The flood cap's counter key: TAPs are counted per UTC hour."""
    return now.strftime("%Y%m%d%H")


async def covered_groups(
    directory: OnboardingDirectory,
    user: DirectoryUser,
    policy: TapPolicy,
    group_ids: tuple[str, ...],
) -> frozenset[str]:
    """The user's groups as far as the TAP policy's targets need them, in as few reads as we can.

    The passwordless groups count as joined (the user is added before the TAP is created).
    Direct memberships come with the $batch already read; only when they do not show the user
    inside the policy's include targets is the transitive checkMemberGroups asked (nested
    groups). A nested exclusion the direct view misses is still enforced by Graph itself.
    """
    groups = set(group_ids)
    if policy.include_all_users and not policy.exclude_group_ids:
        return frozenset(groups)
    groups |= set(await directory.direct_group_ids(user.id))
    if covers(policy, groups):
        return frozenset(groups)
    unknown = set(policy.include_group_ids) - groups
    if unknown:
        groups |= set(await directory.group_ids_of(user.id, sorted(unknown)))
    return frozenset(groups)


async def read_facts(
    directory: OnboardingDirectory, user: DirectoryUser, policy: OnboardingPolicy
) -> Facts:
    """Everything `decide` needs about an existing account, read for this attempt.

    The flood cap is left open: the worker learns it by taking a slot (one atomic request
    instead of a read and a write), the dry run by `with_cap` below.
    """
    # Never an answer from an earlier attempt: a joiner paused for an hour may have been made an
    # admin meanwhile (the adapter caches per user within one attempt only).
    directory.forget(user.id)
    # Privilege first: the adapter reads it with methods and manager in one $batch and the
    # next calls are answered from it; asked concurrently, each would send its own batch.
    try:
        privilege = await directory.privilege(user.id)
    except PermanentError as exc:  # fail closed: an unreadable privilege is never "none"
        raise PermanentError("privilege_unknown", exc.detail or exc.reason) from exc
    methods, manager, tap_policy, groups = await asyncio.gather(
        directory.method_types(user.id),
        directory.get_manager(user.id),
        directory.tap_policy(),
        asyncio.gather(*(directory.group_info(g) for g in policy.group_ids)),
    )
    return Facts(
        user=user,
        privilege=privilege,
        method_types=tuple(methods),
        groups=tuple(groups),
        manager=manager,
        tap_policy=tap_policy,
        user_group_ids=await covered_groups(directory, user, tap_policy, policy.group_ids),
    )


async def with_cap(facts: Facts, ledger: Ledger, policy: OnboardingPolicy, now: datetime) -> Facts:
    """The facts with the flood cap as the ledger counts it now (read only: takes no slot)."""
    used = await ledger.tap_slots_used(hour_key(now))
    return replace(facts, cap_open=used < policy.tap_max_per_hour)
