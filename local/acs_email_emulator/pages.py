"""The outbox for people: an index at `/` and one page per message at `/messages/{id}`.

Everything shown is escaped; the message HTML is only ever shown inside a sandboxed iframe
(`sandbox` with no permissions: no scripts, no forms, no same-origin access), and the CSP
keeps the page from loading anything remote.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiohttp import web

from local.acs_email_emulator.api import STATE_KEY

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
td { vertical-align: top; }
.Succeeded { color: #176f2c; } .Failed { color: #b3261e; } .Running { color: #8a6d00; }
iframe { width: 100%; height: 32rem; border: 1px solid #ccc; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .6rem; }
"""


def _page(title: str, body: str) -> web.Response:
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return web.Response(
        text=html,
        content_type="text/html",
        headers={"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"},
    )


def _people(entries: list[dict[str, Any]]) -> str:
    shown = []
    for entry in entries:
        name = entry.get("displayName")
        address = str(entry["address"])
        shown.append(f"{name} <{address}>" if name else address)
    return escape(", ".join(shown))


async def index(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    rows = []
    for record in reversed(state.outbox.records()):
        status = state.status_of(record)
        link = f"/messages/{escape(record['id'], quote=True)}"
        rows.append(
            f"<tr><td>{escape(record['time'])}</td><td>{_people(record['to'])}</td>"
            f'<td><a href="{link}">{escape(record["subject"])}</a></td>'
            f'<td class="{escape(status, quote=True)}">{escape(status)}</td></tr>'
        )
    table = (
        "<table><thead><tr><th>Time (UTC)</th><th>To</th><th>Subject</th><th>Status</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>The outbox is empty.</p>"
    )
    return _page(
        "ACS Email emulator outbox",
        f"<h1>Outbox</h1><p>{len(rows)} message(s), newest first.</p>{table}",
    )


async def message(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    record = state.outbox.get(request.match_info["message_id"])
    if record is None:
        raise web.HTTPNotFound(text="no such message")
    message_id = escape(record["id"], quote=True)
    header_rows = [
        ("Time (UTC)", escape(record["time"])),
        ("Status", escape(state.status_of(record))),
        ("From", escape(record["from"])),
        ("To", _people(record["to"])),
        ("Cc", _people(record["cc"])),
        ("Bcc", _people(record["bcc"])),
        ("Reply-To", _people(record["replyTo"])),
        ("Subject", escape(record["subject"])),
        ("Operation id", escape(record["operationId"])),
    ]
    header_rows += [(escape(k), escape(v)) for k, v in record["headers"].items()]
    headers = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in header_rows)
    attachments = "".join(
        f'<li><a href="/_emulator/messages/{message_id}/attachments/{int(a["index"])}">'
        f"{escape(a['name'])}</a> ({escape(a['contentType'])}, {int(a['size'])} bytes)</li>"
        for a in record["attachments"]
    )
    parts = [
        '<p><a href="/">← outbox</a> · '
        f'<a href="/_emulator/messages/{message_id}/eml">download .eml</a></p>',
        f"<h1>{escape(record['subject'])}</h1><table>{headers}</table>",
    ]
    if attachments:
        parts.append(f"<h2>Attachments</h2><ul>{attachments}</ul>")
    if record["html"]:
        srcdoc = escape(record["html"], quote=True)
        parts.append(
            "<h2>HTML</h2>"
            f'<iframe sandbox="" referrerpolicy="no-referrer" srcdoc="{srcdoc}"></iframe>'
        )
    if record["plainText"]:
        parts.append(f"<h2>Plain text</h2><pre>{escape(record['plainText'])}</pre>")
    return _page(record["subject"], "".join(parts))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/messages/{message_id}", message)
