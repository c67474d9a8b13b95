"""A cheap probe of each Graph call Tapstart makes in production, with the app's own token. Pure.

`permissions.required` reads the token's `roles` claim; this check asks Graph itself, so a
permission granted under another name, a role-assignable passwordless group (adding members
then needs RoleManagement.ReadWrite.Directory), a licence Graph wants, or a consent not yet
propagated shows up before the first joiner fails. Every probe is a read, or a write that cannot
change anything: adding or removing a member that does not exist, deleting a TAP that does not
exist: such a write answers 404 (or 400) when the permission is there and 403 when it is not,
on the assumption that Graph checks the application permission before it looks the object up
(the emulator does; Microsoft does not document the order, and a Graph that looked first would
make these three probes pass without proving the write). Only the TAP's creation
is not probed (it would mint a pass): its permission is the one the TAP delete proves. Not
proven either: the extra RoleManagement.ReadWrite.Directory a role-assignable group wants for
member changes (whether Graph checks it before or after the missing member is not documented;
`group[...]` warns about such a group instead).

All probes go in one `$batch` (the same path the privilege read and the group add use), against
one real user (`GET /users?$top=1`) and the first passwordless group.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from shared.doctor import portal
from shared.doctor.fetched import Fetched, ReadFailure
from shared.doctor.result import CheckResult, failed, passed
from shared.domain.passwordless import Target

CHECK = "graph.calls"
FIRST_USER_PATH = "/users?$top=1&$select=id"
# Statuses that prove the call is authorised: the object may simply not exist (404), a
# licence-free PIM answer (400 AadPremiumLicenseRequired), a member that is already there (400).
AUTHORISED = frozenset({200, 201, 204, 400, 404})
NO_PREMIUM = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


@dataclass(frozen=True)
class Probe:
    id: str
    label: str  # the production call, as an admin reads it
    permission: str  # what grants it (least privileged)
    method: str
    url: str
    body: Mapping[str, Any] | None = None

    def request(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id, "method": self.method, "url": self.url}
        if self.body is not None:
            item["body"] = dict(self.body)
            item["headers"] = {"Content-Type": "application/json"}
        return item


def _eq(name: str, value: str) -> str:
    return quote(f"{name} eq '{value}'", safe="'()")


def probes(user_id: str, group_id: str, targets: Sequence[Target]) -> list[Probe]:
    """The calls to probe for this user and group (random ids where a write must not land)."""
    u, g = quote(user_id, safe=""), quote(group_id, safe="")
    nobody = str(uuid.uuid4())
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{nobody}"}
    found: list[Probe] = [
        Probe("memberOf", "read a joiner's groups (memberOf)", "User.Read.All", "GET",
              f"/users/{u}/memberOf?$select=id&$top=1"),
        Probe("transitive", "read group memberships through nesting (transitiveMemberOf)",
              "User.Read.All", "GET",
              f"/users/{u}/transitiveMemberOf?$select=id,isAssignableToRole,roleTemplateId&$top=1"),
        Probe("owned", "read owned objects (ownedObjects)", "User.Read.All", "GET",
              f"/users/{u}/ownedObjects?$select=id&$top=1"),
        Probe("manager", "read the manager", "User.Read.All", "GET",
              f"/users/{u}/manager?$select=id"),
        Probe("signIn", "read signInActivity", "AuditLog.Read.All (and Entra ID P1/P2)", "GET",
              f"/users/{u}?$select=id,signInActivity"),
        Probe("methods", "read registered methods", "UserAuthenticationMethod.Read.All", "GET",
              f"/users/{u}/authentication/methods"),
        Probe("tapDelete", "delete a TAP (the TAP write permission)",
              "UserAuthMethod-TAP.ReadWrite.All", "DELETE",
              f"/users/{u}/authentication/temporaryAccessPassMethods/{nobody}"),
        Probe("roles", "read role assignments", "RoleManagement.Read.Directory", "GET",
              f"/roleManagement/directory/roleAssignments?$filter={_eq('principalId', user_id)}"),
        Probe("eligible", "read PIM role eligibility", "RoleManagement.Read.Directory", "GET",
              "/roleManagement/directory/roleEligibilityScheduleInstances"
              f"?$filter={_eq('principalId', user_id)}"),
        Probe("groupEligible", "read PIM for Groups eligibility",
              "PrivilegedEligibilitySchedule.Read.AzureADGroup", "GET",
              "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
              f"?$filter={_eq('principalId', user_id)}"),
        Probe("checkGroups", "check group membership (checkMemberGroups)", "User.Read.All",
              "POST", f"/users/{u}/checkMemberGroups", {"groupIds": [group_id]}),
        Probe("groupAdd", "add a joiner to the passwordless group",
              "GroupMember.ReadWrite.All", "POST", f"/groups/{g}/members/$ref", ref),
        Probe("groupRemove", "take a withdrawn joiner out of the group",
              "GroupMember.ReadWrite.All", "DELETE", f"/groups/{g}/members/{nobody}/$ref"),
        Probe("audit", "read the audit log (registrations)", "AuditLog.Read.All", "GET",
              "/auditLogs/directoryAudits?$top=1&$filter="
              + quote("loggedByService eq 'Authentication Methods'", safe="'()")),
    ]  # fmt: skip
    if Target.PHONE_SIGN_IN in targets:
        found.append(
            Probe("devices", "read Authenticator devices ($expand=device)", "Device.Read.All",
                  "GET", f"/users/{u}/authentication/microsoftAuthenticatorMethods?$expand=device")
        )  # fmt: skip
    return found


def _refusal(probe: Probe, answer: Fetched | None) -> str | None:
    """Why Graph refused this call, or None when it answered as an authorised call does."""
    if answer is None:
        return f"{probe.label}: no answer"
    if not isinstance(answer, ReadFailure):
        return None
    if answer.status in AUTHORISED:
        return None
    if answer.code == NO_PREMIUM:
        return f"{probe.label}: {answer.describe()} (needs Microsoft Entra ID P1 or P2)"
    if answer.status in (401, 403):
        return f"{probe.label}: {answer.describe()} (needs {probe.permission})"
    return f"{probe.label}: {answer.describe()}"


def check_calls(
    first_user: Fetched | None,
    planned: Sequence[Probe],
    answers: Mapping[str, Fetched] | None,
) -> list[CheckResult]:
    """`first_user`: the `GET /users?$top=1` answer (None: not probed: the reader cannot
    `$batch`); `answers`: each probe's answer by id."""
    if first_user is None:
        return [passed(CHECK, "not probed (this Graph reader sends no $batch)")]
    if isinstance(first_user, ReadFailure):
        return [
            failed(
                CHECK,
                f"find joiners (GET /users): {first_user.describe()}",
                f"grant User.Read.All ({portal.API_PERMISSIONS})",
            )
        ]
    if not planned:
        return [passed(CHECK, "not probed: the tenant has no user to probe with")]
    refused = [r for p in planned if (r := _refusal(p, (answers or {}).get(p.id)))]
    if refused:
        return [
            failed(
                CHECK,
                f"{len(refused)} of {len(planned) + 1} calls Tapstart makes were refused: "
                + "; ".join(refused),
                f"grant what each names and admin consent ({portal.API_PERMISSIONS}); a licence "
                f"refusal needs {portal.LICENCES}",
            )
        ]
    return [
        passed(
            CHECK,
            f"all {len(planned) + 1} calls Tapstart makes answered with the granted permissions "
            "(TAP creation proven by deleting a TAP that does not exist; nothing changed)",
        )
    ]
