"""The triggers' one way to their use cases: `services()`, built from the app settings.

Settings are read once per process (app settings do not change without a restart). Services are
built once per running event loop, because the Graph client's connection pool belongs to the loop
that created it: in Azure there is one loop; the local host and tests may run several in turn.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from functools import cache

from shared.adapters.telemetry import configure_telemetry
from shared.config import Settings
from shared.services import Services, build_services

_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Services] = (
    weakref.WeakKeyDictionary()
)
_build: Callable[[Settings], Services] = build_services


def build_with(build: Callable[[Settings], Services]) -> None:
    """Build the triggers' services with `build` (e.g. `build_services` with an override);
    for an app module that wraps function_app (the benchmark's baseline app), before any
    invocation."""
    global _build
    _build = build
    _by_loop.clear()


@cache
def app_settings() -> Settings:
    settings = Settings.from_env()
    configure_telemetry(settings)
    return settings


def services() -> Services:
    loop = asyncio.get_running_loop()
    built = _by_loop.get(loop)
    if built is None:
        built = _by_loop[loop] = _build(app_settings())
    return built
