"""Turn a send request body into a `SendRequest`, or raise the error ACS would answer."""

from __future__ import annotations

import binascii
import json
import re
from base64 import b64decode
from dataclasses import dataclass
from typing import Any

from local.acs_email_emulator.config import MAX_RECIPIENTS, MAX_REQUEST_BYTES, domain_is_linked
from local.acs_email_emulator.errors import AcsError, bad_request

# What ACS is known to refuse with "Invalid format for email address" (docs, "Addresses"): the
# emulator accepts an ASCII dot-atom local part and a domain of LDH labels, no more. A quoted
# local part or an internationalised address (RFC 6531) is refused: ACS does not document them.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable ASCII except ':'


@dataclass(frozen=True)
class Recipient:
    address: str
    display_name: str | None


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: bytes
    content_id: str | None


@dataclass(frozen=True)
class SendRequest:
    sender: str
    to: tuple[Recipient, ...]
    cc: tuple[Recipient, ...]
    bcc: tuple[Recipient, ...]
    reply_to: tuple[Recipient, ...]
    subject: str
    plain_text: str | None
    html: str | None
    attachments: tuple[Attachment, ...]
    headers: dict[str, str]

    def all_recipients(self) -> tuple[Recipient, ...]:
        return self.to + self.cc + self.bcc


def _string(obj: dict[str, Any], key: str, target: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise bad_request(f"The {target} field is required.", target)
        return None
    if not isinstance(value, str):
        raise bad_request(f"The {target} field must be a string.", target)
    if required and not value.strip():
        raise bad_request(f"The {target} field must not be empty.", target)
    return value


def _object(value: Any, target: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"The {target} field must be an object.", target)
    return value


def address_is_valid(value: str) -> bool:
    local, at, domain = value.partition("@")
    labels = domain.split(".")
    return (
        value.isascii()
        and bool(at)
        and len(local) <= 64
        and len(value) <= 254
        and _LOCAL.fullmatch(local) is not None
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )


def _address(value: str, target: str) -> str:
    if not address_is_valid(value):
        raise bad_request(
            f"Invalid format for email address at {target}.", target, "InvalidEmailAddress"
        )
    return value


def _recipient_list(value: Any, target: str) -> tuple[Recipient, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad_request(f"The {target} field must be an array.", target)
    recipients = []
    for index, item in enumerate(value):
        where = f"{target}[{index}]"
        entry = _object(item, where)
        address = _string(entry, "address", f"{where}.address", required=True)
        assert address is not None
        name = _string(entry, "displayName", f"{where}.displayName", required=False)
        recipients.append(Recipient(_address(address, f"{where}.address"), name or None))
    return tuple(recipients)


def _attachments(value: Any) -> tuple[Attachment, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad_request("The attachments field must be an array.", "attachments")
    result = []
    for index, item in enumerate(value):
        where = f"attachments[{index}]"
        entry = _object(item, where)
        name = _string(entry, "name", f"{where}.name", required=True)
        content_type = _string(entry, "contentType", f"{where}.contentType", required=True)
        encoded = _string(entry, "contentInBase64", f"{where}.contentInBase64", required=True)
        content_id = _string(entry, "contentId", f"{where}.contentId", required=False)
        assert name is not None and content_type is not None and encoded is not None
        if not _CONTENT_TYPE.match(content_type):
            raise bad_request(
                f"{content_type!r} is not a valid content type.", f"{where}.contentType"
            )
        try:
            content = b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(
                "The attachment content is not valid base64.", f"{where}.contentInBase64"
            ) from None
        result.append(Attachment(name, content_type.lower(), content, content_id))
    return tuple(result)


def _custom_headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    headers = _object(value, "headers")
    for name, header_value in headers.items():
        # CR/LF would let a caller inject extra header lines into the stored message.
        if not _HEADER_NAME.match(name) or not isinstance(header_value, str):
            raise bad_request(f"The header {name!r} is not valid.", f"headers.{name}")
        if "\r" in header_value or "\n" in header_value:
            raise bad_request(f"The header {name!r} is not valid.", f"headers.{name}")
    return dict(headers)


def parse_send_request(
    raw: bytes, linked_domains: tuple[str, ...], sender_usernames: tuple[str, ...]
) -> SendRequest:
    if len(raw) > MAX_REQUEST_BYTES:
        raise AcsError(
            413,
            "RequestBodyTooLarge",
            f"The request is {len(raw)} bytes; the maximum is {MAX_REQUEST_BYTES} bytes.",
        )
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from None
    body = _object(body, "body")

    sender = _string(body, "senderAddress", "senderAddress", required=True)
    assert sender is not None
    _address(sender, "senderAddress")

    recipients = _object(body.get("recipients"), "recipients")
    if "to" not in recipients:
        raise bad_request("The recipients.to field is required.", "recipients.to")
    to = _recipient_list(recipients.get("to"), "recipients.to")
    cc = _recipient_list(recipients.get("cc"), "recipients.cc")
    bcc = _recipient_list(recipients.get("bcc"), "recipients.bcc")
    total = len(to) + len(cc) + len(bcc)
    if total == 0:
        raise bad_request("At least one recipient is required.", "recipients")
    if total > MAX_RECIPIENTS:
        raise bad_request(
            f"{total} recipients; the maximum is {MAX_RECIPIENTS} (to + cc + bcc).", "recipients"
        )

    content = _object(body.get("content"), "content")
    subject = _string(content, "subject", "content.subject", required=True)
    assert subject is not None
    if "\r" in subject or "\n" in subject:
        raise bad_request("The subject must be a single line.", "content.subject")
    plain_text = _string(content, "plainText", "content.plainText", required=False)
    html = _string(content, "html", "content.html", required=False)
    if not plain_text and not html:
        raise bad_request("The content needs plainText or html.", "content")

    request = SendRequest(
        sender=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=_recipient_list(body.get("replyTo"), "replyTo"),
        subject=subject,
        plain_text=plain_text or None,
        html=html or None,
        attachments=_attachments(body.get("attachments")),
        headers=_custom_headers(body.get("headers")),
    )
    # Checked last, like ACS: a well-formed request from an unlinked domain or username.
    username, _, domain = sender.rpartition("@")
    if not domain_is_linked(domain, linked_domains):
        raise AcsError(
            404,
            "DomainNotLinked",
            "The specified sender domain has not been linked.",
            "senderAddress",
        )
    if username.lower() not in {u.lower() for u in sender_usernames}:
        raise AcsError(
            400,
            "InvalidSenderUserName",
            f"Invalid email sender username: '{username}'. Please use a username from the list "
            "of valid usernames configured by your admin.",
            "senderAddress",
        )
    return request
