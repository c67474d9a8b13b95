"""Call a user function the way the worker does, and log one line per invocation.

Sync functions run in a thread pool (the worker's default for sync code), async ones on the
host's event loop. The function's only argument is its trigger's (indexing refuses others).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from local.host.indexing import FunctionSpec

log = logging.getLogger("local.host")


@dataclass
class Invocation:
    """The outcome of one call: return value, error if it raised."""

    function: str
    invocation_id: str
    return_value: Any = None
    error: BaseException | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class Invoker:
    def __init__(self, max_workers: int | None, timeout: timedelta | None = None) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fn")
        self._timeout = timeout.total_seconds() if timeout else None

    async def invoke(
        self,
        spec: FunctionSpec,
        trigger_value: Any,
        trigger_label: str,
    ) -> Invocation:
        invocation = Invocation(function=spec.name, invocation_id=str(uuid.uuid4()))
        kwargs = {str(spec.trigger["name"]): trigger_value}
        started = time.perf_counter()
        try:
            invocation.return_value = await asyncio.wait_for(
                self._call(spec, kwargs), timeout=self._timeout
            )
        except TimeoutError as exc:
            # Past functionTimeout the invocation fails, as in Azure; a sync function's thread
            # cannot be stopped, so it runs on unobserved (Azure would recycle the worker).
            late = self._timeout is not None and time.perf_counter() - started >= self._timeout
            invocation.error = TimeoutError("functionTimeout exceeded") if late else exc
        except asyncio.CancelledError:
            invocation.error = TimeoutError("host shutting down")
            raise
        except Exception as exc:  # the user's failure is the invocation's outcome
            invocation.error = exc
        finally:
            _log_invocation(spec, invocation, trigger_label, time.perf_counter() - started)
        return invocation

    async def _call(self, spec: FunctionSpec, kwargs: dict[str, Any]) -> Any:
        if spec.is_async:
            return await spec.user_function(**kwargs)
        call = functools.partial(contextvars.copy_context().run, spec.user_function)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, **kwargs))

    def shutdown(self) -> None:
        # Threads running user code cannot be interrupted; do not wait for them either.
        self._executor.shutdown(wait=False, cancel_futures=True)


def _log_invocation(
    spec: FunctionSpec, invocation: Invocation, trigger_label: str, seconds: float
) -> None:
    outcome = "succeeded" if invocation.succeeded else "failed"
    level = logging.INFO if invocation.succeeded else logging.ERROR
    log.log(
        level,
        "function=%s invocation=%s trigger=%s duration_ms=%d outcome=%s%s",
        spec.name,
        invocation.invocation_id,
        trigger_label,
        round(seconds * 1000),
        outcome,
        "" if invocation.error is None else f" error={type(invocation.error).__name__}",
        exc_info=None
        if invocation.error is None
        else (type(invocation.error), invocation.error, invocation.error.__traceback__),
    )
