"""A local Azure Communication Services Email endpoint with an outbox you can open.

It speaks the ACS Email REST API (send + long-running-operation status) with HMAC-SHA256
auth, ACS validation and rate limits, so the real `azure-communication-email` SDK can be
driven against it. Every accepted message lands in an outbox directory as `.eml` + `.json`
and on an HTML index. `docs/acs-email-emulator.md` describes the behaviour and control API.
"""

from local.acs_email_emulator.config import (
    PROFILES,
    SUPPORTED_API_VERSIONS,
    WELL_KNOWN_ACCESS_KEY,
    EmulatorConfig,
    Limits,
)
from local.acs_email_emulator.control import UNLIMITED, ControlClient, Fault

__all__ = [
    "PROFILES",
    "SUPPORTED_API_VERSIONS",
    "UNLIMITED",
    "WELL_KNOWN_ACCESS_KEY",
    "ControlClient",
    "EmulatorConfig",
    "Fault",
    "Limits",
]
