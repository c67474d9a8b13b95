"""The doctor's reads outside Graph's JSON API: the app's token, storage, ACS Email.

Each probe answers what it saw (a ReadFailure, or None for "fine") instead of raising, so one
broken service shows up as one failed check and the others still run. Clients are built with few
retries and short timeouts: a doctor that hangs for minutes on a dead endpoint is no help.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from shared.adapters.clients import (
    GRAPH_SCOPES,
    blob_container,
    email_client,
    graph_credential,
    queue_service,
    table_service,
)
from shared.adapters.threads import in_thread
from shared.config import Settings, StorageConnection
from shared.doctor.fetched import ReadFailure
from shared.doctor.permission_checks import roles_from_token
from shared.doctor.service_checks import AcsObservation
from shared.domain.errors import ConfigurationError

ACS_API_VERSION = "2025-09-01"
_CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 1, "connection_timeout": 5, "read_timeout": 15}
# Storage SDKs back off 15 s before their first retry: a probe answers faster without one.
_STORAGE_OPTIONS: dict[str, Any] = {**_CLIENT_OPTIONS, "retry_total": 0}


def _first_line(text: object) -> str:
    return str(text).strip().splitlines()[0][:200] if str(text).strip() else ""


def failure_of(exc: BaseException) -> ReadFailure:
    if isinstance(exc, HttpResponseError) and exc.status_code:
        code = exc.error.code if exc.error and exc.error.code else (exc.reason or "")
        return ReadFailure(exc.status_code, str(code), "")
    if isinstance(exc, ClientAuthenticationError):
        return ReadFailure(401, "authentication", _first_line(exc.message))
    return ReadFailure(0, type(exc).__name__, _first_line(exc))


async def token_roles(settings: Settings) -> list[str] | ReadFailure:
    def fetch() -> str:
        credential = graph_credential(settings)
        try:
            return str(credential.get_token(*GRAPH_SCOPES).token)
        finally:
            close = getattr(credential, "close", None)  # every azure.identity credential has it
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    try:
        token = await in_thread(fetch)
    except Exception as exc:  # any credential failure is the finding itself
        return failure_of(exc)
    return roles_from_token(token)


def _storage_reads(
    settings: Settings, connection: StorageConnection
) -> tuple[dict[str, Callable[[], None]], list[Any]]:
    queues = queue_service(connection, **_STORAGE_OPTIONS)
    tables = table_service(connection, **_STORAGE_OPTIONS)
    blobs = blob_container(connection, settings.report_container, **_STORAGE_OPTIONS)

    def queue() -> None:
        # A missing queue is fine: the app creates it on first use.
        with contextlib.suppress(ResourceNotFoundError):
            queues.get_queue_client(settings.onboarding_queue).get_queue_properties()

    def table() -> None:
        client = tables.get_table_client(settings.ledger_table)
        with contextlib.suppress(ResourceNotFoundError):
            next(iter(client.query_entities("PartitionKey eq 'doctor'", results_per_page=1)), None)

    def blob() -> None:
        blobs.exists()

    reads = {
        f"queue {settings.onboarding_queue}": queue,
        f"table {settings.ledger_table}": table,
        f"container {settings.report_container}": blob,
    }
    return reads, [queues, tables, blobs]


async def storage_outcomes(settings: Settings) -> dict[str, ReadFailure | None]:
    try:
        reads, clients = _storage_reads(settings, settings.require_storage())
    except ConfigurationError as exc:
        return {"AzureWebJobsStorage": ReadFailure(0, "configuration", str(exc))}
    outcomes: dict[str, ReadFailure | None] = {}
    try:
        for name, read in reads.items():
            try:
                await in_thread(read)
                outcomes[name] = None
            except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
                outcomes[name] = failure_of(exc)
    finally:
        for client in clients:
            client.close()
    return outcomes


def _acs_probe(settings: Settings, send_test: bool) -> AcsObservation:
    from azure.core.rest import HttpRequest

    seen = AcsObservation(settings.acs_endpoint, settings.mail_sender, None)
    client = email_client(settings, **_CLIENT_OPTIONS)
    try:
        # An unknown operation id: 404 proves the endpoint answers and accepts the credential,
        # without sending anything or spending the send quota.
        request = HttpRequest(
            "GET",
            f"/emails/operations/doctor-{uuid.uuid4()}",
            params={"api-version": ACS_API_VERSION},
        )
        try:
            response = client.send_request(request)
            if response.status_code in (401, 403) or response.status_code >= 500:
                reach = ReadFailure(response.status_code, response.reason or "", "")
                return AcsObservation(seen.endpoint, seen.sender, reach)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            return AcsObservation(seen.endpoint, seen.sender, failure_of(exc))
        if not send_test:
            return seen
        return _send_test(client, settings, seen)
    finally:
        with contextlib.suppress(Exception):
            client.close()


def _send_test(client: Any, settings: Settings, seen: AcsObservation) -> AcsObservation:
    message = {
        "senderAddress": settings.mail_sender,
        "recipients": {"to": [{"address": settings.admin_emails[0]}]},
        "content": {
            "subject": "Tapstart doctor: test email",
            "plainText": "Sent by `tapstart doctor --probe-email` to check the sender domain.",
        },
        "userEngagementTrackingDisabled": True,
    }
    try:
        client.begin_send(message, polling=False).result()
    except HttpResponseError as exc:
        code = exc.error.code if exc.error else ""
        if code in {
            "DomainNotLinked",
            "InvalidSenderUserName",
            "SenderNotLinked",
        } or exc.status_code in (403, 404):
            return AcsObservation(
                seen.endpoint, seen.sender, None, False, f"{exc.status_code} {code}"
            )
        return AcsObservation(seen.endpoint, seen.sender, failure_of(exc))
    return AcsObservation(seen.endpoint, seen.sender, None, True)


async def acs_observation(settings: Settings, send_test: bool = False) -> AcsObservation:
    return await in_thread(_acs_probe, settings, send_test)


class AppServiceProbes:
    """The doctor's `ServiceProbes`, bound to the app's settings."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def token_roles(self) -> list[str] | ReadFailure:
        return await token_roles(self._settings)

    async def storage(self) -> dict[str, ReadFailure | None]:
        return await storage_outcomes(self._settings)

    async def acs(self, send_test: bool) -> AcsObservation:
        return await acs_observation(self._settings, send_test)
