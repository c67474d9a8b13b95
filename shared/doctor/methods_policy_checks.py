"""The authentication methods policy's own settings, and system-preferred MFA. Pure.

Read from `GET /policies/authenticationMethodsPolicy` (v1.0: `policyMigrationState`,
`registrationEnforcement.authenticationMethodsRegistrationCampaign`) and from the one
registration-report row the doctor already reads (`isSystemPreferredAuthenticationMethodEnabled`:
v1.0 exposes the tenant's system-preferred MFA setting only per user there; the policy itself,
`systemCredentialPreferences`, is beta only).

- `methods.migration`: `migrationComplete` passes; `preMigration` and `migrationInProgress` warn:
  the legacy MFA and SSPR policies still decide alongside this policy, so the targets the doctor
  checks here are not the whole answer to "which methods may a joiner register".
- `campaign.registration` (the registration campaign, "nudge"): off passes (Tapstart's reminders
  are the only nudge). On, for the joiners, it nudges them after each MFA to set up Microsoft
  Authenticator (push), snoozable for `snoozeDurationInDays` (0: at every MFA). Microsoft: users
  whose Authenticator mode is Passwordless (`deviceBasedPush`) are not eligible for the nudge, and
  Conditional Access policies on registering security information apply before it. It warns
  when it pushes Authenticator at joiners whose targets do not include it (a second, different
  ask beside Tapstart's reminders); otherwise it passes and says how the two interact.
- `mfa.system_preferred`: enabled passes; disabled warns (sign-in keeps asking for the user's
  default method, often SMS, after they registered the passwordless one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure, unreadable
from shared.doctor.result import CheckResult, passed, warned
from shared.domain.passwordless import Target

ALL_USERS = "all_users"
AUTHENTICATOR_TARGETS = frozenset({Target.PHONE_SIGN_IN, Target.AUTHENTICATOR_PASSKEY})
LEGACY = {
    "preMigration": "the migration has not started",
    "migrationInProgress": "the migration is in progress",
}


def check_migration(policy: Fetched | None) -> list[CheckResult]:
    name = "methods.migration"
    if policy is None:
        return []
    if isinstance(policy, ReadFailure):
        return [
            unreadable(
                name,
                "the authentication methods policy",
                policy,
                "Policy.Read.AuthenticationMethod",
            )
        ]
    state = policy.get("policyMigrationState")
    if state in LEGACY:
        return [
            warned(
                name,
                f"policyMigrationState is {state!r} ({LEGACY[state]}): the legacy MFA and SSPR "
                "policies still decide alongside the authentication methods policy, so a method "
                "one of them turns off can still be refused (or one this doctor checks as off "
                "still offered)",
                f"move the legacy settings and set Migration complete ({portal.AUTH_METHODS_MIGRATION})",
            )
        ]
    if state == "migrationComplete":
        return [
            passed(
                name,
                "migration complete: only the authentication methods policy decides which "
                "methods joiners may use",
            )
        ]
    return [passed(name, f"policyMigrationState not reported ({state!r})")]


def _campaign_reaches(campaign: Mapping[str, Any], group_ids: Sequence[str]) -> bool:
    excluded = {str(t.get("id")) for t in campaign.get("excludeTargets") or []}
    if excluded.intersection(group_ids):
        return False
    included = {str(t.get("id")) for t in campaign.get("includeTargets") or []}
    return ALL_USERS in included or bool(included.intersection(group_ids))


def _passwordless_mode(authenticator: Fetched | None, group_ids: Sequence[str]) -> bool:
    """Whether the Authenticator policy puts the joiners in Passwordless mode (deviceBasedPush)."""
    if not isinstance(authenticator, dict):
        return False
    targets = {str(t.get("id")): t for t in authenticator.get("includeTargets") or []}
    for group_id in group_ids:
        target = targets.get(group_id) or targets.get(ALL_USERS)
        if target and target.get("authenticationMode") == "deviceBasedPush":
            return True
    return False


def check_campaign(
    policy: Fetched | None,
    *,
    authenticator: Fetched | None,
    group_ids: Sequence[str],
    group_names: Mapping[str, str],
    targets: Sequence[Target],
) -> list[CheckResult]:
    name = "campaign.registration"
    if policy is None or isinstance(policy, ReadFailure):
        return []  # methods.migration reports the read
    campaign = (policy.get("registrationEnforcement") or {}).get(
        "authenticationMethodsRegistrationCampaign"
    ) or {}
    state = campaign.get("state", "default")
    label = ", ".join(group_names.get(g, g) for g in group_ids) or "the passwordless group"
    if state != "enabled":
        return [
            passed(
                name,
                f"registration campaign is {state!r} (off): Tapstart's reminders are the only "
                "nudge",
            )
        ]
    if not _campaign_reaches(campaign, group_ids):
        return [passed(name, f"registration campaign is on but does not target {label}")]
    snooze = int(campaign.get("snoozeDurationInDays", 1))
    every = "at every MFA" if snooze == 0 else f"again after {snooze} day(s) when snoozed"
    methods = sorted(
        {
            str(t.get("targetedAuthenticationMethod") or "microsoftAuthenticator")
            for t in campaign.get("includeTargets") or []
        }
    )
    nudges = f"nudges {label} after each MFA to set up {', '.join(methods)} ({every})"
    if "microsoftAuthenticator" in methods and not AUTHENTICATOR_TARGETS.intersection(targets):
        listed = ", ".join(t.value for t in targets)
        return [
            warned(
                name,
                f"registration campaign {nudges}, while TARGET_METHODS ({listed}) asks them for "
                "something else: two different asks in their first days",
                f"exclude {label} from the campaign ({portal.REGISTRATION_CAMPAIGN} → Exclude), "
                "or add phone_sign_in / authenticator_passkey to TARGET_METHODS",
            )
        ]
    if _passwordless_mode(authenticator, group_ids):
        return [
            passed(
                name,
                f"registration campaign on, but {label} are in Authenticator's Passwordless mode, "
                "which Microsoft leaves out of the nudge: Tapstart's reminders are their only "
                "nudge",
            )
        ]
    return [
        passed(
            name,
            f"registration campaign {nudges}, beside Tapstart's reminders; it skips joiners who "
            "already registered Authenticator",
        )
    ]


def check_system_preferred(report: Fetched) -> list[CheckResult]:
    name = "mfa.system_preferred"
    if isinstance(report, ReadFailure):
        return []  # report.readable says why
    rows = report.get("value") or []
    state = rows[0].get("isSystemPreferredAuthenticationMethodEnabled") if rows else None
    if state is True:
        return [
            passed(
                name,
                "system-preferred MFA is on: sign-in asks for the strongest method a user has "
                "(a passkey or Authenticator before SMS)",
            )
        ]
    if state is False:
        return [
            warned(
                name,
                "system-preferred MFA is off: sign-in keeps asking for each user's default "
                "method (often SMS or a call) after they registered the passwordless one",
                f"turn it on (Microsoft managed or Enabled): {portal.SYSTEM_PREFERRED_MFA}",
            )
        ]
    return [
        passed(name, "system-preferred MFA not determined (no registration report row to show it)")
    ]
