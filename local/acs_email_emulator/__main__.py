"""`python -m local.acs_email_emulator --port P --outbox DIR` (see docs/acs-email-emulator.md)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

from local.acs_email_emulator.config import (
    DEFAULT_SENDER_DOMAINS,
    DEFAULT_SENDER_USERNAMES,
    PROFILES,
    REPEATED_OPERATION_ID_MODES,
    WELL_KNOWN_ACCESS_KEY,
    EmulatorConfig,
)
from local.acs_email_emulator.server import run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local.acs_email_emulator",
        description="Local Azure Communication Services Email endpoint with an outbox.",
    )
    parser.add_argument("--port", type=int, required=True, help="loopback port to listen on")
    parser.add_argument("--outbox", type=Path, required=True, help="folder for .eml/.json files")
    parser.add_argument(
        "--access-key",
        default=WELL_KNOWN_ACCESS_KEY,
        help="base64 HMAC key clients sign with (default: the documented local key)",
    )
    parser.add_argument(
        "--sender-domains",
        default=",".join(DEFAULT_SENDER_DOMAINS),
        help="comma-separated linked sender domains; '*.x' matches subdomains of x",
    )
    parser.add_argument(
        "--sender-usernames",
        default=",".join(DEFAULT_SENDER_USERNAMES),
        help="comma-separated MailFrom usernames of every linked domain (default DoNotReply)",
    )
    parser.add_argument(
        "--state-dir", type=Path, help="where operations are kept (default: OUTBOX-state)"
    )
    parser.add_argument("--entra-tenant", help="accept Entra ID tokens of this tenant id")
    parser.add_argument(
        "--entra-issuer-graph",
        help="Graph endpoint of the local authority that vouches for token signatures",
    )
    parser.add_argument(
        "--repeated-operation-id",
        choices=REPEATED_OPERATION_ID_MODES,
        default="new",
        help="what a send with an Operation-Id already used does (default: new message)",
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="custom")
    parser.add_argument("--per-minute", type=int, help="sends per minute (default: profile)")
    parser.add_argument("--per-hour", type=int, help="sends per hour (default: profile)")
    parser.add_argument("--status-per-minute", type=int, help="status polls per minute")
    parser.add_argument("--status-per-hour", type=int, help="status polls per hour")
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=0.5,
        help="how long an operation stays Running before it ends (default 0.5)",
    )
    parser.add_argument(
        "--retry-after",
        type=int,
        default=1,
        help="retry-after seconds on 202 and Running status answers (default 1, minimum 1)",
    )
    parser.add_argument("--log-file", type=Path, help="append logs here instead of stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        filename=args.log_file,
    )
    overrides = {
        "per_minute": args.per_minute,
        "per_hour": args.per_hour,
        "status_per_minute": args.status_per_minute,
        "status_per_hour": args.status_per_hour,
    }
    limits = PROFILES[args.profile]
    limits = limits.updated(
        {key: value for key, value in _camel(overrides).items() if value is not None}
    )
    domains = tuple(d.strip() for d in args.sender_domains.split(",") if d.strip())
    usernames = tuple(u.strip() for u in args.sender_usernames.split(",") if u.strip())
    try:
        config = EmulatorConfig(
            outbox_dir=args.outbox.resolve(),
            port=args.port,
            access_key=args.access_key,
            sender_domains=domains,
            sender_usernames=usernames,
            state_dir=args.state_dir.resolve() if args.state_dir else None,
            entra_tenant=args.entra_tenant,
            entra_issuer_graph=args.entra_issuer_graph,
            repeated_operation_id=args.repeated_operation_id,
            profile=args.profile,
            limits=limits,
            processing_seconds=args.processing_seconds,
            retry_after_seconds=args.retry_after,
        )
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    run(config)


def _camel(values: dict[str, int | None]) -> dict[str, int | None]:
    return {
        "perMinute": values["per_minute"],
        "perHour": values["per_hour"],
        "statusPerMinute": values["status_per_minute"],
        "statusPerHour": values["status_per_hour"],
    }


if __name__ == "__main__":
    main()
