"""Run every check: fetch what the checks need (concurrently), then evaluate them (pure).

Graph reads go through the app's own Graph adapter (same credential, base URL and retry handler
as onboarding; the TenantReader port), so a doctor that passes has exercised the real path. The request budget is small:
the TAP policy (and three reads per group it includes: the group, its role assignments, its PIM
eligibility), the Authenticator and Passkey (FIDO2) policies when TARGET_METHODS need them, the
authentication methods policy itself (migration state, registration campaign), the Conditional
Access policies (and their named locations when one names any), one read per passwordless group,
one report page of one row, one token, and one `$batch` probing each production call
(`call_probes`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

from shared.config import Settings
from shared.doctor.authenticator_checks import (
    check_authenticator_policy,
    needs_authenticator_policy,
)
from shared.doctor.call_probes import FIRST_USER_PATH, Probe, check_calls, probes
from shared.doctor.conditional_access_checks import check_conditional_access, location_ids
from shared.doctor.fetched import Fetched, ReadFailure
from shared.doctor.group_checks import GROUP_SELECT, check_group, group_name
from shared.doctor.methods_policy_checks import (
    check_campaign,
    check_migration,
    check_system_preferred,
)
from shared.doctor.passkey_checks import check_passkey_policy, needs_fido2_policy
from shared.doctor.permission_checks import check_permissions
from shared.doctor.result import CheckResult, DoctorReport, failed
from shared.doctor.service_checks import (
    AcsObservation,
    check_acs,
    check_registration_report,
    check_storage,
    check_webhook_secrets,
)
from shared.doctor.tap_checks import check_tap_policy
from shared.doctor.tap_reach_checks import (
    TargetReads,
    assignments_path,
    check_tap_reach,
    eligibility_path,
    include_group_ids,
    target_group_path,
)
from shared.doctor.windows_hello_checks import check_windows_hello

_METHODS = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations"
TAP_POLICY_PATH = f"{_METHODS}/TemporaryAccessPass"
AUTHENTICATOR_POLICY_PATH = f"{_METHODS}/MicrosoftAuthenticator"
FIDO2_POLICY_PATH = f"{_METHODS}/Fido2"
METHODS_POLICY_PATH = "/policies/authenticationMethodsPolicy"
CONDITIONAL_ACCESS_PATH = "/identity/conditionalAccess/policies"
NAMED_LOCATIONS_PATH = "/identity/conditionalAccess/namedLocations"
# One row, with the per-user flag v1.0 shows the tenant's system-preferred MFA setting through.
REPORT_PROBE_PATH = (
    "/reports/authenticationMethods/userRegistrationDetails"
    "?$top=1&$select=id,isSystemPreferredAuthenticationMethodEnabled"
)

Progress = Callable[[str], None]


@dataclass
class DoctorInputs:
    """Everything the pure checks evaluate; filled by `gather_inputs` (or by tests)."""

    tap_policy: Fetched
    authenticator_policy: Fetched | None  # None: not read, no target needs it
    groups: dict[str, Fetched]
    report: Fetched
    roles: list[str] | ReadFailure
    storage: dict[str, ReadFailure | None]
    acs: AcsObservation
    webhook_secrets: tuple[str, ...] = field(default=())
    fido2_policy: Fetched | None = None  # None: not read, no target needs it
    # The groups the TAP policy includes, read to tell whether it reaches privileged accounts.
    tap_targets: dict[str, TargetReads] = field(default_factory=dict)
    methods_policy: Fetched | None = None  # None: not read
    conditional_access: Fetched | None = None  # None: not read
    named_locations: Fetched | None = None  # None: not needed or not read
    first_user: Fetched | None = None  # None: calls not probed
    call_probes: list[Probe] = field(default_factory=list)
    call_answers: dict[str, Fetched] = field(default_factory=dict)


class TenantReader(Protocol):
    async def read_json(self, path: str) -> Fetched: ...


@runtime_checkable
class BatchReader(Protocol):
    """A TenantReader that can also send a `$batch` (the app's Graph reader can): the doctor's
    probe of each production call. Each answer is the item's body, or why it failed."""

    async def batch(self, requests: list[dict[str, Any]]) -> dict[str, Fetched]: ...


class ServiceProbes(Protocol):
    """The doctor's reads outside Graph's JSON API (shared.adapters.doctor_probes implements them)."""

    async def token_roles(self) -> list[str] | ReadFailure: ...
    async def storage(self) -> dict[str, ReadFailure | None]: ...
    async def acs(self, send_test: bool) -> AcsObservation: ...


async def _step(progress: Progress | None, label: str, work: Awaitable[Any]) -> Any:
    result = await work
    if progress:
        progress(f"checked {label}")
    return result


async def _optional(
    needed: bool, progress: Progress | None, label: str, read: Callable[[], Awaitable[Fetched]]
) -> Fetched | None:
    """A policy read only TARGET_METHODS can ask for: None (and no request) when none does."""
    if not needed:
        return None
    result: Fetched = await _step(progress, label, read())
    return result


async def _tap_reads(tenant: TenantReader) -> tuple[Fetched, dict[str, TargetReads]]:
    """The TAP policy, then each group it includes (the group, its active and PIM-eligible
    role assignments), concurrently."""
    policy = await tenant.read_json(TAP_POLICY_PATH)
    ids = include_group_ids(policy)

    async def target(group_id: str) -> TargetReads:
        group, active, eligible = await asyncio.gather(
            tenant.read_json(target_group_path(group_id)),
            tenant.read_json(assignments_path(group_id)),
            tenant.read_json(eligibility_path(group_id)),
        )
        return TargetReads(group, active, eligible)

    reads = await asyncio.gather(*(target(g) for g in ids))
    return policy, dict(zip(ids, reads, strict=True))


async def _all_pages(tenant: TenantReader, path: str) -> Fetched:
    """A collection read to its last page (`@odata.nextLink`), or the first failure."""
    first = await tenant.read_json(path)
    if isinstance(first, ReadFailure):
        return first
    items = list(first.get("value") or [])
    link = first.get("@odata.nextLink")
    while isinstance(link, str) and link:
        page = await tenant.read_json(link)
        if isinstance(page, ReadFailure):
            return page
        items += page.get("value") or []
        link = page.get("@odata.nextLink")
    return {**first, "value": items}


async def _access_reads(tenant: TenantReader) -> tuple[Fetched, Fetched | None]:
    """The Conditional Access policies, then the named locations when a policy names one."""
    policies = await _all_pages(tenant, CONDITIONAL_ACCESS_PATH)
    if not location_ids(policies):
        return policies, None
    return policies, await _all_pages(tenant, NAMED_LOCATIONS_PATH)


async def _call_probes(
    tenant: TenantReader, settings: Settings
) -> tuple[Fetched | None, list[Probe], dict[str, Fetched]]:
    """One real user, then every production call probed in one `$batch`."""
    if not isinstance(tenant, BatchReader):
        return None, [], {}
    first = await tenant.read_json(FIRST_USER_PATH)
    users = first.get("value") if isinstance(first, dict) else None
    if not users or not settings.passwordless_group_ids:
        return first, [], {}
    planned = probes(
        str(users[0]["id"]), settings.passwordless_group_ids[0], settings.target_methods
    )
    answers = await tenant.batch([p.request() for p in planned])
    return first, planned, answers


async def gather_inputs(
    settings: Settings,
    tenant: TenantReader,
    probes: ServiceProbes,
    *,
    probe_email: bool = False,
    progress: Progress | None = None,
) -> DoctorInputs:
    groups = list(settings.passwordless_group_ids)
    targets = settings.target_methods
    reads = await asyncio.gather(
        _step(progress, "TAP policy and its targets", _tap_reads(tenant)),
        _optional(
            needs_authenticator_policy(targets),
            progress,
            "Authenticator policy",
            lambda: tenant.read_json(AUTHENTICATOR_POLICY_PATH),
        ),
        _optional(
            needs_fido2_policy(targets),
            progress,
            "Passkey (FIDO2) policy",
            lambda: tenant.read_json(FIDO2_POLICY_PATH),
        ),
        _step(progress, "registration report", tenant.read_json(REPORT_PROBE_PATH)),
        _step(progress, "authentication methods policy", tenant.read_json(METHODS_POLICY_PATH)),
        _step(progress, "Conditional Access", _access_reads(tenant)),
        _step(progress, "Graph calls", _call_probes(tenant, settings)),
        _step(progress, "app token", probes.token_roles()),
        _step(progress, "storage", probes.storage()),
        _step(progress, "ACS Email", probes.acs(probe_email)),
        *(
            _step(
                progress,
                f"group {g}",
                tenant.read_json(f"/groups/{quote(g)}?$select={GROUP_SELECT}"),
            )
            for g in groups
        ),
    )
    (tap, tap_targets), authenticator, fido2, report, methods, access, calls, *rest = reads
    roles, storage, acs, *group_reads = rest
    first_user, planned, answers = calls
    return DoctorInputs(
        methods_policy=methods,
        conditional_access=access[0],
        named_locations=access[1],
        first_user=first_user,
        call_probes=planned,
        call_answers=answers,
        tap_policy=tap,
        tap_targets=tap_targets,
        authenticator_policy=authenticator,
        fido2_policy=fido2,
        groups=dict(zip(groups, group_reads, strict=True)),
        report=report,
        roles=roles,
        storage=storage,
        acs=acs,
        webhook_secrets=settings.hr_webhook_secrets,
    )


def evaluate(settings: Settings, inputs: DoctorInputs) -> DoctorReport:
    """All checks, in the order an admin fixes them: policies (TAP, then each target's), groups,
    permissions, services."""
    group_ids = list(inputs.groups)
    names = {g: group_name(body, g) for g, body in inputs.groups.items()}
    results: list[CheckResult] = []
    results += check_tap_policy(
        inputs.tap_policy,
        group_ids=group_ids,
        group_names=names,
        lifetime_minutes=settings.tap_lifetime_minutes,
        one_time=settings.tap_one_time,
        retire_after_enrolment=settings.tap_retire_after_enrolment,
    )
    results += check_tap_reach(
        inputs.tap_policy,
        inputs.tap_targets,
        group_ids=group_ids,
        group_names=names,
        protected_group_ids=settings.protected_group_ids,
    )
    targets = settings.target_methods
    results += check_authenticator_policy(
        inputs.authenticator_policy, group_ids=group_ids, group_names=names, targets=targets
    )
    results += check_passkey_policy(
        inputs.fido2_policy, targets=targets, group_ids=group_ids, group_names=names
    )
    results += check_windows_hello(targets)
    results += check_migration(inputs.methods_policy)
    results += check_campaign(
        inputs.methods_policy,
        authenticator=inputs.authenticator_policy,
        group_ids=group_ids,
        group_names=names,
        targets=targets,
    )
    results += check_system_preferred(inputs.report)
    results += check_conditional_access(
        inputs.conditional_access,
        inputs.named_locations,
        group_ids=group_ids,
        group_names=names,
    )
    results += [check_group(g, body) for g, body in inputs.groups.items()]
    if isinstance(inputs.roles, ReadFailure):
        results.append(
            failed(
                "permissions.required",
                f"cannot get a Graph token: {inputs.roles.describe()}",
                "check GRAPH_TENANT_ID / GRAPH_CLIENT_ID / GRAPH_CLIENT_SECRET, or the managed "
                "identity (AZURE_CLIENT_ID)",
            )
        )
        roles: list[str] = []
    else:
        roles = inputs.roles
        results += check_permissions(roles, targets=targets)
    results.append(check_registration_report(inputs.report, roles))
    results += check_calls(inputs.first_user, inputs.call_probes, inputs.call_answers)
    results += check_acs(inputs.acs)
    results.append(check_storage(inputs.storage))
    results.append(check_webhook_secrets(inputs.webhook_secrets))
    return DoctorReport.of(results)


async def run_doctor(
    settings: Settings,
    tenant: TenantReader,
    probes: ServiceProbes,
    *,
    probe_email: bool = False,
    progress: Progress | None = None,
) -> DoctorReport:
    inputs = await gather_inputs(
        settings, tenant, probes, probe_email=probe_email, progress=progress
    )
    return evaluate(settings, inputs)
