"""Server-side paging with an opaque ``$skiptoken`` and an absolute ``@odata.nextLink``.

The first request materialises the ordered result (ids only); later pages slice that snapshot,
so a filter over a large tenant is evaluated once per listing, not once per page.
"""

from __future__ import annotations

import base64
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from urllib.parse import quote

from .errors import bad_request

_MAX_CURSORS = 256


class Cursors:
    def __init__(self) -> None:
        self._snapshots: OrderedDict[str, Sequence[str]] = OrderedDict()

    def clear(self) -> None:
        self._snapshots.clear()

    def open(self, ids: Sequence[str]) -> str:
        cursor = secrets.token_hex(8)
        self._snapshots[cursor] = ids
        while len(self._snapshots) > _MAX_CURSORS:
            self._snapshots.popitem(last=False)
        return cursor

    def resume(self, token: str) -> tuple[str, Sequence[str], int]:
        try:
            cursor, _, offset = (
                base64.urlsafe_b64decode(token.encode() + b"==").decode().partition(":")
            )
            ids = self._snapshots[cursor]
            return cursor, ids, int(offset)
        except (KeyError, ValueError, UnicodeDecodeError):
            raise bad_request("The $skiptoken is invalid or has expired.") from None


def skiptoken(cursor: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{cursor}:{offset}".encode()).decode().rstrip("=")


def next_link(base_url: str, path: str, params: dict[str, str], token: str) -> str:
    kept = [f"{k}={quote(v, safe=',')}" for k, v in params.items() if k != "$skiptoken"]
    kept.append(f"$skiptoken={token}")
    return f"{base_url}{path}?{'&'.join(kept)}"
