"""Index a FunctionApp as the Python worker does: import it, `get_functions()` once, read bindings.

Nothing here knows any particular function: triggers, routes, queues and schedules all come from
the bindings JSON that the azure-functions library produces for the real host.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from local.host.settings import HostConfigError, resolve_references, setting_references

SUPPORTED_TRIGGERS = frozenset({"httpTrigger", "queueTrigger", "timerTrigger"})
SUPPORTED_OUTPUTS = frozenset({"http", "queue"})
DEFAULT_CONNECTION = "AzureWebJobsStorage"

Binding = dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    """One indexed function: its trigger, its output bindings and the user's callable."""

    name: str
    trigger: Binding
    outputs: tuple[Binding, ...]
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

    def output(self, name: str) -> Binding | None:
        return next((b for b in self.outputs if b["name"] == name), None)


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
        outputs = tuple(b for b in bindings if str(b.get("direction", "")).upper() == "OUT")
        specs.append(
            FunctionSpec(
                name=name,
                trigger=triggers[0],
                outputs=outputs,
                user_function=function.get_user_function(),
                raw_bindings=bindings,
            )
        )
    return specs


def check_supported(spec: FunctionSpec) -> None:
    """Refuse at start what the local host cannot run, rather than failing on the first event."""
    if spec.trigger_type not in SUPPORTED_TRIGGERS:
        raise HostConfigError(f"function {spec.name}: trigger {spec.trigger_type} is not emulated")
    for binding in spec.raw_bindings:
        direction = str(binding.get("direction", "")).upper()
        if binding is spec.trigger:
            continue
        if direction != "OUT" or binding["type"] not in SUPPORTED_OUTPUTS:
            raise HostConfigError(
                f"function {spec.name}: {direction.lower()} binding {binding['type']} "
                f"({binding['name']}) is not emulated by the local host"
            )
    known = {b["name"] for b in spec.raw_bindings} | {"context"}
    unknown = [p for p in spec.parameters if p not in known]
    if unknown:
        raise HostConfigError(f"function {spec.name}: parameters {unknown} match no binding")


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
        outputs=tuple(b for b in resolved if str(b.get("direction", "")).upper() == "OUT"),
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
    """Connection setting names used by the function's storage (queue) bindings."""
    return sorted(
        {connection_name(b) for b in spec.raw_bindings if b["type"] in {"queueTrigger", "queue"}}
    )


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
