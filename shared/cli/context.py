"""What every command needs: settings (from the environment, optionally a local.settings.json),
the services of the same composition root as the functions, and logging kept out of the way
of the output."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from shared.cli.output import Progress
from shared.config import Settings
from shared.domain.errors import ConfigurationError
from shared.logging_setup import configure_logging
from shared.services import Services, build_services


class UsageError(ConfigurationError):
    """A command line that cannot work: reported as one line and a fix, like a bad setting."""


@dataclass
class CliContext:
    settings: Settings
    services: Services
    progress: Progress


def make_context(settings_file: str | None, quiet: bool, verbose: bool) -> CliContext:
    configure_logging("INFO" if verbose else "ERROR")
    if not verbose:
        logging.getLogger().setLevel(logging.ERROR)
    settings = Settings.from_env(settings_file=Path(settings_file) if settings_file else None)
    return CliContext(settings, build_services(settings), Progress(not quiet))
