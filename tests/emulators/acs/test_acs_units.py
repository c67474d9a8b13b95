"""Pure parts of the ACS emulator: sliding windows and the signature check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from multidict import CIMultiDict

from local.acs_email_emulator import auth
from local.acs_email_emulator.config import WELL_KNOWN_ACCESS_KEY, domain_is_linked
from local.acs_email_emulator.errors import AcsError
from local.acs_email_emulator.ratelimit import Clock, RateLimiter


def test_sliding_window_admits_again_when_the_oldest_leaves() -> None:
    clock = Clock()
    limiter = RateLimiter(clock, per_minute=2, per_hour=None)
    limiter.admit()
    clock.advance(30)
    limiter.admit()
    assert limiter.retry_after() == 30
    clock.advance(30)
    assert limiter.retry_after() is None


def test_hour_window_dominates_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(clock, per_minute=10, per_hour=1)
    limiter.admit()
    assert limiter.retry_after() == 3600


def test_zero_limit_blocks_everything() -> None:
    limiter = RateLimiter(Clock(), per_minute=0, per_hour=None)
    assert limiter.retry_after() == 60


def test_linked_domain_patterns() -> None:
    linked = ("contoso.example", "*.azurecomm.net")
    assert domain_is_linked("Contoso.Example", linked)
    assert domain_is_linked("abc.azurecomm.net", linked)
    assert not domain_is_linked("azurecomm.net.evil.example", linked)
    assert not domain_is_linked("sub.contoso.example", linked)


def _headers(body: bytes, date: datetime, path: str) -> CIMultiDict[str]:
    x_ms_date = format_datetime(date, usegmt=True)
    content_hash = auth.content_hash(body)
    signature = auth.sign(
        WELL_KNOWN_ACCESS_KEY, f"GET\n{path}\n{x_ms_date};127.0.0.1:1;{content_hash}"
    )
    return CIMultiDict(
        {
            "Host": "127.0.0.1:1",
            "x-ms-date": x_ms_date,
            "x-ms-content-sha256": content_hash,
            "Authorization": "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
            f"&Signature={signature}",
        }
    )


def test_signature_covers_the_path_and_query() -> None:
    now = datetime.now(UTC)
    headers = _headers(b"", now, "/emails/operations/a?api-version=2025-09-01")
    auth.verify(
        method="GET",
        path_and_query="/emails/operations/a?api-version=2025-09-01",
        headers=headers,
        body=b"",
        access_key=WELL_KNOWN_ACCESS_KEY,
        now=now,
    )
    with pytest.raises(AcsError) as caught:
        auth.verify(
            method="GET",
            path_and_query="/emails/operations/b?api-version=2025-09-01",
            headers=headers,
            body=b"",
            access_key=WELL_KNOWN_ACCESS_KEY,
            now=now,
        )
    assert (caught.value.status, caught.value.code) == (401, "Denied")


def test_date_window_is_fifteen_minutes_both_ways() -> None:
    now = datetime.now(UTC).replace(microsecond=0)  # x-ms-date has whole seconds
    path = "/x"
    for skew, ok in ((timedelta(minutes=15), True), (timedelta(minutes=15, seconds=1), False)):
        for sign in (1, -1):
            headers = _headers(b"", now + sign * skew, path)
            call = {
                "method": "GET",
                "path_and_query": path,
                "headers": headers,
                "body": b"",
                "access_key": WELL_KNOWN_ACCESS_KEY,
                "now": now,
            }
            if ok:
                auth.verify(**call)  # type: ignore[arg-type]
            else:
                with pytest.raises(AcsError):
                    auth.verify(**call)  # type: ignore[arg-type]
