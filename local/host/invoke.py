"""Call a user function the way the worker does, and log one line per invocation.

Sync functions run in a thread pool (the worker's default for sync code), async ones on the
host's event loop. Output bindings are collected, not written: the caller writes them only
when the invocation succeeded, as the host does.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
import time
import typing
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

import azure.functions as func

from local.host.indexing import FunctionSpec

log = logging.getLogger("local.host")

T = TypeVar("T")
RETURN = "$return"


class OutParam(func.Out[T], Generic[T]):
    """The host-side holder behind a `func.Out[...]` parameter."""

    def __init__(self) -> None:
        self._value: T | None = None
        self.was_set = False

    def set(self, val: T) -> None:
        self._value = val
        self.was_set = True

    def get(self) -> T:
        return self._value  # type: ignore[return-value]


class LocalContext(func.Context):
    """What a function receives for a `context` parameter."""

    _thread_local = threading.local()

    def __init__(self, invocation_id: str, function_name: str, directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._directory = directory

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._thread_local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> Any:
        # No distributed tracing locally: an empty W3C trace context.
        return SimpleNamespace(trace_parent="", trace_state="", attributes={})

    @property
    def retry_context(self) -> Any:
        # Retry policies do not apply to queue triggers, and are not emulated for timers.
        return SimpleNamespace(retry_count=0, max_retry_count=0, exception=None)


@dataclass
class Invocation:
    """The outcome of one call: return value, output bindings set, error if it raised."""

    function: str
    invocation_id: str
    return_value: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None

    def output_values(self, spec: FunctionSpec) -> list[tuple[dict[str, Any], Any]]:
        """(binding, value) for every output binding that got a value, `$return` included."""
        values = []
        for binding in spec.outputs:
            if binding["name"] == RETURN:
                if self.return_value is not None:
                    values.append((binding, self.return_value))
            elif binding["name"] in self.outputs:
                values.append((binding, self.outputs[binding["name"]]))
        return values


class Invoker:
    def __init__(
        self, max_workers: int | None, app_directory: Path, timeout: timedelta | None = None
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fn")
        self._app_directory = str(app_directory)
        self._timeout = timeout.total_seconds() if timeout else None

    async def invoke(
        self,
        spec: FunctionSpec,
        trigger_value: Any,
        trigger_label: str,
    ) -> Invocation:
        invocation = Invocation(function=spec.name, invocation_id=str(uuid.uuid4()))
        out_params: dict[str, OutParam[Any]] = {}
        kwargs = self._arguments(spec, trigger_value, invocation, out_params)
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
            invocation.outputs = {n: p.get() for n, p in out_params.items() if p.was_set}
            _log_invocation(spec, invocation, trigger_label, time.perf_counter() - started)
        return invocation

    async def _call(self, spec: FunctionSpec, kwargs: dict[str, Any]) -> Any:
        if spec.is_async:
            return await spec.user_function(**kwargs)
        call = functools.partial(contextvars.copy_context().run, spec.user_function)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, **kwargs))

    def _arguments(
        self,
        spec: FunctionSpec,
        trigger_value: Any,
        invocation: Invocation,
        out_params: dict[str, OutParam[Any]],
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        outputs = {b["name"] for b in spec.outputs}
        hints = type_hints(spec)
        for name in spec.parameters:
            if name == spec.trigger["name"]:
                kwargs[name] = trigger_value
            elif name in outputs:
                out_params[name] = OutParam()
                kwargs[name] = out_params[name]
            elif name == "context" or _is_context(hints.get(name)):
                kwargs[name] = LocalContext(
                    invocation.invocation_id, spec.name, self._app_directory
                )
        return kwargs

    def shutdown(self) -> None:
        # Threads running user code cannot be interrupted; do not wait for them either.
        self._executor.shutdown(wait=False, cancel_futures=True)


def _is_context(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, func.Context)


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


def type_hints(spec: FunctionSpec) -> dict[str, Any]:
    try:
        return typing.get_type_hints(spec.user_function)
    except (NameError, TypeError):
        # Unresolvable string annotations: treat parameters as unannotated.
        return {}


def trigger_annotation(spec: FunctionSpec) -> Any:
    """The trigger parameter's type (decides str / bytes / library object), or None."""
    return type_hints(spec).get(str(spec.trigger["name"]))
