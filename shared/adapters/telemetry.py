"""Logging for a process of the app, from Settings: console always, Application Insights when
its connection string is set (the bound context keys arrive there as custom dimensions)."""

from __future__ import annotations

from typing import Any

from shared.adapters.clients import azure_credential
from shared.config import Settings
from shared.logging_setup import configure_logging


def configure_telemetry(settings: Settings) -> None:
    if settings.appinsights_connection_string:
        _configure_azure_monitor(settings)  # first: its handler then gets the context filter
    configure_logging(settings.log_level)


def _configure_azure_monitor(settings: Settings) -> None:
    # Imported lazily: the distro is heavy and only useful in Azure.
    from azure.monitor.opentelemetry import configure_azure_monitor

    kwargs: dict[str, Any] = {"connection_string": settings.appinsights_connection_string}
    if settings.azure_client_id:
        # Application Insights has local auth disabled: telemetry must carry an Entra token.
        kwargs["credential"] = azure_credential(settings.azure_client_id)
    from shared.adapters.telemetry_scrub import QueryScrubber

    # Outgoing URLs carry the joiner in their query (Graph $filter): never exported.
    kwargs["span_processors"] = [QueryScrubber()]
    configure_azure_monitor(enable_live_metrics=False, **kwargs)
