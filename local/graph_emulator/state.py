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
}


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
            }
        return self._json


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
            "isAssignableToRole": self.is_assignable_to_role,
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
