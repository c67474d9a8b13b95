"""Group adds, merged across concurrent joiners: one PATCH `members@odata.bind` per 20 users.

Joiners arriving together are onboarded by concurrent invocations in one worker; each asks for
its own add, the batcher waits a moment (FLUSH_SECONDS) to collect others for the same group,
then sends one request. A PATCH is all-or-nothing, so when it fails because someone is already a
member, each user of that batch falls back to its own `$ref` POST (where "already exists" is
success, also after an SDK retry of a POST that did land).

Every waiter gets an answer: the batcher keeps its send tasks, and a send that fails in any way
(a credential that cannot get a token, an unexpected error, a cancellation) fails all the waiters
of its batch at once instead of leaving them pending.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TypeAlias

from shared.adapters.graph_raw import GraphRaw, GraphRequestError
from shared.domain.errors import PermanentError, TapstartError, TransientError

FLUSH_SECONDS = 0.15
MAX_PER_PATCH = 20
ALREADY_MEMBER = "already exist"
_WHAT = "add group member"

Waiter: TypeAlias = tuple[str, asyncio.Future[str]]


class GroupAddBatcher:
    def __init__(self, raw: GraphRaw) -> None:
        self._raw = raw
        self._pending: dict[str, list[Waiter]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

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
            task = asyncio.get_running_loop().create_task(self._send(group_id, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Send what is still waiting for its flush and wait for every send in flight."""
        for group_id in list(self._pending):
            self._flush_now(group_id)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _send(self, group_id: str, batch: list[Waiter]) -> None:
        users = list(dict.fromkeys(uid for uid, _ in batch))
        try:
            outcome = await self._outcome(group_id, users)
            for uid, future in batch:
                if future.done():  # the caller gave up waiting
                    continue
                result = outcome[uid]
                if isinstance(result, Exception):
                    future.set_exception(_error(result))
                else:
                    future.set_result(result)
        except asyncio.CancelledError:
            _settle(batch, lambda: TransientError(f"{_WHAT}: the request was cancelled"))
            raise
        except Exception as exc:  # any failure of the send fails every waiter, at once
            _settle(batch, partial(_error, exc))
        finally:
            # Whatever ended the send, no waiter of this batch is left pending.
            _settle(batch, lambda: TransientError(f"{_WHAT}: the send ended without an answer"))

    async def _outcome(self, group_id: str, users: list[str]) -> dict[str, str | Exception]:
        outcome: dict[str, str | Exception] = {}
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
        return outcome

    async def _patch(self, group_id: str, users: list[str]) -> None:
        base = self._raw_base()
        body = {"members@odata.bind": [f"{base}/directoryObjects/{uid}" for uid in users]}
        await self._raw.request("PATCH", f"/groups/{group_id}", body)

    async def _add_one(self, group_id: str, user_id: str) -> str | Exception:
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


def _settle(batch: list[Waiter], error: Callable[[], BaseException]) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _error(exc: Exception) -> Exception:
    """The TapstartError a waiter gets for what ended its add; the original is its cause."""
    error: Exception
    if isinstance(exc, TapstartError):
        return exc
    if isinstance(exc, GraphRequestError):
        if exc.status == 400 and "dynamic" in exc.message.lower():
            error = PermanentError("group_is_dynamic", exc.message)
        else:
            error = exc.as_tapstart_error(_WHAT)
    else:
        # Not a Graph answer: the request never got one. A token that cannot be had (azure-
        # identity's ClientAuthenticationError, also for a managed identity endpoint that is not
        # there) is named as such; retrying later is right once the credential is fixed.
        from azure.core.exceptions import ClientAuthenticationError

        if isinstance(exc, ClientAuthenticationError):
            error = TransientError(f"{_WHAT}: credential failure: {_first_line(exc)}")
        else:
            error = TransientError(f"{_WHAT}: {type(exc).__name__}: {_first_line(exc)}")
    error.__cause__ = exc
    return error
