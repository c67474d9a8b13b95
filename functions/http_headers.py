"""Security headers on every HTTP answer: the triggers' one way to build or finish a response.

- Every answer: `X-Content-Type-Options: nosniff` (a browser never second-guesses the type, so
  JSON carrying a display name is never run as HTML) and `Cache-Control: no-store` (answers
  name people and the tenant's weak spots; no proxy or browser cache keeps them).
- HTML answers (the stored report page) also get a Content-Security-Policy that allows nothing
  but inline styles and images from `data:` (plus the configured logo's origin), cannot be
  framed, has no base URL and no form target, and `Referrer-Policy: no-referrer`.

`json_answer` and `html_answer` build the common answers; `secured` adds the headers to any other
response (problem answers get them in `functions.http_problem.problem_response`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import azure.functions as func

HTML = "text/html"
JSON = "application/json"

EVERY_ANSWER: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
HTML_ANSWER: Mapping[str, str] = {
    "Referrer-Policy": "no-referrer",
}
# The report page is the digest's email HTML: tables, inline `style` attributes, no script, no
# stylesheet, no font, no form, no frame; its only image is the optional brand logo.
_CSP = (
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src {img_src}",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
)
# An origin that is safe to put into the policy as a source (no `;`, quote or space).
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def image_origin(url: str) -> str | None:
    """The origin of an http(s) image URL (the brand logo) as a CSP source, or None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    origin = f"{parts.scheme.lower()}://{parts.netloc}"
    return origin if parts.hostname and _ORIGIN.match(origin) else None


def content_security_policy(img_src: Iterable[str] = ()) -> str:
    """The HTML answers' policy; `img_src` adds image sources (origins) after `data:`."""
    sources = " ".join(dict.fromkeys(["data:", *img_src]))
    return "; ".join(_CSP).format(img_src=sources)


def _is_html(response: func.HttpResponse) -> bool:
    content_type = response.headers.get("Content-Type") or response.mimetype or ""
    return content_type.split(";", 1)[0].strip().lower() == HTML


def security_headers(*, html: bool, img_src: Iterable[str] = ()) -> dict[str, str]:
    headers = dict(EVERY_ANSWER)
    if html:
        headers["Content-Security-Policy"] = content_security_policy(img_src)
        headers.update(HTML_ANSWER)
    return headers


def secured(response: func.HttpResponse, *, img_src: Iterable[str] = ()) -> func.HttpResponse:
    """`response` with the security headers for its type set (replacing any it had)."""
    for name, value in security_headers(html=_is_html(response), img_src=img_src).items():
        response.headers[name] = value
    return response


def json_answer(
    body: object,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    ensure_ascii: bool = True,
) -> func.HttpResponse:
    """`body` as JSON, with the security headers."""
    return secured(
        func.HttpResponse(
            json.dumps(body, ensure_ascii=ensure_ascii),
            status_code=status,
            headers=dict(headers or {}),
            mimetype=JSON,
        )
    )


def html_answer(
    body: str | bytes, *, status: int = 200, img_src: Iterable[str] = ()
) -> func.HttpResponse:
    """An HTML page (UTF-8) with the security headers; `img_src`: origins its images come from."""
    return secured(
        func.HttpResponse(body, status_code=status, mimetype=HTML, charset="utf-8"),
        img_src=img_src,
    )
