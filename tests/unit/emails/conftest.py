from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.domain.directory import IssuedTap
from shared.rendering import Brand

# Looks like a real TAP and contains characters HTML must escape.
PASSCODE = "Qz7&Kp<9wX"
PASSCODE_HTML = "Qz7&amp;Kp&lt;9wX"
HOSTILE_NAME = 'Eve <script>alert("x")</script>\r\nBcc: thief@evil.example'


@pytest.fixture
def brand() -> Brand:
    return Brand(
        company_name="Fabrikam",
        logo_url="https://cdn.fabrikam.example/logo.png",
        support_contact="helpdesk@fabrikam.example",
        default_language="en",
        default_time_zone="Europe/Berlin",
    )


@pytest.fixture
def tap() -> IssuedTap:
    # 2026-01-05 00:00 in Berlin (UTC+1): the start of the hire day
    return IssuedTap("tap-1", PASSCODE, datetime(2026, 1, 4, 23, 0, tzinfo=UTC), 480, True)


@pytest.fixture
def hire_date() -> date:
    return date(2026, 1, 5)
