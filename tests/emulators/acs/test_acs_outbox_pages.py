"""The outbox for people and tools: HTML index, message page, control API, files."""

from __future__ import annotations

import base64
import urllib.request
from typing import Any

from local.acs_email_emulator.outbox import Outbox
from tests.fixtures.acs import AcsEmulator

HOSTILE = '<script>alert("x")</script>'


def send(acs: AcsEmulator, **content: Any) -> dict[str, Any]:
    body = {
        "senderAddress": acs.sender,
        "recipients": {"to": [{"address": "a@contoso.example", "displayName": HOSTILE}]},
        "content": {"subject": "Hello", "plainText": "Hi", **content},
        "attachments": [
            {
                "name": f"{HOSTILE}.html",
                "contentType": "text/html",
                "contentInBase64": base64.b64encode(HOSTILE.encode()).decode(),
            }
        ],
    }
    acs.email_client().begin_send(body, polling=False)
    return acs.control.messages()[-1]


def get(acs: AcsEmulator, path: str) -> tuple[str, dict[str, str]]:
    with urllib.request.urlopen(acs.endpoint + path, timeout=10) as response:
        return response.read().decode(), dict(response.headers)


def test_index_lists_messages_and_escapes_everything(acs: AcsEmulator) -> None:
    record = send(acs, subject=f"Subject {HOSTILE}")
    page, headers = get(acs, "/")
    assert "<script>" not in page
    assert "Subject &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert f'href="/messages/{record["id"]}"' in page
    assert "Running" in page or "Succeeded" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_message_page_sandboxes_the_html_part(acs: AcsEmulator) -> None:
    record = send(acs, html=f"<p>Hi</p>{HOSTILE}")
    page, _ = get(acs, f"/messages/{record['id']}")
    assert "<script>" not in page
    assert '<iframe sandbox="" ' in page
    assert 'srcdoc="&lt;p&gt;Hi&lt;/p&gt;&lt;script&gt;' in page
    assert f"/_emulator/messages/{record['id']}/attachments/0" in page
    assert f"/_emulator/messages/{record['id']}/eml" in page


def test_attachment_is_served_as_a_download(acs: AcsEmulator) -> None:
    record = send(acs)
    body, headers = get(acs, record["attachments"][0]["url"])
    assert body == HOSTILE
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_clear_removes_records_and_files(acs: AcsEmulator) -> None:
    send(acs)
    assert len(list(acs.outbox_dir.glob("*.eml"))) == 1
    acs.control.clear()
    assert acs.control.messages() == []
    assert list(acs.outbox_dir.iterdir()) == []


def test_outbox_folder_is_reloaded_by_a_new_emulator(acs: AcsEmulator) -> None:
    record = send(acs)
    reloaded = Outbox(acs.outbox_dir)
    [again] = reloaded.records()
    assert again["id"] == record["id"]
    assert again["finalStatus"] == "Succeeded"
    attachment = reloaded.attachment(record["id"], 0)
    assert attachment is not None
    assert attachment.content == HOSTILE.encode()


def test_health_and_unknown_api_path(acs: AcsEmulator) -> None:
    assert acs.control.health()["status"] == "ok"
    request = urllib.request.Request(acs.endpoint + "/emails/nothing-here")
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as exc:
        with exc:
            assert exc.code == 404
            assert exc.headers["x-ms-error-code"] == "NotFound"
    assert acs.control.requests() == {"other": {"404": 1}}
