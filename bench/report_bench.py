"""Benchmark: CPU and memory of the report's read path, raw JSON vs the SDK's models.

    python -m bench.report_bench [--users 100000] [--sdk-users 2000]

Pure CPU for now: synthetic `userRegistrationDetails` pages of 999 rows are generated in memory
as the JSON bytes Graph would send (page generation is not timed). Measured in one run:

- Tapstart: `json.loads` + typed rows (`row_from_json`) + `TenantAggregator` (+ the per-user CSV written to a spooled file, as
  `build_report` does): CPU seconds per 1,000 users, tracemalloc peak and peak RSS growth for
  the whole tenant;
- baseline: the same bytes parsed into `UserRegistrationDetails` models through kiota's
  `JsonParseNodeFactory` (what the SDK does for `.get()`), on a subset and scaled linearly.

No Graph emulator, no HTTP, no throttling yet: the lead extends this to go through the emulator.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import math
import os
import platform
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from shared.domain.registration import REGISTRATION_SELECT, row_from_json
from shared.report.csv_export import CsvRowWriter
from shared.report.figures import TenantAggregator

PAGE_SIZE = 999
_URL = "https://graph.microsoft.com/v1.0/reports/authenticationMethods/userRegistrationDetails"
_METHOD_MIXES: list[list[str]] = [
    [],
    ["mobilePhone"],
    ["microsoftAuthenticatorPush", "softwareOneTimePasscode"],
    ["microsoftAuthenticatorPush", "mobilePhone", "email"],
    ["microsoftAuthenticatorPasswordless", "microsoftAuthenticatorPush"],
    ["passKeyDeviceBoundAuthenticator", "microsoftAuthenticatorPush"],
    ["windowsHelloForBusiness", "microsoftAuthenticatorPush"],
    ["fido2SecurityKey"],
]


def _row(index: int, rng: random.Random) -> dict[str, Any]:
    methods = rng.choice(_METHOD_MIXES)
    strong = bool(
        set(methods)
        - {"mobilePhone", "email", "softwareOneTimePasscode", "microsoftAuthenticatorPush"}
    )
    return {
        "id": f"{index:08x}-0000-4000-8000-{rng.getrandbits(48):012x}",
        "userPrincipalName": f"user{index:06d}@contoso.example",
        "userDisplayName": f"User {index:06d}",
        "userType": "guest" if index % 50 == 0 else "member",
        "isAdmin": index % 400 == 0,
        "isSsprRegistered": bool(methods) and rng.random() < 0.6,
        "isSsprEnabled": True,
        "isSsprCapable": bool(methods),
        "isMfaRegistered": len(methods) > 0,
        "isMfaCapable": len(methods) > 0 and rng.random() < 0.95,
        "isPasswordlessCapable": strong,
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "methodsRegistered": methods,
        "systemPreferredAuthenticationMethods": ["push"] if methods else [],
        "userPreferredMethodForSecondaryAuthentication": "push" if methods else "",
        "lastUpdatedDateTime": "2026-11-27T23:10:05.1234567Z",
    }


def page_bytes(page: int, users: int, select: tuple[str, ...] | None) -> bytes:
    """One page as Graph sends it ($select trims the properties, as Tapstart asks for)."""
    rng = random.Random(page)
    start = page * PAGE_SIZE
    rows = [_row(i, rng) for i in range(start, min(start + PAGE_SIZE, users))]
    if select is not None:
        rows = [{k: r[k] for k in select} for r in rows]
    body: dict[str, Any] = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#reports",
        "value": rows,
    }
    if start + PAGE_SIZE < users:
        body["@odata.nextLink"] = f"{_URL}?$top={PAGE_SIZE}&$skiptoken=p{page + 1}"
    return json.dumps(body).encode()


def pages(users: int, select: tuple[str, ...] | None) -> Iterator[bytes]:
    for page in range(math.ceil(users / PAGE_SIZE)):
        yield page_bytes(page, users, select)


def _max_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def run_tapstart(users: int, *, with_csv: bool) -> tuple[float, int]:
    """(CPU seconds parsing and aggregating, CSV bytes); page generation is not timed.

    Ends like `build_report`: the CSV is read back into memory (the BlobStore port and the
    email attachment take bytes), so the memory figures include it.
    """
    cpu = 0.0
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+b") as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        aggregator = TenantAggregator(on_row=CsvRowWriter(text) if with_csv else None)
        for body in pages(users, REGISTRATION_SELECT):
            started = time.process_time()
            aggregator.add_page([row_from_json(r) for r in json.loads(body)["value"]])
            cpu += time.process_time() - started
        text.flush()
        text.detach()
        spool.seek(0)
        csv = spool.read()
    assert aggregator.users == users
    return cpu, len(csv)


def tapstart_rss(users: int) -> tuple[float, float, int]:
    """(CPU seconds, peak RSS growth MB, CSV bytes) of the full read with the CSV.

    Must run first: ru_maxrss is a high-water mark for the whole process.
    """
    gc.collect()
    rss_before = _max_rss_mb()
    cpu, csv_bytes = run_tapstart(users, with_csv=True)
    return cpu, _max_rss_mb() - rss_before, csv_bytes


def tapstart_tracemalloc(users: int) -> float:
    """tracemalloc peak MB over the full read with the CSV (a separate, slower pass)."""
    gc.collect()
    tracemalloc.start()
    run_tapstart(users, with_csv=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def sdk_parser() -> Callable[[bytes], int]:
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.user_registration_details_collection_response import (
        UserRegistrationDetailsCollectionResponse,
    )

    factory = JsonParseNodeFactory()

    def parse(body: bytes) -> int:
        node = factory.get_root_parse_node("application/json", body)
        response = node.get_object_value(UserRegistrationDetailsCollectionResponse)
        return len(response.value or [])

    return parse


def run_sdk(users: int) -> float:
    """CPU seconds parsing `users` rows into SDK models (no tracemalloc: it slows the SDK's
    per-object imports by an order of magnitude)."""
    parse = sdk_parser()
    parse(page_bytes(0, 2, REGISTRATION_SELECT))  # warm the generated modules' imports
    cpu = 0.0
    parsed = 0
    for body in pages(users, REGISTRATION_SELECT):
        started = time.process_time()
        parsed += parse(body)
        cpu += time.process_time() - started
    assert parsed == users
    return cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--users", type=int, default=100_000, help="tenant size for Tapstart's path"
    )
    parser.add_argument(
        "--sdk-users", type=int, default=2_000, help="subset parsed with SDK models"
    )
    args = parser.parse_args(argv)
    users, sdk_users = args.users, args.sdk_users
    n_pages = math.ceil(users / PAGE_SIZE)

    # RSS first, before anything else (and the SDK's imports) raise the high-water mark.
    cpu_csv, rss_growth, csv_bytes = tapstart_rss(users)
    trace_peak = tapstart_tracemalloc(users)
    cpu_plain, _ = run_tapstart(users, with_csv=False)
    sdk_cpu = run_sdk(sdk_users)

    def per_k(cpu: float, n: int) -> float:
        return 1000 * cpu / n

    ours = per_k(cpu_csv, users)
    theirs = per_k(sdk_cpu, sdk_users)
    lines = [
        f"Registration report read path: {users:,} users, {n_pages} pages of {PAGE_SIZE}"
        " (synthetic JSON, in memory)",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "",
        f"{'path':<44} {'CPU s / 1k users':>17} {'CPU s, tenant':>14}",
        f"{'Tapstart: json.loads + aggregate':<44} {per_k(cpu_plain, users):>17.4f} {cpu_plain:>14.2f}",
        f"{'Tapstart: json.loads + aggregate + CSV':<44} {ours:>17.4f} {cpu_csv:>14.2f}",
        f"{f'SDK models ({sdk_users:,}-user subset, scaled)':<44} {theirs:>17.4f} "
        f"{theirs * users / 1000:>14.2f}",
        "",
        f"CPU ratio SDK / Tapstart (with CSV): {theirs / ours:,.0f}x  (target >= 100x)",
        f"Tapstart memory, {users:,} users: peak RSS growth {rss_growth:.1f} MB (target < 150 MB),"
        f" tracemalloc peak {trace_peak:.1f} MB",
        f"  both include the {csv_bytes / 1e6:.1f} MB CSV read back for the blob and the attachment",
        "Not measured yet: Graph requests and wall time with throttling (needs the Graph emulator).",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
