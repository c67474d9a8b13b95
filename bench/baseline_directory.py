"""The straightforward Directory: one Graph request per step, nothing shared or cached.

The onboarding benchmark's baseline. Same results as `GraphDirectory`, but roles, methods and
manager are three GETs (no $batch), the privilege read is one GET per collection page (no
$batch), every group add is its own `$ref` POST (no merged PATCH), and the TAP policy and group
details are read again for every joiner.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from shared.adapters.graph_directory import (
    MANAGER_FIELDS,
    GraphDirectory,
    manager_from_json,
    policy_from_json,
)
from shared.adapters.graph_groups import ALREADY_MEMBER
from shared.adapters.graph_privilege import PrivilegeReader
from shared.adapters.graph_raw import GraphRequestError
from shared.domain.directory import GroupInfo, Manager, TapPolicy
from shared.domain.privilege import Privilege

_TAP_POLICY = (
    "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
)


class BaselineDirectory(GraphDirectory):
    def __init__(
        self, client: Any, base_url: str, *, protected_group_ids: tuple[str, ...] = ()
    ) -> None:
        super().__init__(client, base_url, protected_group_ids=protected_group_ids)
        self._unbatched = PrivilegeReader(self.raw, protected_group_ids, batched=False)

    async def privilege(self, user_id: str) -> Privilege:
        return await self._unbatched.read(user_id)  # nothing cached: read for every call

    async def is_admin(self, user_id: str) -> bool:
        body = await self._get(f"/users/{quote(user_id)}/memberOf?$select=id,displayName", "roles")
        return any(
            o.get("@odata.type") == "#microsoft.graph.directoryRole" for o in body.get("value", [])
        )

    async def method_types(self, user_id: str) -> list[str]:
        body = await self._get(f"/users/{quote(user_id)}/authentication/methods", "methods")
        return [str(m.get("@odata.type", "")) for m in body.get("value", [])]

    async def get_manager(self, user_id: str) -> Manager | None:
        path = f"/users/{quote(user_id)}/manager?$select={MANAGER_FIELDS}"
        try:
            body: Any = await self.raw.request("GET", path)
        except GraphRequestError as exc:
            if exc.status == 404:
                return None
            raise exc.as_tapstart_error("manager") from exc
        return manager_from_json(body)

    async def add_to_groups(self, user_ids: list[str], group_id: str) -> dict[str, str]:
        results: dict[str, str] = {}
        for uid in user_ids:
            body = {"@odata.id": f"{self.raw.base_url}/directoryObjects/{uid}"}
            try:
                await self.raw.request("POST", f"/groups/{quote(group_id)}/members/$ref", body)
                results[uid] = "added"
            except GraphRequestError as exc:
                if exc.status == 400 and ALREADY_MEMBER in exc.message:
                    results[uid] = "already_member"
                else:
                    raise exc.as_tapstart_error("add group member") from exc
        return results

    async def tap_policy(self) -> TapPolicy:
        return policy_from_json(await self._get(_TAP_POLICY, "read TAP policy"))

    async def group_info(self, group_id: str) -> GroupInfo:
        self._groups_info.pop(group_id, None)  # no cache: read it for every joiner
        return await super().group_info(group_id)
