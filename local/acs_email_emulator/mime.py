"""Render an accepted send request as an RFC 5322 message.

Layout: multipart/mixed [ multipart/alternative [text/plain, text/html] | single body,
attachments... ]. Bcc is kept as a header because the outbox is the sender's copy.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from local.acs_email_emulator.validation import Recipient, SendRequest

MESSAGE_ID_DOMAIN = "acs-email-emulator.local"


def _addresses(recipients: tuple[Recipient, ...]) -> list[Address]:
    return [Address(r.display_name or "", addr_spec=r.address) for r in recipients]


def build_mime(
    request: SendRequest, *, message_id: str, operation_id: str, sent_at: datetime
) -> EmailMessage:
    msg = EmailMessage(policy=policy.default)
    msg["Message-ID"] = f"<{message_id}@{MESSAGE_ID_DOMAIN}>"
    msg["Date"] = format_datetime(sent_at)
    msg["From"] = Address(addr_spec=request.sender)
    for header, recipients in (
        ("To", request.to),
        ("Cc", request.cc),
        ("Bcc", request.bcc),
        ("Reply-To", request.reply_to),
    ):
        if recipients:
            msg[header] = _addresses(recipients)
    msg["Subject"] = request.subject
    msg["X-ACS-Operation-Id"] = operation_id
    for name, value in request.headers.items():
        msg[name] = value

    if request.plain_text is not None:
        msg.set_content(request.plain_text)
        if request.html is not None:
            msg.add_alternative(request.html, subtype="html")
    elif request.html is not None:
        msg.set_content(request.html, subtype="html")
    msg.make_mixed()

    for attachment in request.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        part = EmailMessage(policy=policy.default)
        if attachment.content_id:
            part.set_content(
                attachment.content,
                maintype=maintype,
                subtype=subtype,
                disposition="inline",
                filename=attachment.name,
                cid=f"<{attachment.content_id}>",
            )
        else:
            part.set_content(
                attachment.content,
                maintype=maintype,
                subtype=subtype,
                disposition="attachment",
                filename=attachment.name,
            )
        msg.attach(part)
    return msg
