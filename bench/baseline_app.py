"""Tapstart's Function App with the baseline directory (for the onboarding benchmark only).

    python -m local.host --app bench.baseline_app:app

The same app and composition root; one override replaces the Directory, nothing is patched.
"""

from __future__ import annotations

from bench.baseline_directory import BaselineDirectory
from function_app import app
from functions.app_services import build_with
from shared.adapters.clients import graph_client
from shared.config import Settings
from shared.services import Services, build_services


def _baseline_services(settings: Settings) -> Services:
    return build_services(
        settings, directory=BaselineDirectory(graph_client(settings), settings.graph_base_url)
    )


build_with(_baseline_services)

__all__ = ["app"]
