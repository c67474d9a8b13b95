"""Privilege on Microsoft Graph: everything that makes an account privileged
(`shared.domain.privilege`), read to the last page of every collection, or an error — never a
partial "not privileged".

The reads (Graph v1.0, application permissions):

| Read | Permission |
| --- | --- |
| `/users/{id}/transitiveMemberOf?$select=id,isAssignableToRole,roleTemplateId&$top=999`: groups through any nesting (role-assignable ones, protected ones) and directory roles | `User.Read.All` |
| `/users/{id}/ownedObjects?$select=id,isAssignableToRole`: applications, service principals, groups | `User.Read.All` |
| `/roleManagement/directory/roleAssignments?$filter=principalId in (…)`: active assignments at any scope (tenant, administrative unit, app), custom roles included | `RoleManagement.Read.Directory` |
| `/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '…'` (eq only) | `RoleManagement.Read.Directory` |
| `/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=principalId eq '…'` (PIM for Groups) | `PrivilegedEligibilitySchedule.Read.AzureADGroup` |

The first five go in one `$batch` (with the adapter's other reads of the user, see
`GraphDirectory.privilege`); the roles of the user's role-assignable groups (assignments
with `in`, eligibility one group at a time) and any further pages follow in as few more as
needed. A tenant without Entra ID P2 answers the two PIM reads `400 AadPremiumLicenseRequired`:
without P2 there is no eligibility, so exactly that answer reads as "none"; every other error
raises (`GraphRequestError.as_tapstart_error`: transient → TransientError, 403 → PermanentError).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from shared.adapters.graph_raw import GraphRaw, GraphRequestError
from shared.domain.errors import PermanentError, TapstartError
from shared.domain.privilege import Privilege

# transitiveMemberOf: default page 100, maximum 999 (List a user's memberships, v1.0).
MEMBERSHIP_PAGE_SIZE = 999
# Values per `principalId in (…)`: Graph limits the operands of `in`/`or` (its known-issues page;
# community threads name 15 values), so longer lists are split into several reads.
IN_LIMIT = 15
NO_P2 = "AadPremiumLicenseRequired"
GROUP = "#microsoft.graph.group"
DIRECTORY_ROLE = "#microsoft.graph.directoryRole"
APPLICATIONS = frozenset({"#microsoft.graph.application", "#microsoft.graph.servicePrincipal"})
ROLE_ASSIGNMENTS = "/roleManagement/directory/roleAssignments"
ROLE_ELIGIBILITY = "/roleManagement/directory/roleEligibilityScheduleInstances"
GROUP_ELIGIBILITY = "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _filter(expr: str) -> str:
    return quote(expr, safe="'(),")


def assignments_url(principal_ids: Iterable[str]) -> str:
    ids = ",".join(_literal(p) for p in principal_ids)
    return f"{ROLE_ASSIGNMENTS}?$filter={_filter(f'principalId in ({ids})')}"


def eligibility_url(principal_id: str) -> str:
    return f"{ROLE_ELIGIBILITY}?$filter={_filter(f'principalId eq {_literal(principal_id)}')}"


def group_eligibility_url(principal_id: str) -> str:
    return f"{GROUP_ELIGIBILITY}?$filter={_filter(f'principalId eq {_literal(principal_id)}')}"


@dataclass
class _Read:
    """One collection (or, `single`, one object) read to its end."""

    url: str
    what: str
    pim: bool = False  # a PIM read: "no P2" means no eligibility
    single: bool = False
    items: list[dict[str, Any]] = field(default_factory=list)


class PrivilegeReader:
    """`await reader.read(user_id)` → Privilege. `batched=False` sends one GET per request
    (the benchmark's baseline); the answer is the same."""

    def __init__(
        self, raw: GraphRaw, protected_group_ids: tuple[str, ...] = (), *, batched: bool = True
    ) -> None:
        self._raw = raw
        self._protected = tuple(protected_group_ids)
        self._batched = batched

    async def read(self, user_id: str) -> Privilege:
        privilege, _ = await self.read_with(user_id, [])
        if isinstance(privilege, TapstartError):
            raise privilege
        return privilege

    async def read_with(
        self, user_id: str, requests: list[dict[str, Any]], what: str = "read privilege"
    ) -> tuple[Privilege | TapstartError, dict[str, tuple[int, Any]]]:
        """The privilege, with `requests` (other `$batch` items: ids other than the privilege
        reads') sent in its first `$batch`; their answers come back as they are. A failed
        privilege read is returned, not raised, so the other answers still serve; a failed
        `$batch` itself raises (mapped as `what`)."""
        first = self._first_reads(user_id)
        pending = {key: read.url for key, read in first.items()}
        answers = await self._send(pending, requests, what)
        others = {r["id"]: answers.pop(r["id"]) for r in requests if r["id"] in answers}
        try:
            return await self._finish(first, answers), others
        except TapstartError as exc:
            return exc, others

    def _first_reads(self, user_id: str) -> dict[str, _Read]:
        uid = quote(user_id, safe="")
        return {
            "memberships": _Read(
                f"/users/{uid}/transitiveMemberOf?$select=id,isAssignableToRole,roleTemplateId"
                f"&$top={MEMBERSHIP_PAGE_SIZE}",
                "read group memberships",
            ),
            "owned": _Read(
                f"/users/{uid}/ownedObjects?$select=id,isAssignableToRole", "read owned objects"
            ),
            "assigned": _Read(assignments_url([user_id]), "read role assignments"),
            "eligible": _Read(eligibility_url(user_id), "read role eligibility", pim=True),
            "group_eligible": _Read(
                group_eligibility_url(user_id), "read group eligibility (PIM for Groups)", pim=True
            ),
        }

    async def _finish(
        self, first: dict[str, _Read], answers: dict[str, tuple[int, Any]]
    ) -> Privilege:
        await self._collect(first, answers)
        memberships = first["memberships"].items
        owned = first["owned"].items
        member_of = [o for o in memberships if o.get("@odata.type") == GROUP]
        owned_groups = [o for o in owned if o.get("@odata.type") == GROUP]
        eligible_groups = _ids(first["group_eligible"].items, "groupId")
        assignable = await self._assignability(member_of + owned_groups, eligible_groups)

        member_ids = _ids(member_of, "id")
        privileged_members = [g for g in member_ids if assignable[g]]
        assigned = first["assigned"].items
        eligible = first["eligible"].items
        if privileged_members:
            assigned, eligible = await self._group_roles(privileged_members, assigned, eligible)
        roles = _ids(assigned, "roleDefinitionId")
        # A directoryRole in memberships is an active role too (belt and braces).
        roles += [
            str(o.get("roleTemplateId") or o.get("id"))
            for o in memberships
            if o.get("@odata.type") == DIRECTORY_ROLE
        ]
        owned_apps = [str(o["id"]) for o in owned if o.get("@odata.type") in APPLICATIONS]
        groups = privileged_members + [
            g for g in [*_ids(owned_groups, "id"), *eligible_groups] if assignable[g]
        ]
        in_groups = set(member_ids)
        return Privilege(
            active_roles=_unique(roles),
            eligible_roles=_unique(_ids(eligible, "roleDefinitionId")),
            privileged_groups=_unique(groups),
            owned_apps=_unique(owned_apps),
            protected_groups=tuple(g for g in self._protected if g in in_groups),
        )

    async def _assignability(
        self, groups: list[dict[str, Any]], more_ids: list[str]
    ) -> dict[str, bool]:
        """Whether each group is role-assignable. Graph answers `true` for one created so and
        `null` (not `false`) for every other group, so a present null is "no". An item without
        the property (Graph's limited view of an object the app may not read) and the
        PIM-eligible groups are looked up; an answer that still lacks it fails closed."""
        known: dict[str, bool] = {}
        for group in groups:
            flag = _assignable(group)
            if flag is not None:
                known[str(group["id"])] = flag
        unknown = [g for g in dict.fromkeys([*_ids(groups, "id"), *more_ids]) if g not in known]
        if unknown:
            reads = {
                f"group{i}": _Read(
                    f"/groups/{quote(g, safe='')}?$select=id,isAssignableToRole",
                    "read group",
                    single=True,
                )
                for i, g in enumerate(unknown)
            }
            await self._collect(reads)
            for group_id, read in zip(unknown, reads.values(), strict=True):
                flag = _assignable(read.items[0]) if read.items else None
                if flag is None:
                    raise PermanentError(
                        "graph_error", f"read group: no isAssignableToRole for {group_id}"
                    )
                known[group_id] = flag
        return known

    async def _group_roles(
        self,
        group_ids: list[str],
        assigned: list[dict[str, Any]],
        eligible: list[dict[str, Any]],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The active and eligible roles of the user's role-assignable groups, added."""
        reads: dict[str, _Read] = {}
        for n, start in enumerate(range(0, len(group_ids), IN_LIMIT)):
            chunk = group_ids[start : start + IN_LIMIT]
            reads[f"assigned{n}"] = _Read(assignments_url(chunk), "read group role assignments")
        for n, group_id in enumerate(group_ids):
            reads[f"eligible{n}"] = _Read(
                eligibility_url(group_id), "read group role eligibility", pim=True
            )
        await self._collect(reads)
        more_assigned = [i for k, r in reads.items() if k.startswith("assigned") for i in r.items]
        more_eligible = [i for k, r in reads.items() if k.startswith("eligible") for i in r.items]
        return assigned + more_assigned, eligible + more_eligible

    async def _collect(
        self, reads: dict[str, _Read], answers: dict[str, tuple[int, Any]] | None = None
    ) -> None:
        """Every read to its last page: first pages together (or `answers`, when they were
        already sent), then each round's next pages."""
        pending = {key: read.url for key, read in reads.items()}
        while pending:
            if answers is None:
                answers = await self._send(pending)
            pending = {}
            for key, (status, body) in answers.items():
                read = reads[key]
                link = self._page(read, status, body)
                if link:
                    pending[key] = link
            answers = None

    def _page(self, read: _Read, status: int, body: Any) -> str | None:
        """Take one answer into `read`; the next page's URL, if any."""
        if status >= 400:
            err = body.get("error", {}) if isinstance(body, dict) else {}
            code, message = str(err.get("code") or ""), str(err.get("message") or "")
            if read.pim and status == 400 and code == NO_P2:
                return None  # no Entra ID P2: no PIM, so no eligibility
            raise GraphRequestError(status, code, message).as_tapstart_error(read.what)
        if not isinstance(body, dict):
            raise PermanentError("graph_error", f"{read.what}: no JSON object in the answer")
        if read.single:
            read.items.append(body)
            return None
        values = body.get("value")
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            raise PermanentError("graph_error", f"{read.what}: the answer has no value list")
        read.items.extend(values)
        link = body.get("@odata.nextLink")
        if link is not None and not (isinstance(link, str) and link):
            raise PermanentError("graph_error", f"{read.what}: unreadable @odata.nextLink")
        return link

    async def _send(
        self,
        pending: dict[str, str],
        extra: list[dict[str, Any]] | None = None,
        what: str = "read privilege",
    ) -> dict[str, tuple[int, Any]]:
        """GET each URL; relative ones in one `$batch` (unless not batched), with `extra`."""
        answers: dict[str, tuple[int, Any]] = {}
        batch: list[dict[str, Any]] = list(extra or ())
        for key, url in pending.items():
            relative = self._relative(url)
            if self._batched and relative is not None:
                batch.append({"id": key, "method": "GET", "url": relative})
            else:
                answers[key] = await self._get(url)
        if batch:
            try:
                answers.update(await self._raw.batch(batch))
            except GraphRequestError as exc:
                raise exc.as_tapstart_error(what) from exc
            missing = [r["id"] for r in batch if r["id"] not in answers]
            if missing:
                raise PermanentError("graph_error", f"{what}: no answer for {missing}")
        return answers

    def _relative(self, url: str) -> str | None:
        """A `$batch` item URL (relative to the version root), or None for another host's."""
        if not url.startswith("http"):
            return url
        base = self._raw.base_url
        return url[len(base) :] if url.startswith(base + "/") else None

    async def _get(self, url: str) -> tuple[int, Any]:
        try:
            return 200, await self._raw.request("GET", url)
        except GraphRequestError as exc:
            if exc.transient():
                raise exc.as_tapstart_error("read privilege") from exc
            return exc.status, {"error": {"code": exc.code, "message": exc.message}}


def _ids(items: Iterable[dict[str, Any]], key: str) -> list[str]:
    out = []
    for item in items:
        value = item.get(key)
        if not isinstance(value, str) or not value:
            raise PermanentError("graph_error", f"read privilege: an item without {key}")
        out.append(value)
    return out


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _assignable(group: dict[str, Any]) -> bool | None:
    """True/False when the group's `isAssignableToRole` was read (null: not role-assignable);
    None when the answer lacks the property or carries something else (to be read again)."""
    if "isAssignableToRole" not in group:
        return None
    flag = group["isAssignableToRole"]
    if flag is None:
        return False
    return flag if isinstance(flag, bool) else None
