"""Index a FunctionApp as the Python worker does: import it, `get_functions()` once, read bindings.

Nothing here knows any particular function: triggers, routes, queues and schedules all come from
the bindings JSON that the azure-functions library produces for the real host. `check_supported`
refuses, naming the function, whatever the local host does not implement: it runs what
function_app.py declares (HTTP, queue and timer triggers), not every feature of the platform.
"""

from __future__ import annotations

import importlib
import inspect
import json
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest

from local.host.routes import compile_route
from local.host.settings import HostConfigError, resolve_references, setting_references

# The object the host passes for each trigger; the parameter's annotation must accept it.
TRIGGER_ARGUMENTS: dict[str, type] = {
    "httpTrigger": func.HttpRequest,
    "queueTrigger": QueueMessage,
    "timerTrigger": TimerRequest,
}
AUTH_LEVELS = frozenset({"FUNCTION", "ADMIN"})
HTTP_RETURN = {"direction": "OUT", "type": "http", "name": "$return"}
DEFAULT_CONNECTION = "AzureWebJobsStorage"

Binding = dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    """One indexed function: its trigger and the user's callable."""

    name: str
    trigger: Binding
    user_function: Callable[..., Any]
    raw_bindings: tuple[Binding, ...] = field(repr=False)

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.user_function)

    @property
    def parameters(self) -> Mapping[str, inspect.Parameter]:
        return inspect.signature(self.user_function).parameters


def load_app(target: str) -> func.FunctionApp:
    """`module` or `module:attr`; without attr, the single FunctionApp at module level is used."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    if attr:
        app = getattr(module, attr, None)
        if not isinstance(app, func.FunctionApp):
            raise HostConfigError(f"{target} is not a FunctionApp")
        return app
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionApp)]
    if len(apps) != 1:
        # Same rule as the worker: exactly one top-level FunctionApp instance.
        raise HostConfigError(
            f"{module_name} must define exactly one FunctionApp, found {len(apps)}"
        )
    return apps[0]


def index_app(app: func.FunctionApp) -> list[FunctionSpec]:
    """Call `get_functions()` (it is not idempotent: call this once per app object)."""
    specs = []
    for function in app.get_functions():
        bindings = tuple(json.loads(raw) for raw in function.get_raw_bindings())
        name = function.get_function_name() or function.get_user_function().__name__
        triggers = [b for b in bindings if str(b["type"]).endswith("Trigger")]
        if len(triggers) != 1:
            raise HostConfigError(f"function {name}: expected one trigger, found {len(triggers)}")
        specs.append(
            FunctionSpec(
                name=name,
                trigger=triggers[0],
                user_function=function.get_user_function(),
                raw_bindings=bindings,
            )
        )
    return specs


def check_supported(spec: FunctionSpec) -> None:
    """Refuse at start what the local host cannot run, rather than misbehaving on the first event."""
    problem = _unsupported(spec)
    if problem:
        raise HostConfigError(f"function {spec.name}: {problem}")


def _not_emulated(feature: str, detail: str = "") -> str:
    return f"{feature} is not emulated by the local host" + (f" ({detail})" if detail else "")


def _type_name(annotation: Any) -> str:
    return str(getattr(annotation, "__name__", annotation))


def _unsupported(spec: FunctionSpec) -> str | None:
    trigger, kind = spec.trigger, spec.trigger_type
    if kind not in TRIGGER_ARGUMENTS:
        return _not_emulated(f"trigger {kind}", "only httpTrigger, queueTrigger and timerTrigger")
    allowed = [trigger, HTTP_RETURN] if kind == "httpTrigger" else [trigger]
    extra = next((b for b in spec.raw_bindings if b not in allowed), None)
    if extra is not None:
        direction = str(extra.get("direction", "")).lower()
        return _not_emulated(
            f"{direction} binding {extra['type']} ({extra['name']})",
            "only the trigger and an HTTP $return",
        )
    if kind == "httpTrigger":
        level = str(trigger.get("authLevel", "FUNCTION")).upper()
        if level not in AUTH_LEVELS:
            return _not_emulated(f"authLevel {level}", "FUNCTION and ADMIN only")
        try:
            compile_route(str(trigger.get("route") or spec.name))
        except HostConfigError as exc:
            return str(exc)
    if kind == "timerTrigger" and trigger.get("runOnStartup"):
        return _not_emulated("runOnStartup")
    if kind == "timerTrigger" and not trigger.get("useMonitor", True):
        return _not_emulated("useMonitor false", "the schedule status is always kept in storage")
    return _unsupported_signature(spec)


def _unsupported_signature(spec: FunctionSpec) -> str | None:
    name = str(spec.trigger["name"])
    other = next((p for p in spec.parameters if p != name), None)
    if other is not None:
        return _not_emulated(
            f"parameter {other!r}", f"only the trigger parameter {name!r} is bound"
        )
    try:
        hints = typing.get_type_hints(spec.user_function)
    except (NameError, TypeError):
        hints = {}  # unresolvable string annotations count as none
    passed = TRIGGER_ARGUMENTS[spec.trigger_type]
    annotation = hints.get(name)
    if annotation is not None and not (
        isinstance(annotation, type) and issubclass(passed, annotation)
    ):
        return _not_emulated(
            f"parameter {name!r} of type {_type_name(annotation)}",
            f"it is passed func.{passed.__name__}",
        )
    returned = hints.get("return")
    if spec.trigger_type == "httpTrigger" and returned not in (None, func.HttpResponse):
        return _not_emulated(
            f"return type {_type_name(returned)}", "an HTTP function returns func.HttpResponse"
        )
    return None


def resolve_spec(spec: FunctionSpec, settings: Mapping[str, str]) -> FunctionSpec:
    """A copy whose binding values have every `%SETTING%` replaced by the setting's value."""

    def resolve(binding: Binding) -> Binding:
        where = f"function {spec.name}, binding {binding['name']}"
        return {
            k: resolve_references(v, settings, where) if isinstance(v, str) else v
            for k, v in binding.items()
        }

    resolved = tuple(resolve(b) for b in spec.raw_bindings)
    trigger_index = spec.raw_bindings.index(spec.trigger)
    return FunctionSpec(
        name=spec.name,
        trigger=resolved[trigger_index],
        user_function=spec.user_function,
        raw_bindings=resolved,
    )


def connection_name(binding: Binding) -> str:
    return str(binding.get("connection") or DEFAULT_CONNECTION)


def referenced_settings(spec: FunctionSpec) -> list[str]:
    """App settings named as `%NAME%` anywhere in the function's bindings."""
    names = {
        name
        for binding in spec.raw_bindings
        for value in binding.values()
        if isinstance(value, str)
        for name in setting_references(value)
    }
    return sorted(names)


def storage_connections(spec: FunctionSpec) -> list[str]:
    """Connection setting names used by the function's storage (queue trigger) binding."""
    return [connection_name(spec.trigger)] if spec.trigger_type == "queueTrigger" else []


def describe(spec: FunctionSpec) -> dict[str, Any]:
    """What `python -m local.host --list` prints for one function."""
    return {
        "name": spec.name,
        "trigger": spec.trigger_type,
        "bindings": list(spec.raw_bindings),
        "settings": referenced_settings(spec),
        "connections": storage_connections(spec),
        "is_async": spec.is_async,
    }
