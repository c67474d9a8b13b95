"""Dependencies of the use cases, taken from the process-wide composition root."""

from __future__ import annotations

from shared.bootstrap import get_container
from shared.usecases.onboard_joiner import Deps


def onboarding_deps() -> Deps:
    c = get_container()
    return Deps(c.settings, c.ledger, c.directory, c.mailer, c.queue, c.clock)
