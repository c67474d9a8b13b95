"""What the registration campaign reads from Graph beyond the joiner reads: a user's mailbox,
language and usage location before a send, and the members of the scope's groups.

The sign-in methods (the live check) and the manager are the `GraphDirectory`'s own reads, so
the campaign's "has this user reached a target" is the joiners' rule read the joiners' way.
The directory is built on first use: a process that never sends campaign mail pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from shared.adapters.graph_directory import GraphDirectory
from shared.adapters.graph_raw import GraphRequestError
from shared.domain.campaign_state import CampaignUser
from shared.domain.directory import Manager
from shared.domain.passwordless import SignInMethod

_USER_SELECT = (
    "id,userPrincipalName,displayName,givenName,mail,preferredLanguage,usageLocation,"
    "accountEnabled,userType"
)
_PAGE = 999


def campaign_user_from_json(data: dict[str, Any]) -> CampaignUser:
    def text(name: str) -> str | None:
        value = data.get(name)
        return value if isinstance(value, str) and value else None

    return CampaignUser(
        id=str(data["id"]),
        user_principal_name=text("userPrincipalName") or "",
        display_name=text("displayName"),
        given_name=text("givenName"),
        mail=text("mail"),
        preferred_language=text("preferredLanguage"),
        usage_location=text("usageLocation"),
        account_enabled=data.get("accountEnabled") is True,  # unknown is not enabled
        user_type=text("userType") or "Member",
    )


class GraphCampaignDirectory:
    def __init__(self, directory: Callable[[], GraphDirectory]) -> None:
        self._directory = directory

    async def campaign_user(self, user_id: str) -> CampaignUser | None:
        try:
            data = await self._directory().raw.request(
                "GET", f"/users/{quote(user_id)}?$select={_USER_SELECT}"
            )
        except GraphRequestError as exc:
            if exc.status == 404:
                return None
            raise exc.as_tapstart_error("read campaign user") from exc
        return campaign_user_from_json(data)

    async def sign_in_methods(self, user_id: str) -> tuple[SignInMethod, ...]:
        return await self._directory().sign_in_methods(user_id)

    async def phone_sign_in_devices(self, user_id: str) -> dict[str, bool]:
        return await self._directory().phone_sign_in_devices(user_id)

    async def get_manager(self, user_id: str) -> Manager | None:
        return await self._directory().get_manager(user_id)

    async def member_ids(self, group_id: str) -> frozenset[str]:
        """User members of the group, nested groups followed (each group read once); a group
        that does not exist (404) has none. Any other failure raises: the scope is not guessed."""
        users: set[str] = set()
        seen: set[str] = set()
        pending = [group_id]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            url: str | None = f"/groups/{quote(current)}/members?$select=id&$top={_PAGE}"
            while url:
                try:
                    page = await self._directory().raw.request("GET", url) or {}
                except GraphRequestError as exc:
                    if exc.status == 404:
                        break  # a deleted group has no members (the doctor names it)
                    raise exc.as_tapstart_error("read campaign group members") from exc
                for member in page.get("value") or ():
                    kind, member_id = member.get("@odata.type"), member.get("id")
                    if not isinstance(member_id, str):
                        continue
                    if kind == "#microsoft.graph.user":
                        users.add(member_id)
                    elif kind == "#microsoft.graph.group":
                        pending.append(member_id)
                url = page.get("@odata.nextLink")
        return frozenset(users)
