"""The Mailer port on Azure Communication Services Email.

Real ACS: endpoint + managed identity (or an access key). Locally: the ACS emulator's http
endpoint + key, or a token of the emulated login authority. The client (`clients.email_client`)
is built from endpoint and credential, never from a connection string, because
`from_connection_string` forces https (azure-platform.md §4.3).

Every send carries the caller's operation id (`Operation-Id`). What ACS does with an id it has
seen before is not documented (docs/acs-email-emulator.md, "Operation-Id"), so the mailer is
right under each answer: a second message (the callers ask `was_sent` before they send again),
the first answer again, or 409 Conflict, which means ACS holds the operation: it is confirmed
with a status read and counted as sent, never as a refusal that would delete a delivered pass.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.rest import HttpRequest

from shared.adapters.clients import email_client
from shared.adapters.threads import in_thread
from shared.config import Settings
from shared.domain.email import OutgoingEmail
from shared.domain.email_address import is_deliverable
from shared.domain.errors import PermanentError, TransientError

API_VERSION = "2025-09-01"
# Transport retries only (connect/read). An ACS 429 or 5xx is raised at once: the SDK would
# otherwise sleep its Retry-After up to three times inside the worker (a 60 s Retry-After held an
# invocation three minutes); the caller re-enqueues for later.
CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 3, "retry_status": 0}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_ACCEPTED = {"NotStarted", "Running", "Succeeded"}
_ENDED_UNSENT = {"Failed", "Canceled"}


def message_payload(email: OutgoingEmail, sender: str) -> dict[str, Any]:
    recipients: dict[str, Any] = {"to": [{"address": a} for a in email.to]}
    if email.cc:
        recipients["cc"] = [{"address": a} for a in email.cc]
    payload: dict[str, Any] = {
        "senderAddress": sender,
        "recipients": recipients,
        "content": {"subject": email.subject, "plainText": email.text, "html": email.html},
        "userEngagementTrackingDisabled": True,
    }
    if email.attachments:
        payload["attachments"] = [
            {
                "name": a.name,
                "contentType": a.content_type,
                "contentInBase64": base64.b64encode(a.content).decode(),
            }
            for a in email.attachments
        ]
    return payload


def request_options(settings: Settings) -> dict[str, Any]:
    """Per-request options: a bearer token over plain http only to the local emulator.

    azure-core refuses bearer tokens on http URLs; the emulator speaks http on loopback. With an
    access key there is no bearer token, and the option must not reach the transport.
    """
    url = urlsplit(settings.acs_endpoint)
    if not settings.acs_access_key and url.scheme == "http" and url.hostname in _LOOPBACK:
        return {"enforce_https": False}
    return {}


class AcsMailer:
    def __init__(self, settings: Settings, *, client: Any | None = None) -> None:
        """`client`: an EmailClient built elsewhere (a test's token credential); by default
        `clients.email_client` with `CLIENT_OPTIONS`."""
        self._client = client or email_client(settings, **CLIENT_OPTIONS)
        self._sender = settings.mail_sender
        self._options = request_options(settings)

    async def aclose(self) -> None:
        self._client.close()

    def _send(self, email: OutgoingEmail, operation_id: str) -> str:
        # Wait for the accept (202) only: polling each send's status would spend the status quota
        # (10/min on a managed domain); delivery failures surface through was_sent()/the report.
        poller = self._client.begin_send(
            message_payload(email, self._sender),
            operation_id=operation_id,
            polling=False,
            **self._options,
        )
        accepted = poller.result() or {}
        return str(accepted.get("id") or operation_id)

    async def send(self, email: OutgoingEmail, operation_id: str) -> str:
        # ACS refuses a malformed address only after the request counts against the send quota;
        # the callers choose deliverable recipients, this is the last check before the request.
        if not all(is_deliverable(a) for a in (*email.to, *email.cc)):
            raise PermanentError("email_rejected", "a recipient is not a deliverable address")
        try:
            return await in_thread(self._send, email, operation_id)
        except HttpResponseError as exc:
            status = exc.status_code or 0
            if status == 409:
                return await self._already_accepted(operation_id, exc)
            if status == 429 or status >= 500:
                raise TransientError(f"acs_{status}", _retry_after(exc)) from exc
            code = exc.error.code if exc.error else ""
            raise PermanentError("email_rejected", f"{status} {code}") from exc
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise TransientError("acs_unreachable") from exc

    async def _already_accepted(self, operation_id: str, conflict: HttpResponseError) -> str:
        """409 to a send: ACS holds an operation with this id (a repeat of an earlier send)."""
        status = await self._operation_status(operation_id)
        if status in _ACCEPTED:
            return operation_id
        if status in _ENDED_UNSENT:
            # The earlier send with this id was dropped; another send under it cannot be made.
            raise PermanentError(
                "email_rejected", f"409 Conflict: operation {status}"
            ) from conflict
        raise TransientError("acs_409_unconfirmed") from conflict

    def _status(self, operation_id: str) -> str | None:
        """The operation's status; "" when ACS has none; None when it cannot tell now."""
        request = HttpRequest(
            "GET", f"/emails/operations/{operation_id}", params={"api-version": API_VERSION}
        )
        response = self._client.send_request(request, **self._options)
        if response.status_code == 404:
            return ""
        if response.status_code >= 400:
            return None
        return str(response.json().get("status"))

    async def _operation_status(self, operation_id: str) -> str | None:
        try:
            return await in_thread(self._status, operation_id)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError):
            return None

    async def was_sent(self, operation_id: str) -> bool | None:
        """True: ACS accepted this operation; False: it never did; None: cannot tell now."""
        status = await self._operation_status(operation_id)
        return None if status is None else status in _ACCEPTED


def _retry_after(exc: HttpResponseError) -> float | None:
    response = exc.response
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None
