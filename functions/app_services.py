"""The triggers' one way to their use cases: `services()`, built from the app settings.

Settings are read once per process (app settings do not change without a restart). Services are
built once per running event loop, because the Graph client's connection pool belongs to the loop
that created it: in Azure there is one loop; the local host and tests may run several in turn.
"""

from __future__ import annotations

import asyncio
import weakref
from functools import cache

from shared.adapters.telemetry import configure_telemetry
from shared.config import Settings
from shared.services import Services, build_services

_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Services] = (
    weakref.WeakKeyDictionary()
)


@cache
def app_settings() -> Settings:
    settings = Settings.from_env()
    configure_telemetry(settings)
    return settings


def services() -> Services:
    loop = asyncio.get_running_loop()
    built = _by_loop.get(loop)
    if built is None:
        built = _by_loop[loop] = build_services(app_settings())
    return built
