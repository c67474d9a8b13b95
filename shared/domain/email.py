"""An email as Tapstart composes it, independent of the sending service."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    to: tuple[str, ...]
    subject: str
    html: str
    text: str
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())
    kind: str = "notice"  # tap_delivery | reminder | report | alert: for logs and metrics only


def mask_email(address: str) -> str:
    """`jane.doe@contoso.com` -> `j***e@contoso.com`: enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    if not domain:
        return "***"
    shown = local[0] + "***" + local[-1] if len(local) > 2 else local[:1] + "***"
    return f"{shown}@{domain}"
