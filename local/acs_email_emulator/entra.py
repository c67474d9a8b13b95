"""Microsoft Entra ID bearer tokens, checked as ACS checks them for a managed identity.

The SDK sends `Authorization: Bearer <token>` for a token credential, with a token for the
scope `https://communication.azure.com//.default` (azure-communication-email
`_shared/auth_policy_utils.py`). A token passes when it is a JWT whose audience is ACS, whose
issuer and `tid` are the configured tenant, that is inside its lifetime (5 minutes of clock
skew, as Microsoft.IdentityModel allows) and whose signature its issuer vouches for.

Signature: Entra publishes its signing keys (JWKS) and ACS verifies against them. The local
authority (local/graph_emulator) signs with a per-process key it does not publish (its JWKS is
empty), so the emulator asks the issuer instead: it presents the token to the Graph emulator,
which checks the signature and lifetime before the audience. "Invalid audience" there means the
signature and lifetime are good (the audience is ACS's, not Graph's); any other answer means
they are not. A verified token is remembered until it expires.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from local.acs_email_emulator.config import ACS_AUDIENCES, TOKEN_CLOCK_SKEW_SECONDS
from local.acs_email_emulator.errors import AcsError, denied

# What the Graph emulator answers for a well-signed, unexpired token of another audience.
_GRAPH_WRONG_AUDIENCE = "Invalid audience"


def _segment(text: str) -> dict[str, Any]:
    decoded = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    if not isinstance(decoded, dict):
        raise ValueError("not a JSON object")
    return decoded


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, unverified; a 401 when the token is not one."""
    try:
        header, payload, signature = token.split(".")
        if not signature or "alg" not in _segment(header):
            raise ValueError("no signature")
        return _segment(payload)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise denied("The access token is not a well-formed JWT.") from None


def check_claims(claims: dict[str, Any], tenant_id: str, now: float) -> None:
    """Audience, issuer/tenant and lifetime; raises a 401 `AcsError` naming the failed check."""
    audience = claims.get("aud")
    if audience not in ACS_AUDIENCES:
        raise denied(
            f"The access token's audience {audience!r} is not Azure Communication Services "
            "(request the scope https://communication.azure.com//.default)."
        )
    issuers = {
        f"https://sts.windows.net/{tenant_id}/",
        f"https://login.microsoftonline.com/{tenant_id}/v2.0",
    }
    if str(claims.get("tid", "")).lower() != tenant_id.lower() or claims.get("iss") not in issuers:
        raise denied("The access token was not issued by the resource's tenant.")
    try:
        expires = float(claims["exp"])
        not_before = float(claims.get("nbf", 0))
    except (KeyError, TypeError, ValueError):
        raise denied("The access token has no valid lifetime (exp, nbf).") from None
    if now > expires + TOKEN_CLOCK_SKEW_SECONDS:
        expired = datetime.fromtimestamp(expires, UTC).isoformat()
        raise denied(f"The access token expired at {expired}.")
    if now < not_before - TOKEN_CLOCK_SKEW_SECONDS:
        raise denied("The access token is not valid yet (nbf).")


@dataclass
class TokenVerifier:
    tenant_id: str
    issuer_graph: str  # e.g. http://127.0.0.1:P/v1.0
    _verified: dict[str, float] = field(default_factory=dict)  # token -> exp
    _session: aiohttp.ClientSession | None = None

    async def verify(self, authorization: str, now: float) -> None:
        token = authorization.split(" ", 1)[1].strip()
        claims = claims_of(token)
        check_claims(claims, self.tenant_id, now)
        self._verified = {t: exp for t, exp in self._verified.items() if exp > now}
        if token not in self._verified:
            await self._issuer_vouches(token)
            self._verified[token] = float(claims["exp"]) + TOKEN_CLOCK_SKEW_SECONDS

    async def _issuer_vouches(self, token: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.get(
                f"{self.issuer_graph.rstrip('/')}/organization",
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise AcsError(
                503, "ServiceUnavailable", "The token issuer could not be reached."
            ) from None
        error = body.get("error") if isinstance(body, dict) else None
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        if status != 401 or _GRAPH_WRONG_AUDIENCE not in message:
            raise denied("The access token's signature or lifetime was not accepted by its issuer.")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
