"""Bearer tokens: issued by the emulated login authority, checked on every Graph request.

Tokens are JWT-shaped (header.payload.signature, HS256 with a per-process key) and carry the
app's ``roles``, as Entra app-only tokens do. The audience must be Graph's, so a client that
forgets ``scopes=["https://graph.microsoft.com/.default"]`` fails here as it would in Azure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .errors import GraphError

GRAPH_AUDIENCE = "https://graph.microsoft.com"
TOKEN_LIFETIME_SECONDS = 3599


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claims:
    app_id: str
    roles: frozenset[str]
    audience: str
    expires: int
    tenant_id: str


class TokenService:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._verified: dict[str, Claims] = {}

    def issue(self, tenant_id: str, app_id: str, roles: list[str], scope: str) -> str:
        now = int(time.time())
        audience = scope.split(" ")[0].removesuffix("/.default") if scope else GRAPH_AUDIENCE
        if audience in {"00000003-0000-0000-c000-000000000000", "https://graph.microsoft.com/"}:
            audience = GRAPH_AUDIENCE
        payload = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
            "appid": app_id,
            "azp": app_id,
            "idtyp": "app",
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, app_id)),
            "roles": roles,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, app_id)),
            "tid": tenant_id,
            "ver": "1.0",
        }
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "emulator"}).encode())
        body = _b64(json.dumps(payload).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{signature}"

    def verify(self, authorization: str | None, tenant_id: str) -> Claims:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise _invalid("Access token is empty.")
        token = authorization[7:].strip()
        claims = self._verified.get(token) or self._decode(token)
        if claims.expires < time.time():
            raise _invalid("Lifetime validation failed, the token is expired.")
        if claims.audience != GRAPH_AUDIENCE:
            raise _invalid("Access token validation failure. Invalid audience.")
        if claims.tenant_id != tenant_id:
            raise _invalid("Access token validation failure.")
        self._verified[token] = claims
        return claims

    def _decode(self, token: str) -> Claims:
        try:
            header, body, signature = token.split(".")
            expected = hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                raise ValueError("signature")
            payload: dict[str, Any] = json.loads(_unb64(body))
            return Claims(
                app_id=str(payload["appid"]),
                roles=frozenset(payload.get("roles", [])),
                audience=str(payload["aud"]),
                expires=int(payload["exp"]),
                tenant_id=str(payload["tid"]),
            )
        except (ValueError, KeyError, TypeError):
            raise _invalid("IDX14100: JWT is not well formed, there are no dots (.).") from None


def _invalid(message: str) -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        message,
        headers={"WWW-Authenticate": 'Bearer realm="", authorization_uri="", client_id=""'},
    )


def require_permission(granted: frozenset[str], required: frozenset[str]) -> None:
    """Graph accepts a call when the token holds any one of the permissions that grant it."""
    if required and not (granted & required):
        raise GraphError(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
