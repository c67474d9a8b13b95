"""`tapstart hr send FILE [--url URL] [--key KEY]`: send one signed HR event, as an HR system does.

Reads the event from FILE, checks it with the intake's own parser (a file the endpoint would
refuse is not sent unless --no-check), signs it with the first HR_WEBHOOK_SECRETS secret
(Standard Webhooks, a fresh webhook-id) and POSTs it to `<url>/api/hr/events` with a key of
the `hr_events` function. Needs only those settings, not the app's services: an HR integrator
can run it with HR_WEBHOOK_SECRETS alone.

The JSON answer goes to stdout, the HTTP status and hints to stderr. Exit codes: 0 accepted
(202), 1 the endpoint answered anything else, 2 nothing was sent (bad file, missing secret,
endpoint unreachable).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from shared.cli.output import Progress, error
from shared.config import Settings, read_settings_file
from shared.domain.errors import ConfigurationError, InvalidEventError
from shared.intake.cloudevents import STRUCTURED_CONTENT_TYPE
from shared.intake.parse import JSON, SCIM, parse_hr_request
from shared.intake.signature import sign_request

DEFAULT_HOST_URL = "http://127.0.0.1:7071"
# Written by `make up` into .local/local.settings.json beside the app's own settings.
HOST_URL_SETTING = "TAPSTART_HOST_URL"
HR_KEY_SETTING = "TAPSTART_FUNCTION_KEYS_HR_EVENTS"
ROUTE = "/api/hr/events"
SCIM_BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
TIMEOUT_SECONDS = 30
NOT_SENT = 2
REFUSED = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hr = sub.add_parser("hr", help="act as the HR system: send one signed event")
    actions = hr.add_subparsers(dest="hr_action", required=True, metavar="ACTION")
    send = actions.add_parser(
        "send",
        help="sign one HR event file (Standard Webhooks) and POST it to /api/hr/events",
        description="Exit codes: 0 accepted (202), 1 the endpoint answered anything else, "
        "2 nothing was sent.",
    )
    send.add_argument("file", metavar="FILE", help="the event: canonical JSON, CloudEvent, SCIM")
    send.add_argument(
        "--url",
        help=f"the Function App's base URL (default: {HOST_URL_SETTING} from the settings, "
        f"else {DEFAULT_HOST_URL})",
    )
    send.add_argument(
        "--key",
        help=f"a key of the hr_events function (default: the first of {HR_KEY_SETTING})",
    )
    send.add_argument(
        "--content-type",
        help="default: from the file (application/cloudevents+json for a CloudEvent, "
        "application/scim+json for a SCIM BulkRequest, else application/json)",
    )
    send.add_argument(
        "--no-check",
        action="store_true",
        help="send even a file Tapstart's parser refuses (to see the endpoint's answer)",
    )
    send.set_defaults(standalone=send_event)


def send_event(args: argparse.Namespace) -> int:
    settings_file: str | None = args.settings
    try:
        values = _values(settings_file)
        secret = _first_secret(values)
    except ConfigurationError as exc:
        where = f"--settings {settings_file}" if settings_file else "the environment"
        error(
            str(exc),
            f"set HR_WEBHOOK_SECRETS in {where}; on the local stack pass "
            "--settings .local/local.settings.json (written by `make up`)",
        )
        return NOT_SENT
    path = Path(args.file)
    try:
        body = path.read_bytes()
    except OSError as exc:
        error(f"cannot read {path}: {exc.strerror}", "name an event file, e.g. examples/hr-events/")
        return NOT_SENT
    content_type = args.content_type or guess_content_type(body)
    if not args.no_check:
        try:
            parse_hr_request(
                body,
                {"content-type": content_type},
                max_bytes=_max_event_bytes(values),
                received_at=datetime.now(UTC),
            )
        except InvalidEventError as exc:
            error(
                f"{path} is not an HR event Tapstart accepts ({content_type}): {exc.detail}",
                "correct the file (schemas/joiner-event.schema.json, docs/hr-events.md); "
                "nothing was sent (--no-check sends it anyway)",
            )
            return NOT_SENT
    base = (args.url or values.get(HOST_URL_SETTING) or DEFAULT_HOST_URL).rstrip("/")
    key = args.key or _first(values.get(HR_KEY_SETTING, ""))
    headers = {"content-type": content_type, **sign_request(body, secret)}
    if key:
        headers["x-functions-key"] = key
    progress = Progress(not args.quiet)
    progress(
        f"POST {base}{ROUTE} ({content_type}, {len(body)} bytes, "
        f"webhook-id {headers['webhook-id']}{'' if key else ', no function key'})"
    )
    try:
        status, answer = _post(base + ROUTE, body, headers)
    except OSError as exc:
        reason = getattr(exc, "reason", None) or exc
        error(
            f"cannot reach {base}: {reason}",
            "start the local stack with `make up`, or pass --url with the Function App's URL",
        )
        return NOT_SENT
    print(f"HTTP {status} {_phrase(status)}", file=sys.stderr)
    document = _json(answer)
    if document is not None:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    elif answer:
        print(answer.decode("utf-8", errors="replace"))
    if status == HTTPStatus.ACCEPTED:
        _next_steps(document, base, settings_file)
        return 0
    error(f"HTTP {status}: {_problem(document)}", _fix_for(status))
    return REFUSED


def guess_content_type(body: bytes) -> str:
    """The content type a file's JSON asks for: a CloudEvent, a SCIM BulkRequest or canonical."""
    try:
        document = json.loads(body)
    except ValueError:
        return JSON  # the parser names the problem
    if isinstance(document, dict):
        if "specversion" in document:
            return STRUCTURED_CONTENT_TYPE
        schemas = document.get("schemas")
        if isinstance(schemas, list) and SCIM_BULK in schemas:
            return SCIM
    return JSON


def _values(settings_file: str | None) -> dict[str, str]:
    """The settings the command reads: the environment over the --settings file, as elsewhere."""
    from_file = read_settings_file(Path(settings_file)) if settings_file else {}
    return {**from_file, **os.environ}


def _first_secret(values: Mapping[str, str]) -> str:
    spec = Settings.specs()["hr_webhook_secrets"]
    raw = values.get(spec.env, "")
    if not raw.strip():
        raise ConfigurationError(f"{spec.env} is missing (the secret to sign the event with)")
    try:
        secrets: tuple[str, ...] = spec.parse(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{spec.env} is malformed: {exc}") from None
    return secrets[0]


def _max_event_bytes(values: Mapping[str, str]) -> int:
    spec = Settings.specs()["max_event_bytes"]
    try:
        return int(spec.parse(values.get(spec.env) or spec.default or "1048576"))
    except ValueError:
        return int(spec.parse(spec.default or "1048576"))


def _first(keys: str) -> str:
    return next((k.strip() for k in keys.split(",") if k.strip()), "")


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as answer:
        with answer:
            return int(answer.code), bytes(answer.read())


def _json(answer: bytes) -> Any:
    try:
        return json.loads(answer) if answer else None
    except ValueError:
        return None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _problem(document: Any) -> str:
    if isinstance(document, dict):
        detail = document.get("detail") or document.get("title")
        if detail:
            return str(detail)
    return "no problem detail in the answer"


def _fix_for(status: int) -> str:
    if status == HTTPStatus.UNAUTHORIZED:
        return (
            "pass a key of the hr_events function (--key, or the settings' "
            f"{HR_KEY_SETTING}) and sign with a secret of the app's HR_WEBHOOK_SECRETS"
        )
    if status in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNSUPPORTED_MEDIA_TYPE):
        return "correct the file where the answer says (docs/hr-events.md)"
    if status == HTTPStatus.NOT_FOUND:
        return "--url must be the Function App's base URL (without /api/hr/events)"
    return "see docs/hr-events.md for the endpoint's answers"


def _next_steps(document: Any, base: str, settings_file: str | None) -> None:
    ids = document.get("trackingIds", []) if isinstance(document, dict) else []
    prefix = _program() + (f" --settings {settings_file}" if settings_file else "")
    for tracking_id in ids:
        print(
            f"  follow it: {prefix} status {tracking_id}   "
            f"(or GET {base}/api/onboarding/{tracking_id} with an onboarding_status key)",
            file=sys.stderr,
        )


def _program() -> str:
    """How to run tapstart again, as this run was started (`.venv/bin/tapstart` if so)."""
    invoked = sys.argv[0] if sys.argv else ""
    return invoked if Path(invoked).name == "tapstart" else "tapstart"
