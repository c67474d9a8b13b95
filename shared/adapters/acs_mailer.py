"""The Mailer port on Azure Communication Services Email.

Real ACS: endpoint + managed identity (or an access key). Locally: the ACS emulator's http
endpoint + key. The client (`clients.email_client`) is built from endpoint and credential, never
from a connection string, because `from_connection_string` forces https (azure-platform.md §4.3).
"""

from __future__ import annotations

import base64
from typing import Any

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.rest import HttpRequest

from shared.adapters.clients import email_client
from shared.adapters.threads import in_thread
from shared.config import Settings
from shared.domain.email import OutgoingEmail
from shared.domain.errors import PermanentError, TransientError

API_VERSION = "2025-09-01"


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


class AcsMailer:
    def __init__(self, settings: Settings) -> None:
        # Transport retries only (connect/read). An ACS 429 or 5xx is raised at once: the SDK
        # would otherwise sleep its Retry-After up to three times inside the worker (a 60 s
        # Retry-After held an invocation three minutes); the caller re-enqueues for later.
        self._client = email_client(settings, retry_total=3, retry_status=0)
        self._sender = settings.mail_sender

    async def aclose(self) -> None:
        self._client.close()

    def _send(self, email: OutgoingEmail, operation_id: str) -> str:
        # Wait for the accept (202) only: polling each send's status would spend the status quota
        # (10/min on a managed domain); delivery failures surface through was_sent()/the report.
        poller = self._client.begin_send(
            message_payload(email, self._sender), operation_id=operation_id, polling=False
        )
        accepted = poller.result() or {}
        return str(accepted.get("id") or operation_id)

    async def send(self, email: OutgoingEmail, operation_id: str) -> str:
        try:
            return await in_thread(self._send, email, operation_id)
        except HttpResponseError as exc:
            status = exc.status_code or 0
            if status == 429 or status >= 500:
                raise TransientError(f"acs_{status}", _retry_after(exc)) from exc
            code = exc.error.code if exc.error else ""
            raise PermanentError("email_rejected", f"{status} {code}") from exc
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise TransientError("acs_unreachable") from exc

    def _status(self, operation_id: str) -> bool | None:
        request = HttpRequest(
            "GET", f"/emails/operations/{operation_id}", params={"api-version": API_VERSION}
        )
        response = self._client.send_request(request)
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            return None
        return str(response.json().get("status")) in {"NotStarted", "Running", "Succeeded"}

    async def was_sent(self, operation_id: str) -> bool | None:
        """True: ACS accepted this operation; False: it never did; None: cannot tell now."""
        try:
            return await in_thread(self._status, operation_id)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError):
            return None


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
