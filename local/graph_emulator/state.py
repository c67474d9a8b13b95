"""The emulated tenant, held in memory: users, groups, policies, apps, audit records.

Handlers read and mutate a ``Tenant``; JSON projections are cached on each object because the
report benchmark pages 100,000 users and must not rebuild them on every request.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .clock import Clock, directory_datetime

# Built-in role templates (ids are the real, well-known template ids).
ROLE_TEMPLATES: dict[str, str] = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
    "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Groups Administrator": "fdd7a751-b60b-444a-984c-02652fe8fa1c",
}


@dataclass
class RoleDefinition:
    """A directory role definition: a built-in one (its id is the role template id) or a
    custom one (``isBuiltIn`` false, any roleDefinitionId counts as a role)."""

    id: str
    display_name: str
    is_built_in: bool = True
    description: str | None = None

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description or f"Emulated role definition: {self.display_name}.",
            "displayName": self.display_name,
            "isBuiltIn": self.is_built_in,
            "isEnabled": True,
            "resourceScopes": ["/"],
            "templateId": self.id,
            "version": "1" if self.is_built_in else None,
            "rolePermissions": [],
        }


@dataclass
class RoleGrant:
    """An active role assignment or a PIM eligibility of one principal (a user or a
    role-assignable group) for a role definition at a scope: ``/`` (the tenant),
    ``/administrativeUnits/{id}`` or ``/{objectId}`` (one application, say)."""

    id: str
    role_definition_id: str
    directory_scope_id: str = "/"
    app_scope_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class GroupEligibility:
    """PIM for Groups: a principal eligible to activate membership or ownership of a group."""

    id: str
    group_id: str
    access_id: str  # member | owner
    start: datetime
    end: datetime | None = None


@dataclass
class DirectoryApp:
    """An application or a service principal; only what ``ownedObjects`` shows of it."""

    id: str
    kind: str  # application | servicePrincipal
    display_name: str
    app_id: str
    owners: dict[str, None] = field(default_factory=dict)

    def json(self, *, full: bool) -> dict[str, Any]:
        """Graph's limited view (type and id) unless the caller may read applications."""
        body: dict[str, Any] = {"@odata.type": f"#microsoft.graph.{self.kind}", "id": self.id}
        if full:
            body.update({"appId": self.app_id, "displayName": self.display_name})
            if self.kind == "servicePrincipal":
                body["servicePrincipalType"] = "Application"
        return body


PHONE_SIGN_IN_KIND = "microsoftAuthenticatorPasswordless"


@dataclass
class RegisteredMethod:
    """One registered sign-in method; ``kind`` is the report's ``methodsRegistered`` name.

    Microsoft Authenticator: ``microsoftAuthenticatorPush`` until the phone is registered for
    passwordless phone sign-in, then ``microsoftAuthenticatorPasswordless`` with
    ``phone_sign_in_at`` (when the device was registered; the registration time when the method
    was registered with phone sign-in at once). Passkeys carry the AAGUID they registered with
    (``None``: the kind's default, see ``passkeys.py``).
    """

    id: str
    kind: str
    created: datetime
    display_name: str | None = None
    platform: str | None = None  # "ios" or "android" (Authenticator's phone, passkey provider)
    aa_guid: str | None = None
    phone_sign_in_at: datetime | None = None
    device_registered_elsewhere: bool = False  # the phone's device object is in another tenant

    def __post_init__(self) -> None:
        if self.kind == PHONE_SIGN_IN_KIND and self.phone_sign_in_at is None:
            self.phone_sign_in_at = self.created

    @property
    def has_phone_sign_in(self) -> bool:
        return self.kind == PHONE_SIGN_IN_KIND

    @property
    def changed(self) -> datetime:
        """The latest change the registration report can show (registration, phone sign-in)."""
        return max(self.created, self.phone_sign_in_at or self.created)


@dataclass
class TemporaryAccessPass:
    id: str
    created: datetime
    start: datetime
    lifetime_minutes: int
    is_usable_once: bool
    passcode_sha256: str  # only a hash: the value itself lives in the create response alone
    used_at: datetime | None = None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.lifetime_minutes)

    def matches(self, passcode: str) -> bool:
        return hashlib.sha256(passcode.encode()).hexdigest() == self.passcode_sha256


@dataclass
class User:
    id: str
    user_principal_name: str
    display_name: str
    created: datetime
    given_name: str | None = None
    surname: str | None = None
    mail: str | None = None
    other_mails: list[str] = field(default_factory=list)
    employee_id: str | None = None
    employee_hire_date: datetime | None = None
    employee_type: str | None = None
    account_enabled: bool = True
    user_type: str = "Member"
    creation_type: str | None = None
    external_user_state: str | None = None
    preferred_language: str | None = None
    usage_location: str | None = None
    job_title: str | None = None
    department: str | None = None
    company_name: str | None = None
    mobile_phone: str | None = None
    office_location: str | None = None
    business_phones: list[str] = field(default_factory=list)
    manager_id: str | None = None
    roles: list[str] = field(default_factory=list)  # directory role display names
    # Privilege beyond ``roles``: assignments at any scope, PIM eligibilities (roles, groups).
    role_assignments: list[RoleGrant] = field(default_factory=list)
    role_eligibilities: list[RoleGrant] = field(default_factory=list)
    group_eligibilities: list[GroupEligibility] = field(default_factory=list)
    # signInActivity as Graph names it (lastSignInDateTime, lastNonInteractiveSignInDateTime,
    # lastSuccessfulSignInDateTime, datetimes); None: never signed in (Graph omits the property).
    sign_in_activity: dict[str, datetime] | None = None
    methods: list[RegisteredMethod] = field(default_factory=list)
    tap: TemporaryAccessPass | None = None
    password_created: datetime | None = None
    rev: int = 0  # bumped on every change, so cached projections know they are stale
    _json: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def is_external_guest(self) -> bool:
        # Internal guests (userType Guest, signing in by UPN) may get a TAP; invited ones may not.
        return self.user_type == "Guest" and (
            self.creation_type == "Invitation" or self.external_user_state is not None
        )

    def touch(self) -> None:
        self._json = None
        self.rev += 1

    def json(self) -> dict[str, Any]:
        """Every user property the emulator knows, as Graph names and formats them."""
        if self._json is None:
            hire = self.employee_hire_date
            self._json = {
                "id": self.id,
                "businessPhones": list(self.business_phones),
                "displayName": self.display_name,
                "givenName": self.given_name,
                "jobTitle": self.job_title,
                "mail": self.mail,
                "mobilePhone": self.mobile_phone,
                "officeLocation": self.office_location,
                "preferredLanguage": self.preferred_language,
                "surname": self.surname,
                "userPrincipalName": self.user_principal_name,
                "accountEnabled": self.account_enabled,
                "companyName": self.company_name,
                "createdDateTime": directory_datetime(self.created),
                "creationType": self.creation_type,
                "department": self.department,
                "employeeHireDate": directory_datetime(hire) if hire else None,
                "employeeId": self.employee_id,
                "employeeType": self.employee_type,
                "externalUserState": self.external_user_state,
                "mailNickname": self.user_principal_name.split("@")[0],
                "otherMails": list(self.other_mails),
                "usageLocation": self.usage_location,
                "userType": self.user_type,
                "signInActivity": sign_in_activity_json(self.sign_in_activity),
            }
        return self._json

    def signed_in(self, at: datetime, *, interactive: bool = True) -> None:
        """A successful sign-in (a TAP sign-in is an interactive one)."""
        activity = dict(self.sign_in_activity or {})
        activity["lastSignInDateTime" if interactive else "lastNonInteractiveSignInDateTime"] = at
        activity["lastSuccessfulSignInDateTime"] = at
        self.sign_in_activity = activity
        self.touch()


SIGN_IN_FIELDS = (
    "lastSignInDateTime",
    "lastNonInteractiveSignInDateTime",
    "lastSuccessfulSignInDateTime",
)


def sign_in_activity_json(activity: dict[str, datetime] | None) -> dict[str, Any] | None:
    """Graph's signInActivity: each date with its request id (null when it never happened)."""
    if not activity:
        return None
    body: dict[str, Any] = {}
    for name in SIGN_IN_FIELDS:
        at = activity.get(name)
        request = name.replace("DateTime", "RequestId")
        body[name] = directory_datetime(at) if at else None
        body[request] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{at}")) if at else None
    return body


USER_DEFAULT_PROPERTIES = (
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
)


@dataclass
class Group:
    id: str
    display_name: str
    created: datetime
    description: str | None = None
    group_types: list[str] = field(default_factory=list)
    membership_rule: str | None = None
    is_assignable_to_role: bool = False
    security_enabled: bool = True
    mail_enabled: bool = False
    mail: str | None = None
    mail_nickname: str | None = None
    members: dict[str, None] = field(default_factory=dict)  # ordered set of object ids
    owners: dict[str, None] = field(default_factory=dict)  # ordered set of user ids
    # A role-assignable group can hold roles (active or PIM-eligible) for its members.
    role_assignments: list[RoleGrant] = field(default_factory=list)
    role_eligibilities: list[RoleGrant] = field(default_factory=list)

    @property
    def is_dynamic(self) -> bool:
        return "DynamicMembership" in self.group_types

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "createdDateTime": directory_datetime(self.created),
            "description": self.description,
            "displayName": self.display_name,
            "groupTypes": list(self.group_types),
            # Graph: true for a group created role-assignable, null (not false) for the others.
            "isAssignableToRole": True if self.is_assignable_to_role else None,
            "mail": self.mail,
            "mailEnabled": self.mail_enabled,
            "mailNickname": self.mail_nickname or self.display_name.replace(" ", "").lower(),
            "membershipRule": self.membership_rule,
            "membershipRuleProcessingState": "On" if self.is_dynamic else None,
            "securityEnabled": self.security_enabled,
            "visibility": None,
        }


@dataclass
class App:
    client_id: str
    client_secret: str
    display_name: str
    roles: list[str]


@dataclass
class Settings:
    report_lag_seconds: float = 0.0
    # Entra ID licence of the tenant: "P2" (PIM works), "P1" (no PIM: eligibility reads are 400
    # AadPremiumLicenseRequired) or "Free" (no signInActivity either: 403).
    license: str = "P2"
    sspr_enabled: bool = True
    system_preferred_mfa_enabled: bool = True


@dataclass
class Tenant:
    id: str
    domain: str
    display_name: str
    clock: Clock
    settings: Settings = field(default_factory=Settings)
    users: dict[str, User] = field(default_factory=dict)
    upn_index: dict[str, str] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)
    role_definitions: dict[str, RoleDefinition] = field(default_factory=dict)
    applications: dict[str, DirectoryApp] = field(default_factory=dict)  # and service principals
    # The authenticationMethodsPolicy's own properties (policyMigrationState,
    # registrationEnforcement, reconfirmationInDays); its configurations are ``policies``.
    methods_policy: dict[str, Any] = field(default_factory=dict)
    conditional_access: list[dict[str, Any]] = field(default_factory=list)  # CA policies
    named_locations: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0  # bumped by every change that alters list/report membership or order

    def add_user(self, user: User) -> None:
        self.users[user.id] = user
        self.upn_index[user.user_principal_name.lower()] = user.id
        self.version += 1

    def find_user(self, key: str) -> User | None:
        """Graph addresses a user by object id or by userPrincipalName."""
        user = self.users.get(key)
        if user is None and "@" in key:
            user_id = self.upn_index.get(key.lower())
            user = self.users.get(user_id) if user_id else None
        return user

    def find_object(self, object_id: str) -> User | Group | None:
        return self.users.get(object_id) or self.groups.get(object_id)

    def principals(self) -> list[User | Group]:
        """Every object that can hold a role: users and groups (role-assignable ones only do)."""
        return [*self.users.values(), *self.groups.values()]

    def role_definition(self, key: str) -> RoleDefinition | None:
        """By id (any case) or by display name."""
        found = self.role_definitions.get(key.lower())
        if found is None:
            folded = key.casefold()
            found = next(
                (d for d in self.role_definitions.values() if d.display_name.casefold() == folded),
                None,
            )
        return found

    def groups_of(self, object_id: str, *, transitive: bool) -> list[Group]:
        direct = [g for g in self.groups.values() if object_id in g.members]
        if not transitive:
            return direct
        seen: dict[str, Group] = {}
        frontier = direct
        while frontier:
            nxt: list[Group] = []
            for group in frontier:
                if group.id not in seen:
                    seen[group.id] = group
                    nxt.extend(g for g in self.groups.values() if group.id in g.members)
            frontier = nxt
        return list(seen.values())

    def audit(
        self,
        activity: str,
        *,
        category: str,
        service: str,
        target: User | Group,
        initiated_by: dict[str, Any],
        operation: str = "Add",
        details: list[dict[str, str]] | None = None,
        result: str = "success",
        reason: str = "",
    ) -> None:
        target_json: dict[str, Any] = {
            "id": target.id,
            "displayName": target.display_name,
            "type": "User" if isinstance(target, User) else "Group",
            "userPrincipalName": target.user_principal_name if isinstance(target, User) else None,
            "groupType": None,
            "modifiedProperties": [],
        }
        self.audits.append(
            {
                "id": f"Directory_{uuid.uuid4()}",
                "category": category,
                "correlationId": str(uuid.uuid4()),
                "result": result,
                "resultReason": reason,
                "activityDisplayName": activity,
                "activityDateTime": self.clock.now(),
                "loggedByService": service,
                "operationType": operation,
                "initiatedBy": initiated_by,
                "targetResources": [target_json],
                "additionalDetails": details or [],
            }
        )


def app_initiator(app: App | None) -> dict[str, Any]:
    return {
        "user": None,
        "app": {
            "appId": app.client_id if app else None,
            "displayName": app.display_name if app else None,
            "servicePrincipalId": None,
            "servicePrincipalName": None,
        },
    }


def user_initiator(user: User) -> dict[str, Any]:
    return {
        "user": {
            "id": user.id,
            "displayName": user.display_name,
            "userPrincipalName": user.user_principal_name,
            "ipAddress": "127.0.0.1",
        },
        "app": None,
    }
