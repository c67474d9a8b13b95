"""No real waiting in the adapter tests: retry back-offs are recorded, not slept."""

from __future__ import annotations

import asyncio
import types

import pytest

_real_sleep = asyncio.sleep


@pytest.fixture(autouse=True)
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Delays the SDK's RetryHandler and GraphRaw.batch asked for, in order."""
    from kiota_http.middleware import retry_handler

    from shared.adapters import graph_raw

    asked: list[float] = []

    async def sleep(delay: float) -> None:
        asked.append(delay)
        await _real_sleep(0)

    fake = types.SimpleNamespace(sleep=sleep)
    monkeypatch.setattr(retry_handler, "asyncio", fake)
    monkeypatch.setattr(graph_raw, "asyncio", fake)
    return asked
