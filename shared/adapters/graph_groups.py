"""Group adds, merged across concurrent joiners: one PATCH `members@odata.bind` per 20 users.

Joiners arriving together are onboarded by concurrent invocations in one worker; each asks for
its own add, the batcher waits a moment (FLUSH_SECONDS) to collect others for the same group,
then sends one request. A PATCH is all-or-nothing, so when it fails because someone is already a
member, each user of that batch falls back to its own `$ref` POST (where "already exists" is
success, also after an SDK retry of a POST that did land).
"""

from __future__ import annotations

import asyncio

from shared.adapters.graph_raw import GraphRaw, GraphRequestError

FLUSH_SECONDS = 0.15
MAX_PER_PATCH = 20
ALREADY_MEMBER = "already exist"


class GroupAddBatcher:
    def __init__(self, raw: GraphRaw) -> None:
        self._raw = raw
        self._pending: dict[str, list[tuple[str, asyncio.Future[str]]]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    async def add(self, group_id: str, user_id: str) -> str:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        queue = self._pending.setdefault(group_id, [])
        queue.append((user_id, future))
        if len(queue) >= MAX_PER_PATCH:
            self._flush_now(group_id)
        elif group_id not in self._timers:
            loop = asyncio.get_running_loop()
            self._timers[group_id] = loop.call_later(FLUSH_SECONDS, self._flush_now, group_id)
        return await future

    def _flush_now(self, group_id: str) -> None:
        timer = self._timers.pop(group_id, None)
        if timer:
            timer.cancel()
        batch = self._pending.pop(group_id, [])
        if batch:
            asyncio.get_running_loop().create_task(self._send(group_id, batch))

    async def _send(self, group_id: str, batch: list[tuple[str, asyncio.Future[str]]]) -> None:
        users = list(dict.fromkeys(uid for uid, _ in batch))
        outcome: dict[str, str | BaseException] = {}
        if len(users) > 1:
            try:
                await self._patch(group_id, users)
                outcome = dict.fromkeys(users, "added")
            except GraphRequestError as exc:
                if exc.status != 400:
                    outcome = dict.fromkeys(users, exc)
        for uid in users:
            if uid not in outcome:
                outcome[uid] = await self._add_one(group_id, uid)
        for uid, future in batch:
            if future.done():
                continue
            result = outcome[uid]
            if isinstance(result, BaseException):
                future.set_exception(_error(result))
            else:
                future.set_result(result)

    async def _patch(self, group_id: str, users: list[str]) -> None:
        base = self._raw_base()
        body = {"members@odata.bind": [f"{base}/directoryObjects/{uid}" for uid in users]}
        await self._raw.request("PATCH", f"/groups/{group_id}", body)

    async def _add_one(self, group_id: str, user_id: str) -> str | BaseException:
        body = {"@odata.id": f"{self._raw_base()}/directoryObjects/{user_id}"}
        try:
            await self._raw.request("POST", f"/groups/{group_id}/members/$ref", body)
        except GraphRequestError as exc:
            if exc.status == 400 and ALREADY_MEMBER in exc.message:
                return "already_member"
            return exc
        return "added"

    def _raw_base(self) -> str:
        return self._raw.base_url


def _error(exc: BaseException) -> BaseException:
    if isinstance(exc, GraphRequestError):
        if exc.status == 400 and "dynamic" in exc.message.lower():
            from shared.domain.errors import PermanentError

            return PermanentError("group_is_dynamic", exc.message)
        return exc.as_tapstart_error("add group member")
    return exc
