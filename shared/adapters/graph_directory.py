"""The Directory port on Microsoft Graph.

Request budget per joiner (see docs/performance.md): find the user with its sign-in activity
(1), one $batch with roles, methods, manager and the privilege read's first round (1; more only
for the roles of role-assignable groups the user is in, and for further pages), the group add
(shared: up to 20 joiners per PATCH), the TAP (1). The TAP policy is cached per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from shared.adapters.graph_groups import GroupAddBatcher
from shared.adapters.graph_privilege import PrivilegeReader
from shared.adapters.graph_raw import GraphRaw, GraphRequestError
from shared.domain.directory import DirectoryUser, GroupInfo, IssuedTap, Manager, TapPolicy
from shared.domain.errors import PermanentError, TapstartError, TransientError
from shared.domain.graph_time import parse_graph_time
from shared.domain.passwordless import MethodKind, SignInMethod, method_from_json, with_devices
from shared.domain.privilege import Privilege
from shared.domain.registration import REGISTRATION_SELECT, RegistrationRow, row_from_json
from shared.domain.registration_activity import AUDIT_SERVICE, RegistrationEvent, event_from_json
from shared.domain.registration_fallback import REPORT_UNLICENSED, row_from_methods

USER_FIELDS = (
    "id,userPrincipalName,employeeId,displayName,givenName,accountEnabled,userType,"
    "createdDateTime,mail,otherMails,preferredLanguage,creationType,externalUserState"
)
# The manager as a TAP recipient (shared.domain.recipient): enabled, a member, not external.
MANAGER_FIELDS = (
    "id,displayName,mail,preferredLanguage,accountEnabled,userType,creationType,"
    "externalUserState,userPrincipalName"
)
# signInActivity (Entra ID P1/P2 and AuditLog.Read.All) is returned only on $select. Selecting
# it is fine with the find's $filter on employeeId/UPN: only a $filter *on* signInActivity cannot
# be combined with other properties, and a listing that selects it pages at 120 (user resource,
# v1.0), which a one-user answer never reaches. A tenant without P1 answers 403: that fails
# closed like any refusal (an account that may have been used must not look unused).
FIND_FIELDS = USER_FIELDS + ",signInActivity"
SIGN_IN_FIELDS = (
    "lastSignInDateTime",
    "lastNonInteractiveSignInDateTime",
    "lastSuccessfulSignInDateTime",
)
_POLICY_TTL_SECONDS = 600.0
REPORT_PAGE_SIZE = 999
# Users whose methods the no-licence report read fetches at once.
MEMBER_READS_AT_ONCE = 10
# Per-request SDK retries for a report page (kiota's maximum; the client default is 3): with the
# reports throttle's short Retry-After this rides out a burst of 429s.
REPORT_RETRIES = 10
_TAP_POLICY = (
    "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
)

# Where Graph v1.0 keeps each kind of registered method, under /users/{id}/authentication/:
# DELETE …/<collection>/{methodId} removes one. A password (and a kind Tapstart does not know)
# has no such collection: asking to delete it is a programming error, never a Graph call.
METHOD_COLLECTIONS: dict[MethodKind, str] = {
    MethodKind.AUTHENTICATOR: "microsoftAuthenticatorMethods",
    MethodKind.FIDO2: "fido2Methods",
    MethodKind.WINDOWS_HELLO: "windowsHelloForBusinessMethods",
    MethodKind.PHONE: "phoneMethods",
    MethodKind.EMAIL: "emailMethods",
    MethodKind.OATH: "softwareOathMethods",
    MethodKind.TAP: "temporaryAccessPassMethods",
}


def _odata_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def is_external(data: dict[str, Any]) -> bool:
    """An external (B2B) account, whatever its userType: `#EXT#` in the UPN, invited
    (`creationType` Invitation) or an `externalUserState`. One rule for joiners and managers."""
    upn = str(data.get("userPrincipalName") or "")
    return (
        "#EXT#" in upn.upper()
        or data.get("creationType") == "Invitation"
        or bool(data.get("externalUserState"))
    )


def last_sign_in_from(activity: Any) -> datetime | None:
    """The latest of signInActivity's sign-in times Graph has; None when it has none."""
    if not isinstance(activity, dict):
        return None
    times = [parse_graph_time(activity.get(name)) for name in SIGN_IN_FIELDS]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def manager_from_json(data: dict[str, Any]) -> Manager:
    return Manager(
        data["id"],
        data.get("displayName"),
        data.get("mail"),
        data.get("preferredLanguage"),
        account_enabled=data.get("accountEnabled") is True,  # unknown is not enabled
        user_type=data.get("userType") or "Member",
        external=is_external(data),
    )


def user_from_json(data: dict[str, Any]) -> DirectoryUser:
    user_type = data.get("userType") or "Member"
    upn = data.get("userPrincipalName") or ""
    return DirectoryUser(
        id=data["id"],
        user_principal_name=upn,
        employee_id=data.get("employeeId"),
        display_name=data.get("displayName"),
        given_name=data.get("givenName"),
        account_enabled=bool(data.get("accountEnabled", True)),
        user_type=user_type,
        created=parse_graph_time(data.get("createdDateTime")),
        mail=data.get("mail"),
        other_mails=tuple(data.get("otherMails") or ()),
        preferred_language=data.get("preferredLanguage"),
        external=is_external(data),
        last_sign_in=last_sign_in_from(data.get("signInActivity")),
    )


def policy_from_json(data: dict[str, Any]) -> TapPolicy:
    includes = [t.get("id", "") for t in data.get("includeTargets") or []]
    return TapPolicy(
        enabled=data.get("state") == "enabled",
        min_lifetime_minutes=int(data.get("minimumLifetimeInMinutes", 60)),
        max_lifetime_minutes=int(data.get("maximumLifetimeInMinutes", 480)),
        default_lifetime_minutes=int(data.get("defaultLifetimeInMinutes", 60)),
        default_length=int(data.get("defaultLength", 8)),
        is_usable_once=bool(data.get("isUsableOnce", False)),
        include_all_users="all_users" in includes,
        include_group_ids=tuple(i for i in includes if i != "all_users"),
        exclude_group_ids=tuple(t.get("id", "") for t in data.get("excludeTargets") or []),
    )


# What Graph answers a tenant without Entra ID P1/P2 for the registration report (403).
UNLICENSED_REPORT_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


class GraphDirectory:
    def __init__(
        self, client: Any, base_url: str, *, protected_group_ids: tuple[str, ...] = ()
    ) -> None:
        self._client = client
        self.raw = GraphRaw(client, base_url)
        self._privilege_reader = PrivilegeReader(self.raw, protected_group_ids)
        # Per attempt (`forget` drops it): the privilege, or why it could not be read.
        self._privileges: dict[str, Privilege | TapstartError] = {}
        self._groups = GroupAddBatcher(self.raw)
        self._policy: tuple[float, TapPolicy] | None = None
        self._policy_lock = asyncio.Lock()
        self._user_reads: dict[str, dict[str, tuple[int, Any]]] = {}
        self._groups_info: dict[str, tuple[float, GroupInfo]] = {}
        self._groups_lock = asyncio.Lock()

    async def aclose(self) -> None:
        """Send the group adds still waiting for their flush; the client is closed by its owner."""
        await self._groups.aclose()

    async def _get(self, path: str, what: str) -> Any:
        try:
            return await self.raw.request("GET", path)
        except GraphRequestError as exc:
            raise exc.as_tapstart_error(what) from exc

    async def find_user(self, employee_id: str, upn: str | None) -> DirectoryUser | None:
        filters = [f"employeeId eq {_odata_literal(employee_id)}"]
        if upn:
            filters.append(f"userPrincipalName eq {_odata_literal(upn)}")
        for expr in filters:
            page = await self._get(
                f"/users?$filter={quote(expr)}&$select={FIND_FIELDS}", "find user"
            )
            values = page.get("value") or []
            if values:
                return user_from_json(values[0])
        return None

    async def find_user_by_upn(self, upn: str) -> DirectoryUser | None:
        expr = f"userPrincipalName eq {_odata_literal(upn)}"
        try:
            page = await self.raw.request(
                "GET", f"/users?$filter={quote(expr)}&$select={FIND_FIELDS}"
            )
        except GraphRequestError as exc:
            if exc.status == 404:
                return None
            raise exc.as_tapstart_error("find user by UPN") from exc
        values = (page or {}).get("value") or []
        return user_from_json(values[0]) if values else None

    async def _user_reads_for(
        self, user_id: str, *, with_privilege: bool = False
    ) -> dict[str, tuple[int, Any]]:
        """Roles, methods and manager in one $batch; kept briefly so the three getters share it.
        `with_privilege`: the privilege read's first round rides in the same $batch."""
        cached = self._user_reads.get(user_id)
        if cached is None:
            uid = quote(user_id)
            requests = [
                {
                    "id": "roles",
                    "method": "GET",
                    "url": f"/users/{uid}/memberOf?$select=id,displayName&$top=999",
                },
                {"id": "methods", "method": "GET", "url": f"/users/{uid}/authentication/methods"},
                {
                    "id": "manager",
                    "method": "GET",
                    "url": f"/users/{uid}/manager?$select={MANAGER_FIELDS}",
                },
            ]
            if with_privilege and user_id not in self._privileges:
                privilege, cached = await self._privilege_reader.read_with(
                    user_id, requests, "read user details"
                )
                self._keep_privilege(user_id, privilege)
            else:
                try:
                    cached = await self.raw.batch(requests)
                except GraphRequestError as exc:
                    raise exc.as_tapstart_error("read user details") from exc
            self._user_reads[user_id] = cached
            if len(self._user_reads) > 256:
                self._user_reads.pop(next(iter(self._user_reads)))
        return cached

    def forget(self, user_id: str) -> None:
        self._user_reads.pop(user_id, None)
        self._privileges.pop(user_id, None)

    def _keep_privilege(self, user_id: str, privilege: Privilege | TapstartError) -> None:
        self._privileges[user_id] = privilege
        if len(self._privileges) > 256:
            self._privileges.pop(next(iter(self._privileges)))

    async def _item(self, user_id: str, item: str, *, with_privilege: bool = False) -> Any:
        status, body = (await self._user_reads_for(user_id, with_privilege=with_privilege))[item]
        if status == 404 and item == "manager":
            return None
        if status >= 400:
            self.forget(user_id)
            err = (body or {}).get("error", {}) if isinstance(body, dict) else {}
            raise GraphRequestError(
                status, err.get("code", ""), err.get("message", "")
            ).as_tapstart_error(item)
        return body

    async def is_admin(self, user_id: str) -> bool:
        """A quick yes from the user's one $batch (roles, methods, manager and the privilege
        read's first round): a directory role among the direct memberships, or an active or
        eligible role. Onboarding decides on `privilege`, the complete, fail-closed answer."""
        body = await self._item(user_id, "roles", with_privilege=True)
        known = self._privileges.get(user_id)
        held = isinstance(known, Privilege) and bool(known.active_roles or known.eligible_roles)
        return held or any(
            o.get("@odata.type") == "#microsoft.graph.directoryRole" for o in body.get("value", [])
        )

    async def privilege(self, user_id: str) -> Privilege:
        """Every page of assignments, eligibility, memberships and ownership, read once per
        attempt (`forget` drops it); any read error raises (shared.adapters.graph_privilege)."""
        if user_id not in self._privileges:  # its first round rides in the user's $batch
            await self._user_reads_for(user_id, with_privilege=True)
        known = self._privileges.get(user_id)
        if known is None:  # the user's other reads were cached already: read it on its own
            try:
                known = await self._privilege_reader.read(user_id)
            except TapstartError as exc:
                known = exc
            self._keep_privilege(user_id, known)
        if isinstance(known, TapstartError):
            raise known
        return known

    async def direct_group_ids(self, user_id: str) -> list[str]:
        """Groups the user is a direct member of (from the same $batch as the roles)."""
        body = await self._item(user_id, "roles")
        return [
            str(o["id"])
            for o in body.get("value", [])
            if o.get("@odata.type") == "#microsoft.graph.group"
        ]

    async def method_types(self, user_id: str) -> list[str]:
        body = await self._item(user_id, "methods")
        return [str(m.get("@odata.type", "")) for m in body.get("value", [])]

    async def sign_in_methods(self, user_id: str) -> tuple[SignInMethod, ...]:
        body = await self._get(
            f"/users/{quote(user_id)}/authentication/methods", "read sign-in methods"
        )
        return tuple(method_from_json(m) for m in (body or {}).get("value") or ())

    async def phone_sign_in_devices(self, user_id: str) -> dict[str, bool]:
        # `device` is a relationship: only $expand returns it, null unless the phone is
        # registered for phone sign-in. A missing key means "cannot tell": not phone sign-in.
        body = await self._get(
            f"/users/{quote(user_id)}/authentication/microsoftAuthenticatorMethods?$expand=device",
            "read Authenticator devices",
        )
        return {
            str(m.get("id")): isinstance(m.get("device"), dict)
            for m in (body or {}).get("value") or ()
        }

    async def _delete(self, path: str, what: str, user_id: str) -> bool:
        """DELETE one thing of a user's; False when it was already gone (404)."""
        try:
            await self.raw.request("DELETE", path)
        except GraphRequestError as exc:
            if exc.status == 404:
                return False
            raise exc.as_tapstart_error(what) from exc
        self.forget(user_id)
        return True

    async def delete_tap(self, user_id: str, tap_id: str) -> bool:
        path = f"/users/{quote(user_id)}/authentication/temporaryAccessPassMethods/{quote(tap_id)}"
        return await self._delete(path, "delete TAP", user_id)

    async def delete_method(self, user_id: str, method: SignInMethod) -> bool:
        """Delete one registered method from its kind's collection; False when it was gone."""
        collection = METHOD_COLLECTIONS.get(method.kind)
        if collection is None:
            raise ValueError(f"a {method.kind.value} sign-in method cannot be deleted")
        path = f"/users/{quote(user_id)}/authentication/{collection}/{quote(method.id, safe='')}"
        return await self._delete(path, "delete sign-in method", user_id)

    async def remove_from_group(self, group_id: str, user_id: str) -> bool:
        path = f"/groups/{quote(group_id)}/members/{quote(user_id)}/$ref"
        return await self._delete(path, "remove group member", user_id)

    async def registration_events(self, since: datetime) -> list[RegistrationEvent]:
        expr = (
            f"loggedByService eq '{AUDIT_SERVICE}' and activityDateTime ge "
            f"{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        )
        url: str | None = (
            f"/auditLogs/directoryAudits?$filter={quote(expr)}"
            "&$select=activityDisplayName,activityDateTime,result,resultReason,additionalDetails"
            "&$top=500"
        )
        events: list[RegistrationEvent] = []
        while url:
            page = await self._get(url, "read the audit log")
            for entry in (page or {}).get("value") or ():
                event = event_from_json(entry)
                if event is not None:
                    events.append(event)
            url = (page or {}).get("@odata.nextLink")
        return events

    async def get_manager(self, user_id: str) -> Manager | None:
        body = await self._item(user_id, "manager")
        if not body:
            return None
        return manager_from_json(body)

    async def add_to_groups(self, user_ids: list[str], group_id: str) -> dict[str, str]:
        results = await asyncio.gather(*(self._groups.add(group_id, uid) for uid in user_ids))
        return dict(zip(user_ids, results, strict=True))

    async def tap_policy(self) -> TapPolicy:
        async with self._policy_lock:
            if self._policy and time.monotonic() - self._policy[0] < _POLICY_TTL_SECONDS:
                return self._policy[1]
            policy = policy_from_json(await self._get(_TAP_POLICY, "read TAP policy"))
            self._policy = (time.monotonic(), policy)
            return policy

    async def group_ids_of(self, user_id: str, candidates: list[str]) -> list[str]:
        if not candidates:
            return []
        try:
            body = await self.raw.request(
                "POST", f"/users/{quote(user_id)}/checkMemberGroups", {"groupIds": candidates[:20]}
            )
        except GraphRequestError as exc:
            raise exc.as_tapstart_error("check group membership") from exc
        return [str(g) for g in body.get("value", [])]

    async def create_tap(
        self, user_id: str, start: datetime | None, lifetime: int, one_time: bool
    ) -> IssuedTap:
        body: dict[str, Any] = {"lifetimeInMinutes": lifetime, "isUsableOnce": one_time}
        if start is not None:
            body["startDateTime"] = start.isoformat()
        path = f"/users/{quote(user_id)}/authentication/temporaryAccessPassMethods"
        try:
            created = await self.raw.request("POST", path, body)
        except GraphRequestError as exc:
            raise _tap_error(exc) from exc
        self.forget(user_id)
        tap_id = created.get("id") if isinstance(created, dict) else None
        passcode = created.get("temporaryAccessPass") if isinstance(created, dict) else None
        if not (isinstance(tap_id, str) and tap_id and isinstance(passcode, str) and passcode):
            # Nothing to deliver: take back a pass Graph may have made, and never echo the body
            # (it may hold the passcode) into the error.
            if isinstance(tap_id, str) and tap_id:
                with contextlib.suppress(Exception):
                    await self.delete_tap(user_id, tap_id)
            raise PermanentError(
                "tap_create_failed",
                "Graph answered the TAP request without the pass's id or value; no TAP was "
                "delivered and one it may have created was deleted",
            )
        return IssuedTap(
            id=tap_id,
            passcode=passcode,
            start=parse_graph_time(created.get("startDateTime"))
            or parse_graph_time(created.get("createdDateTime"))
            or datetime.now().astimezone(),
            lifetime_minutes=int(created.get("lifetimeInMinutes", lifetime)),
            one_time=bool(created.get("isUsableOnce", one_time)),
        )

    async def group_info(self, group_id: str) -> GroupInfo:
        async with self._groups_lock:  # concurrent first joiners share one read
            cached = self._groups_info.get(group_id)
            if cached and time.monotonic() - cached[0] < _POLICY_TTL_SECONDS:
                return cached[1]
            return await self._read_group(group_id)

    async def _read_group(self, group_id: str) -> GroupInfo:
        data = await self._get(
            f"/groups/{quote(group_id)}?$select=id,displayName,groupTypes,membershipRule,"
            "isAssignableToRole,securityEnabled",
            "read group",
        )
        info = GroupInfo(
            id=data["id"],
            display_name=data.get("displayName") or data["id"],
            dynamic="DynamicMembership" in (data.get("groupTypes") or []),
            role_assignable=bool(data.get("isAssignableToRole")),
            security_enabled=bool(data.get("securityEnabled")),
        )
        self._groups_info[group_id] = (time.monotonic(), info)
        return info

    async def registration_pages(self) -> AsyncIterator[list[RegistrationRow]]:
        """userRegistrationDetails, page by page, parsed from raw JSON (no SDK models).

        The reports API allows 5 requests per 10 s per app and tenant: each page gets more of the
        SDK's own retries (429/503/504, waiting as `Retry-After` says) than other reads, and no
        loop of ours on top. A 429 or 5xx still there after them ends the read (TransientError).
        """
        url: str | None = (
            "/reports/authenticationMethods/userRegistrationDetails"
            f"?$select={','.join(REGISTRATION_SELECT)}&$top={REPORT_PAGE_SIZE}"
        )
        while url:
            try:
                page = await self.raw.request("GET", url, retries=REPORT_RETRIES)
            except GraphRequestError as exc:
                if exc.status == 403 and exc.code == UNLICENSED_REPORT_CODE:
                    raise PermanentError(
                        REPORT_UNLICENSED, f"registration report: {exc.code}"
                    ) from exc
                raise exc.as_tapstart_error("read registration report") from exc
            yield [row_from_json(item) for item in page.get("value") or ()]
            url = page.get("@odata.nextLink")

    async def member_registration_pages(
        self, group_ids: Sequence[str]
    ) -> AsyncIterator[list[RegistrationRow]]:
        """Registration rows for the groups' direct members, each from the user's own methods
        (and the Authenticator `device` read when there is an Authenticator): the read when
        the tenant has no report. A user in several groups comes once; members that are not
        users (nested groups) are not followed."""
        seen: set[str] = set()
        for group_id in group_ids:
            url: str | None = (
                f"/groups/{quote(group_id)}/members?$select=id,userPrincipalName,displayName,"
                f"userType&$top={REPORT_PAGE_SIZE}"
            )
            while url:
                page = await self._get(url, "read group members")
                users = [
                    m
                    for m in (page or {}).get("value") or ()
                    if m.get("@odata.type") == "#microsoft.graph.user" and m.get("id") not in seen
                ]
                seen.update(str(u["id"]) for u in users)
                rows: list[RegistrationRow] = []
                # A few users at a time: a page of 999 members must not become 999 concurrent
                # Graph reads (the tenant's throttle is shared with the onboarding work).
                for start in range(0, len(users), MEMBER_READS_AT_ONCE):
                    chunk = users[start : start + MEMBER_READS_AT_ONCE]
                    rows += await asyncio.gather(*(self._member_row(u) for u in chunk))
                yield rows
                url = (page or {}).get("@odata.nextLink")

    async def _member_row(self, user: Mapping[str, Any]) -> RegistrationRow:
        user_id = str(user["id"])
        methods = await self.sign_in_methods(user_id)
        if any(m.kind is MethodKind.AUTHENTICATOR for m in methods):
            methods = with_devices(methods, await self.phone_sign_in_devices(user_id))
        return row_from_methods(
            user_id,
            str(user.get("userPrincipalName") or ""),
            str(user.get("displayName") or ""),
            str(user.get("userType") or ""),
            methods,
        )


def _tap_error(exc: GraphRequestError) -> Exception:
    message = exc.message
    if exc.status == 400 and "LifetimeInMinutes" in message:
        return PermanentError("tap_lifetime_rejected", message)
    if exc.status == 400 and "Converged UserCredentialPolicy" in message:
        return PermanentError(
            "tap_policy_disallows", "the TAP policy is off or does not cover this user"
        )
    if exc.status == 400 and "external guest" in message:
        return PermanentError("guest_account", message)
    if exc.status == 404:
        return PermanentError("user_not_found", "the user disappeared before the TAP was created")
    if exc.transient():
        return TransientError(f"graph_{exc.status} on create TAP", exc.retry_after)
    return PermanentError("tap_create_failed", f"{exc.status} {exc.code}")
