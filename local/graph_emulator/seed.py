"""Build a ``Tenant`` from a seed document (JSON) and generate large synthetic tenants.

Dates in a seed may be absolute ISO values or relative to start-up (``today+7d``, ``now-2h``),
so the demo tenant's "starts today" user starts today whenever the demo runs.
"""

from __future__ import annotations

import copy
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from .clock import Clock, parse_when
from .passkeys import PASSKEY_KINDS, is_guid, kind_for
from .privilege import (
    SpecError,
    app_from_spec,
    builtin_definitions,
    definition_from_spec,
    grants_from_specs,
    group_eligibility_from_spec,
)
from .state import (
    PHONE_SIGN_IN_KIND,
    SIGN_IN_FIELDS,
    App,
    Group,
    RegisteredMethod,
    Settings,
    Tenant,
    User,
)

TAP_POLICY_DEFAULT: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
    "id": "TemporaryAccessPass",
    "state": "enabled",
    "defaultLifetimeInMinutes": 60,
    "defaultLength": 8,
    "minimumLifetimeInMinutes": 60,
    "maximumLifetimeInMinutes": 480,
    "isUsableOnce": False,
    "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": False}],
    "excludeTargets": [],
}
NO_GROUP = "00000000-0000-0000-0000-000000000000"
AUTHENTICATOR_POLICY_DEFAULT: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
    "id": "MicrosoftAuthenticator",
    "state": "enabled",
    "isSoftwareOathEnabled": False,
    "includeTargets": [
        {
            "targetType": "group",
            "id": "all_users",
            "isRegistrationRequired": False,
            "authenticationMode": "any",
        }
    ],
    "excludeTargets": [],
    "featureSettings": {
        "displayAppInformationRequiredState": {
            "state": "default",
            "includeTarget": {"targetType": "group", "id": "all_users"},
            "excludeTarget": {"targetType": "group", "id": NO_GROUP},
        },
        "displayLocationInformationRequiredState": {
            "state": "default",
            "includeTarget": {"targetType": "group", "id": "all_users"},
            "excludeTarget": {"targetType": "group", "id": NO_GROUP},
        },
    },
}
POLICY_TYPES = {
    "TemporaryAccessPass": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
    "MicrosoftAuthenticator": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
    "Fido2": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
    "Email": "#microsoft.graph.emailAuthenticationMethodConfiguration",
    "Sms": "#microsoft.graph.smsAuthenticationMethodConfiguration",
    "SoftwareOath": "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
    "X509Certificate": "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration",
}


# The authenticationMethodsPolicy's own properties when a seed gives none: migration done, the
# registration campaign left at Microsoft's default (off) for Authenticator.
METHODS_POLICY_DEFAULT: dict[str, Any] = {
    "policyMigrationState": "migrationComplete",
    "registrationEnforcement": {
        "authenticationMethodsRegistrationCampaign": {
            "snoozeDurationInDays": 1,
            "state": "default",
            "excludeTargets": [],
            "includeTargets": [
                {
                    "id": "all_users",
                    "targetType": "group",
                    "targetedAuthenticationMethod": "microsoftAuthenticator",
                }
            ],
        }
    },
}


class SeedError(ValueError):
    pass


def load_tenant(seed: dict[str, Any], clock: Clock) -> Tenant:
    now = clock.now()
    info = seed.get("tenant") or {}
    settings = seed.get("settings") or {}
    tenant = Tenant(
        id=str(info.get("id", "11111111-2222-3333-4444-555555555555")),
        domain=str(info.get("domain", "contoso.example")),
        display_name=str(info.get("displayName", "Contoso (emulated)")),
        clock=clock,
        settings=Settings(
            report_lag_seconds=float(settings.get("reportLagSeconds", 0)),
            sspr_enabled=bool(settings.get("ssprEnabled", True)),
            system_preferred_mfa_enabled=bool(settings.get("systemPreferredMfaEnabled", True)),
            license=license_from(settings.get("license", "P2")),
        ),
    )
    tenant.role_definitions = builtin_definitions()
    for spec in seed.get("roleDefinitions", []):
        try:
            definition = definition_from_spec(spec)
        except SpecError as exc:
            raise SeedError(str(exc)) from None
        tenant.role_definitions[definition.id] = definition
    for app in seed.get("apps", []):
        tenant.apps[app["clientId"]] = App(
            client_id=app["clientId"],
            client_secret=app["clientSecret"],
            display_name=app.get("displayName", "Tapstart"),
            roles=list(app.get("roles", [])),
        )
    for spec in seed.get("users", []):
        tenant.add_user(user_from_spec(spec, tenant, now))
    resolve_managers(tenant, seed.get("users", []))
    for spec in seed.get("groups", []):
        group = group_from_spec(spec, now)
        for member in spec.get("members", []):
            target = tenant.find_user(member) or tenant.groups.get(member)
            if target is None:
                raise SeedError(f"group {group.display_name!r}: unknown member {member!r}")
            group.members[target.id] = None
        tenant.groups[group.id] = group
        add_group_privilege(tenant, group, spec, now)
    _load_ownership_and_eligibility(tenant, seed, now)
    tenant.policies = {
        "TemporaryAccessPass": copy.deepcopy(TAP_POLICY_DEFAULT),
        "MicrosoftAuthenticator": copy.deepcopy(AUTHENTICATOR_POLICY_DEFAULT),
    }
    for policy_id, policy in (seed.get("policies") or {}).items():
        merged = {**tenant.policies.get(policy_id, {}), **copy.deepcopy(policy), "id": policy_id}
        merged.setdefault(
            "@odata.type",
            POLICY_TYPES.get(policy_id, "#microsoft.graph.authenticationMethodConfiguration"),
        )
        tenant.policies[policy_id] = merged
    _load_policy_and_access(tenant, seed, now)
    if seed.get("generate"):
        generate_users(tenant, seed["generate"])
    return tenant


def _load_policy_and_access(tenant: Tenant, seed: dict[str, Any], now: datetime) -> None:
    """The methods policy's own properties (``authenticationMethodsPolicy``, checked as a PATCH
    would be) and the Conditional Access policies and named locations (``conditionalAccess``)."""
    from .conditional_access import named_location_from_spec, policy_from_spec
    from .errors import GraphError
    from .policy_rules import apply_methods_policy

    try:
        tenant.methods_policy = apply_methods_policy(
            copy.deepcopy(METHODS_POLICY_DEFAULT), seed.get("authenticationMethodsPolicy") or {}
        )
    except GraphError as exc:
        raise SeedError(f"authenticationMethodsPolicy: {exc.message}") from None
    access = seed.get("conditionalAccess") or {}
    try:
        tenant.named_locations = [
            named_location_from_spec(spec, now) for spec in access.get("namedLocations", [])
        ]
        tenant.conditional_access = [
            policy_from_spec(spec, now) for spec in access.get("policies", [])
        ]
    except SpecError as exc:
        raise SeedError(f"conditionalAccess: {exc}") from None


def _load_ownership_and_eligibility(tenant: Tenant, seed: dict[str, Any], now: datetime) -> None:
    """Applications and service principals (with owners), then the users' PIM for Groups
    eligibilities: both need the users and groups loaded first."""
    try:
        for kind, key in (
            ("application", "applications"),
            ("servicePrincipal", "servicePrincipals"),
        ):
            for spec in seed.get(key, []):
                app = app_from_spec(tenant, spec, kind)
                tenant.applications[app.id] = app
        for spec in seed.get("users", []):
            user = tenant.find_user(spec.get("id") or spec["userPrincipalName"])
            if user is not None:
                add_group_eligibilities(tenant, user, spec, now)
    except SpecError as exc:
        raise SeedError(str(exc)) from None


def user_from_spec(spec: dict[str, Any], tenant: Tenant, now: datetime) -> User:
    upn = spec.get("userPrincipalName")
    if not upn:
        raise SeedError(f"user without userPrincipalName: {spec!r}")
    user_id = str(spec.get("id") or uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant.id}/{upn.lower()}"))
    if user_id in tenant.users or upn.lower() in tenant.upn_index:
        raise SeedError(f"duplicate user {upn!r}")

    def when(key: str) -> datetime | None:
        return parse_when(spec[key], now) if spec.get(key) else None

    user = User(
        id=user_id,
        user_principal_name=upn,
        display_name=spec.get("displayName", upn.split("@")[0]),
        created=when("createdDateTime") or now - timedelta(days=30),
        given_name=spec.get("givenName"),
        surname=spec.get("surname"),
        mail=spec.get("mail", upn),
        other_mails=list(spec.get("otherMails", [])),
        employee_id=spec.get("employeeId"),
        employee_hire_date=when("employeeHireDate"),
        employee_type=spec.get("employeeType"),
        account_enabled=bool(spec.get("accountEnabled", True)),
        user_type=spec.get("userType", "Member"),
        creation_type=spec.get("creationType"),
        external_user_state=spec.get("externalUserState"),
        preferred_language=spec.get("preferredLanguage"),
        usage_location=spec.get("usageLocation"),
        job_title=spec.get("jobTitle"),
        department=spec.get("department"),
        company_name=spec.get("companyName"),
        mobile_phone=spec.get("mobilePhone"),
        office_location=spec.get("officeLocation"),
        business_phones=list(spec.get("businessPhones", [])),
        roles=list(spec.get("directoryRoles", [])),
        password_created=when("passwordCreatedDateTime"),
        sign_in_activity=sign_in_activity_from(spec.get("signInActivity"), now),
    )
    try:
        user.role_assignments = grants_from_specs(
            tenant, spec.get("roleAssignments"), user, now, "assignment"
        )
        user.role_eligibilities = grants_from_specs(
            tenant, spec.get("roleEligibilities"), user, now, "eligibility"
        )
    except SpecError as exc:
        raise SeedError(f"user {upn!r}: {exc}") from None
    for index, method in enumerate(spec.get("methods", [])):
        user.methods.append(
            method_from_spec(
                method, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user_id}/m{index}")), now
            )
        )
    return user


def method_from_spec(
    spec: str | dict[str, Any], default_id: str, now: datetime
) -> RegisteredMethod:
    """``"kind"`` or ``{"type", "id", "registeredDateTime", "displayName", "platform",
    "aaGuid", "phoneSignInDateTime", "deviceRegisteredElsewhere"}``. A passkey's type follows
    its AAGUID, as a registration's does."""
    spec = {"type": spec} if isinstance(spec, str) else spec
    kind = str(spec["type"])
    created = parse_when(spec.get("registeredDateTime", "now-10d"), now)
    aa_guid = spec.get("aaGuid")
    if aa_guid is not None:
        if kind not in PASSKEY_KINDS or not is_guid(aa_guid):
            raise SeedError(f"method {spec!r}: aaGuid must be a GUID on a passkey method")
        aa_guid = str(aa_guid).lower()
        kind = kind_for(kind, aa_guid)
    phone_sign_in = spec.get("phoneSignInDateTime")
    if phone_sign_in and kind == "microsoftAuthenticatorPush":
        kind = PHONE_SIGN_IN_KIND  # push registered first, phone sign-in enabled later
    return RegisteredMethod(
        id=str(spec.get("id") or default_id),
        kind=kind,
        created=created,
        display_name=spec.get("displayName"),
        platform=spec.get("platform"),
        aa_guid=aa_guid,
        phone_sign_in_at=parse_when(phone_sign_in, now) if phone_sign_in else None,
        device_registered_elsewhere=bool(spec.get("deviceRegisteredElsewhere", False)),
    )


LICENSES = ("P2", "P1", "Free")


def license_from(value: Any) -> str:
    for known in LICENSES:
        if str(value).lower() == known.lower():
            return known
    raise SeedError(f"license {value!r}: one of {', '.join(LICENSES)}")


def sign_in_activity_from(spec: Any, now: datetime) -> dict[str, datetime] | None:
    """``{"lastSignInDateTime": "now-3d", "lastNonInteractiveSignInDateTime": …,
    "lastSuccessfulSignInDateTime": …}`` (any of them); null or empty: never signed in."""
    if not spec:
        return None
    if not isinstance(spec, dict) or set(spec) - set(SIGN_IN_FIELDS):
        raise SeedError(f"signInActivity {spec!r}: only {', '.join(SIGN_IN_FIELDS)}")
    return {k: parse_when(str(v), now) for k, v in spec.items() if v}


def add_group_eligibilities(
    tenant: Tenant, user: User, spec: dict[str, Any], now: datetime
) -> None:
    """PIM for Groups eligibilities, once the groups exist (``groupEligibilities``)."""
    items = spec.get("groupEligibilities")
    if items is not None:
        user.group_eligibilities = [
            group_eligibility_from_spec(tenant, item, user.id, now) for item in items
        ]


def add_group_privilege(tenant: Tenant, group: Group, spec: dict[str, Any], now: datetime) -> None:
    """A group's ``owners`` and, for a role-assignable group, its ``roleAssignments`` and
    ``roleEligibilities``."""
    try:
        for owner in spec.get("owners", []):
            user = tenant.find_user(str(owner))
            if user is None:
                raise SpecError(f"group {group.display_name!r}: unknown owner {owner!r}")
            group.owners[user.id] = None
        if "roleAssignments" in spec:
            group.role_assignments = grants_from_specs(
                tenant, spec["roleAssignments"], group, now, "assignment"
            )
        if "roleEligibilities" in spec:
            group.role_eligibilities = grants_from_specs(
                tenant, spec["roleEligibilities"], group, now, "eligibility"
            )
    except SpecError as exc:
        raise SeedError(str(exc)) from None


def resolve_managers(tenant: Tenant, specs: list[dict[str, Any]]) -> None:
    for spec in specs:
        if not spec.get("manager"):
            continue
        user = tenant.find_user(spec.get("id") or spec["userPrincipalName"])
        manager = tenant.find_user(spec["manager"])
        if user is None or manager is None:
            raise SeedError(
                f"unknown manager {spec['manager']!r} for {spec['userPrincipalName']!r}"
            )
        user.manager_id = manager.id


def group_from_spec(spec: dict[str, Any], now: datetime) -> Group:
    return Group(
        id=str(spec.get("id") or uuid.uuid5(uuid.NAMESPACE_URL, spec["displayName"])),
        display_name=spec["displayName"],
        created=parse_when(spec.get("createdDateTime", "now-90d"), now),
        description=spec.get("description"),
        group_types=list(spec.get("groupTypes", [])),
        membership_rule=spec.get("membershipRule"),
        is_assignable_to_role=bool(spec.get("isAssignableToRole", False)),
        security_enabled=bool(spec.get("securityEnabled", True)),
        mail_enabled=bool(spec.get("mailEnabled", False)),
        mail=spec.get("mail"),
        mail_nickname=spec.get("mailNickname"),
    )


_FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gita", "Hugo", "Ines", "Jon", "Kai", "Lea"]
_LAST = ["Ng", "Okafor", "Petit", "Quinn", "Rossi", "Sato", "Tan", "Urbina", "Vogel", "Weiss"]
_ENROLMENTS = (
    ["microsoftAuthenticatorPush"],
    ["microsoftAuthenticatorPasswordless"],
    ["microsoftAuthenticatorPush", "mobilePhone"],
    ["passKeyDeviceBound"],
    ["mobilePhone"],
)


def generate_users(tenant: Tenant, spec: dict[str, Any]) -> int:
    """Add ``users`` synthetic users quickly (the report benchmark needs 100,000).

    ``{"users": N, "seed": 1, "enrolledFraction": 0.6, "disabledFraction": 0.02,
    "guestFraction": 0.03, "adminFraction": 0.005, "prefix": "gen"}``
    """
    count = int(spec.get("users", 0))
    rng = random.Random(spec.get("seed", 1))
    enrolled = float(spec.get("enrolledFraction", 0.6))
    disabled = float(spec.get("disabledFraction", 0.02))
    guests = float(spec.get("guestFraction", 0.03))
    admins = float(spec.get("adminFraction", 0.005))
    prefix = str(spec.get("prefix", "gen"))
    start = len(tenant.users)
    now = tenant.clock.now()
    day = timedelta(days=1)
    random_ = rng.random  # the loop is hot: 100,000 users should take about a second
    users, index = tenant.users, tenant.upn_index
    for n in range(start, start + count):
        first = _FIRST[int(random_() * len(_FIRST))]
        last = _LAST[int(random_() * len(_LAST))]
        h = f"{rng.getrandbits(128):032x}"
        user_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:]}"
        guest = random_() < guests
        upn = (
            f"{prefix}{n}_partner.example#EXT#@{tenant.domain}"
            if guest
            else f"{prefix}{n}@{tenant.domain}"
        )
        created = now - day * int(1 + random_() * 2000)
        user = User(
            id=user_id,
            user_principal_name=upn,
            display_name=f"{first} {last} {n}",
            created=created,
            given_name=first,
            surname=last,
            mail=upn if not guest else f"{prefix}{n}@partner.example",
            employee_id=None if guest else f"G{n:07d}",
            account_enabled=random_() >= disabled,
            user_type="Guest" if guest else "Member",
            creation_type="Invitation" if guest else None,
            roles=["User Administrator"] if random_() < admins else [],
        )
        if random_() < enrolled:
            registered = min(created + day * int(random_() * 30), now)
            kinds = _ENROLMENTS[int(random_() * len(_ENROLMENTS))]
            user.methods = [
                RegisteredMethod(f"{user_id[:-2]}{i:02x}", kind, registered)
                for i, kind in enumerate(kinds)
            ]
        users[user_id] = user
        index[upn.lower()] = user_id
    tenant.version += 1
    return count
