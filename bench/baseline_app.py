"""Tapstart's Function App with the baseline directory (for the onboarding benchmark only).

    python -m local.host --app bench.baseline_app:app

The composition root is wrapped so that only the Directory differs from the real app.
"""

from __future__ import annotations

import shared.bootstrap as bootstrap
from bench.baseline_directory import BaselineDirectory
from shared.config import Settings

_build_container = bootstrap.build_container


def _baseline_container(settings: Settings) -> bootstrap.Container:
    from shared.adapters.graph_client import build_graph_client

    container = _build_container(settings)
    container.directory_factory = lambda: BaselineDirectory(
        build_graph_client(settings), settings.graph_base_url
    )
    return container


bootstrap.build_container = _baseline_container

from function_app import app  # noqa: E402  # imported after the patch on purpose

__all__ = ["app"]
