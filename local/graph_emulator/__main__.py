"""``python -m local.graph_emulator --port P --tls-port Q --ca-file PATH --seed FILE``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import ssl
import sys
from pathlib import Path

import trustme
from aiohttp import web

from .authority import build_authority_app
from .control import routes as control_routes
from .emulator import Emulator
from .http import EMULATOR_KEY, graph_handler
from .routes import build_router


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.graph_emulator", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="plain-HTTP Graph port")
    parser.add_argument("--tls-port", type=int, required=True, help="login authority (TLS) port")
    parser.add_argument("--ca-file", type=Path, required=True, help="where to write the CA's PEM")
    parser.add_argument("--seed", type=Path, required=True, help="tenant seed JSON")
    parser.add_argument("--profile", choices=["off", "realistic"], default="off", help="throttling")
    parser.add_argument("--report-lag-seconds", type=float, default=None, help="report refresh lag")
    parser.add_argument("--log-file", type=Path, default=None, help="log here instead of stderr")
    return parser.parse_args(argv)


def build_graph_app(em: Emulator) -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[EMULATOR_KEY] = em
    app.add_routes(control_routes)
    app.router.add_route("*", "/{tail:.*}", graph_handler)
    return app


def tls_context(ca_file: Path) -> ssl.SSLContext:
    """A throwaway CA for this run; clients trust it through ``ca_file`` only."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file.parent.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(ca_file))
    return context


async def serve(args: argparse.Namespace) -> None:
    seed = json.loads(args.seed.read_text(encoding="utf-8"))
    em = Emulator(seed, build_router(), report_lag=args.report_lag_seconds)
    em.base_url = f"http://127.0.0.1:{args.port}/v1.0"
    em.authority_url = f"https://127.0.0.1:{args.tls_port}"
    em.throttle_profile = args.profile
    em.throttle.configure(args.profile, len(em.tenant.users))
    graph = web.AppRunner(build_graph_app(em), access_log=None)
    login = web.AppRunner(build_authority_app(em), access_log=None)
    await graph.setup()
    await login.setup()
    await web.TCPSite(graph, "127.0.0.1", args.port).start()
    await web.TCPSite(
        login, "127.0.0.1", args.tls_port, ssl_context=tls_context(args.ca_file)
    ).start()
    print(
        f"graph emulator: {em.base_url} authority {em.authority_url}/{em.tenant.id} "
        f"ca {args.ca_file} ({len(em.tenant.users)} users)",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await graph.cleanup()
    await login.cleanup()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.log_file:
        # Server errors and the ready line go to the file; request bodies are never logged.
        stream = open(args.log_file, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        sys.stdout = sys.stderr = stream
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    # Report rows are cached per user; with 100,000 of them, default GC thresholds trigger full
    # collections often enough to put 100+ ms pauses on report pages.
    gc.set_threshold(50_000, 50, 1000)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
