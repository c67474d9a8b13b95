"""The outbox: every accepted message as `<time>-<id>.eml` plus `<time>-<id>.json` in one folder.

The JSON record is what the control API and the HTML pages show; the `.eml` is the message
itself, and attachment bytes are read back from it. Records found in the folder at start-up
are loaded, so a restarted emulator still lists earlier mail.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from local.acs_email_emulator.validation import Recipient, SendRequest

log = logging.getLogger(__name__)


def _people(recipients: tuple[Recipient, ...]) -> list[dict[str, str | None]]:
    return [{"address": r.address, "displayName": r.display_name} for r in recipients]


def make_record(
    request: SendRequest,
    *,
    message_id: str,
    operation_id: str,
    sent_at: datetime,
    api_version: str,
    final_status: str,
    error: dict[str, str] | None,
    suppressed: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": message_id,
        "operationId": operation_id,
        "time": sent_at.isoformat(),
        "apiVersion": api_version,
        "from": request.sender,
        "to": _people(request.to),
        "cc": _people(request.cc),
        "bcc": _people(request.bcc),
        "replyTo": _people(request.reply_to),
        "subject": request.subject,
        "plainText": request.plain_text,
        "html": request.html,
        "headers": request.headers,
        "attachments": [
            {
                "index": index,
                "name": a.name,
                "contentType": a.content_type,
                "contentId": a.content_id,
                "size": len(a.content),
                "url": f"/_emulator/messages/{message_id}/attachments/{index}",
            }
            for index, a in enumerate(request.attachments)
        ],
        "finalStatus": final_status,
        "error": error,
        # Recipients on the suppression list: dropped, not delivered ("Suppressed" in ACS logs).
        "suppressed": suppressed or [],
    }


@dataclass(frozen=True)
class AttachmentBytes:
    name: str
    content_type: str
    content: bytes


class Outbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._records: dict[str, dict[str, Any]] = {}
        for path in sorted(directory.glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                self._records[record["id"]] = record
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("skipping unreadable outbox record %s", path.name)

    def add(self, record: dict[str, Any], mime: EmailMessage) -> None:
        stamp = datetime.fromisoformat(record["time"]).strftime("%Y%m%dT%H%M%S.%fZ")
        stem = f"{stamp}-{record['id']}"
        record["file"] = f"{stem}.eml"
        # The .eml first: a JSON record only exists for a complete message.
        (self.directory / f"{stem}.eml").write_bytes(mime.as_bytes())
        (self.directory / f"{stem}.json").write_text(
            json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        self._records[record["id"]] = record

    def records(self) -> list[dict[str, Any]]:
        return sorted(self._records.values(), key=lambda r: (r["time"], r["id"]))

    def get(self, message_id: str) -> dict[str, Any] | None:
        return self._records.get(message_id)

    def eml(self, message_id: str) -> bytes | None:
        record = self._records.get(message_id)
        if record is None:
            return None
        path: Path = self.directory / str(record["file"])
        return path.read_bytes()

    def attachment(self, message_id: str, index: int) -> AttachmentBytes | None:
        raw = self.eml(message_id)
        if raw is None:
            return None
        message = message_from_bytes(raw, policy=policy.default)
        # The first part of the mixed container is always the body (see mime.py).
        parts = list(message.iter_parts())[1:]
        if not 0 <= index < len(parts):
            return None
        part = parts[index]
        content = part.get_payload(decode=True)
        return AttachmentBytes(
            part.get_filename() or f"attachment-{index}",
            part.get_content_type(),
            content if isinstance(content, bytes) else b"",
        )

    def clear(self) -> None:
        for record in self._records.values():
            stem = record["file"].removesuffix(".eml")
            for suffix in (".eml", ".json"):
                (self.directory / f"{stem}{suffix}").unlink(missing_ok=True)
        self._records.clear()
