"""`python -m local.host`: run a FunctionApp locally, against Azurite.

    python -m local.host [--app function_app:app] [--port 7071]
                         [--host-json PATH] [--settings PATH] [--queue-lease S]
                         [--http-timeout S] [--timer-lock-recovery S] [--list]

host.json and local.settings.json default to the files beside the app module.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import signal
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from local.host.indexing import check_supported, describe, index_app, load_app, resolve_spec
from local.host.keys import keys_from
from local.host.runtime import LocalHost, run_until_stopped
from local.host.settings import (
    HTTP_RESPONSE_LIMIT,
    PROCESSING_VISIBILITY,
    HostConfigError,
    HostOptions,
    load_local_settings,
    merged_settings,
)
from shared.logging_setup import configure_logging

log = logging.getLogger("local.host")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.host", description=__doc__)
    parser.add_argument("--app", default="function_app:app", help="module[:attr] of the app")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--bind", default="127.0.0.1", help="loopback only, by design")
    parser.add_argument("--host-json", type=Path, help="default: host.json beside the app")
    parser.add_argument("--settings", type=Path, help="default: local.settings.json beside it")
    parser.add_argument("--shutdown-grace", type=float, default=10.0, help="seconds")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--queue-lease",
        type=float,
        default=PROCESSING_VISIBILITY.total_seconds(),
        help="seconds a received queue message stays invisible (renewed at half); the runtime's "
        "10 minutes by default, shorter in fault tests so a dead worker's messages come back",
    )
    parser.add_argument(
        "--http-timeout",
        type=float,
        default=HTTP_RESPONSE_LIMIT.total_seconds(),
        help="seconds an HTTP function may take before the client gets a 502 (the invocation "
        "runs on); the Azure load balancer's 230 s by default, shorter in tests",
    )
    parser.add_argument(
        "--timer-lock-recovery",
        type=float,
        help="seconds between attempts to take a timer's listener lock held by another host; "
        "host.json singleton.listenerLockRecoveryPollingInterval by default (1 minute, at "
        "least 15 s there), shorter in tests so a stopped host's timers move within seconds",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="print the indexed functions (bindings, settings, connections) as JSON and exit",
    )
    return parser.parse_args(argv)


def app_directory(target: str) -> Path:
    """The app module's folder, found without importing it (settings must be set first)."""
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    spec = importlib.util.find_spec(target.partition(":")[0])
    if spec is None or spec.origin is None:
        raise HostConfigError(f"app module {target!r} not found from {Path.cwd()}")
    return Path(spec.origin).resolve().parent


def list_functions(args: argparse.Namespace) -> str:
    """The app's functions as the host indexes them, before any setting is resolved."""
    app_directory(args.app)
    specs = index_app(load_app(args.app))
    for spec in specs:
        check_supported(spec)
    return json.dumps([describe(spec) for spec in specs], indent=2)


def build_host(args: argparse.Namespace) -> LocalHost:
    directory = app_directory(args.app)
    local_values = load_local_settings(args.settings or directory / "local.settings.json")
    settings = merged_settings(local_values)
    # Like Core Tools: local.settings.json values reach the app as environment variables.
    for name, value in local_values.items():
        os.environ.setdefault(name, value)
    specs = index_app(load_app(args.app))
    for spec in specs:
        check_supported(spec)
    resolved = [resolve_spec(spec, settings) for spec in specs]
    options = HostOptions.load(args.host_json or directory / "host.json")
    lease = timedelta(seconds=args.queue_lease)
    options = replace(
        options,
        queues=replace(options.queues, processing_lease=lease),
        http_response_limit=timedelta(seconds=args.http_timeout),
    )
    if args.timer_lock_recovery is not None:
        recovery = timedelta(seconds=args.timer_lock_recovery)
        options = replace(
            options, singleton=replace(options.singleton, listener_lock_recovery=recovery)
        )
    keys = keys_from(settings, [spec.name for spec in resolved])
    return LocalHost(resolved, options, settings, keys, args.shutdown_grace)


async def serve(args: argparse.Namespace) -> None:
    host = build_host(args)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, host.request_stop)
    log.info(
        "local Functions host on http://%s:%d (%d functions):\n%s",
        args.bind,
        args.port,
        len(host.functions),
        "\n".join(host.describe()),
    )
    await run_until_stopped(host, args.bind, args.port)
    log.info("local Functions host stopped")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The app's own logging setup (key=value context such as tracking_id on every line, secrets
    # scrubbed), as the Functions worker would run it; it also quiets the SDKs' request logs.
    configure_logging(args.log_level.upper())
    try:
        if args.list:
            print(list_functions(args))
            return 0
        asyncio.run(serve(args))
    except HostConfigError as exc:
        log.error("cannot start: %s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
