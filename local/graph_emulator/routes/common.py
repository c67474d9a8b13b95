"""Helpers shared by the endpoint modules: contexts, lookups, paged collections."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..dispatch import JSON_CONTENT_TYPE, GraphRequest, GraphResponse
from ..errors import not_found
from ..paging import next_link, skiptoken
from ..state import User, app_initiator

if TYPE_CHECKING:
    from ..emulator import Emulator


def context(em: Emulator, fragment: str) -> str:
    return f"{em.base_url}/$metadata#{fragment}"


def require_user(em: Emulator, key: str) -> User:
    user = em.tenant.find_user(key)
    if user is None:
        raise not_found(key)
    return user


def deleted_security_info(em: Emulator, req: GraphRequest, user: User, label: str) -> GraphResponse:
    """The audit entry Entra writes when an app deletes a user's method, and the 204."""
    user.touch()  # the methods list and the report row are rebuilt from the methods left
    em.tenant.audit(
        "Admin deleted security info",
        category="UserManagement",
        service="Authentication Methods",
        target=user,
        initiated_by=app_initiator(req.app),
        operation="Delete",
        details=[{"key": "Method", "value": label}],
    )
    return GraphResponse(204)


def ok(body: dict[str, Any] | bytes, status: int = 200) -> GraphResponse:
    return GraphResponse(status, body, {"Content-Type": JSON_CONTENT_TYPE})


def paged(
    em: Emulator,
    req: GraphRequest,
    *,
    ids: Sequence[str] | None,
    top: int,
    render: Callable[[Sequence[str]], bytes],
    context_url: str,
    extra: bytes = b"",
) -> GraphResponse:
    """One page of ``ids`` (or of the snapshot named by ``$skiptoken``) as raw JSON bytes.

    ``render`` turns a slice of ids into the comma-joined JSON of its items, so a handler can
    serialise a 999-row page in one pass.
    """
    token = req.query.get("$skiptoken")
    if token:
        cursor, ids, offset = em.cursors.resume(token)
    else:
        assert ids is not None
        cursor, offset = "", 0
    chunk = ids[offset : offset + top]
    parts = [b'{"@odata.context":', _quote(context_url), extra, b',"value":[', render(chunk), b"]"]
    if offset + top < len(ids):
        cursor = cursor or em.cursors.open(ids)
        link = next_link(em.base_url, req.path, req.query, skiptoken(cursor, offset + top))
        parts += [b',"@odata.nextLink":', _quote(link)]
    parts.append(b"}")
    return ok(b"".join(parts))


def _quote(text: str) -> bytes:
    return json.dumps(text).encode()
