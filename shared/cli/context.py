"""What every command needs: settings (from the environment, optionally a local.settings.json),
the same composition root as the functions, and logging kept out of the way of the output."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.bootstrap import Container, build_container
from shared.cli.output import Progress
from shared.config import Settings
from shared.domain.errors import ConfigurationError
from shared.logging_setup import configure_logging


class UsageError(ConfigurationError):
    """A command line that cannot work: reported as one line and a fix, like a bad setting."""


def load_settings_file(path: Path) -> int:
    """Fill unset environment variables from a local.settings.json (`Values`); env wins, as in
    the Functions host. Returns how many were taken from the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read settings file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigurationError(f"settings file {path} is not JSON: {exc}") from None
    values = data.get("Values") if isinstance(data, dict) else None
    if not isinstance(values, dict):
        raise ConfigurationError(f'settings file {path} has no "Values" object')
    taken = 0
    for key, value in values.items():
        if key not in os.environ and value is not None:
            os.environ[key] = str(value)
            taken += 1
    return taken


@dataclass
class CliContext:
    settings: Settings
    container: Container
    progress: Progress


def make_context(settings_file: str | None, quiet: bool, verbose: bool) -> CliContext:
    configure_logging("INFO" if verbose else "ERROR")
    if not verbose:
        logging.getLogger().setLevel(logging.ERROR)
    if settings_file:
        load_settings_file(Path(settings_file))
    settings = Settings.from_env()
    return CliContext(settings, build_container(settings), Progress(not quiet))


async def close_graph(container: Container) -> None:
    """Close the Graph client the command used, if any: its httpx pool (and the inner transport
    msgraph-core does not forward `aclose()` to) and its credential's session. A short-lived
    process would otherwise end with unclosed-transport warnings."""
    directory = container._directories.get(asyncio.get_running_loop())
    client: Any = getattr(directory, "_client", None)
    if client is None:
        return
    adapter = client.request_adapter
    http = adapter._http_client
    inner = getattr(http._transport, "transport", None)
    await http.aclose()
    if inner is not None:
        await inner.aclose()
    provider = getattr(adapter._authentication_provider, "access_token_provider", None)
    credential = getattr(provider, "_credentials", None)
    if credential is not None and hasattr(credential, "close"):
        with contextlib.suppress(Exception):
            credential.close()
