"""The login authority MSAL talks to (served over TLS, as MSAL insists on ``https``):
OpenID metadata and the client-credentials token endpoint.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from .auth import TOKEN_LIFETIME_SECONDS
from .http import EMULATOR_KEY


def _oauth_error(status: int, error: str, code: int, description: str) -> web.Response:
    return web.json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}",
            "error_codes": [code],
            "timestamp": "",
            "trace_id": "",
            "correlation_id": "",
        },
        status=status,
    )


def _tenant_ok(request: web.Request) -> bool:
    tenant = request.app[EMULATOR_KEY].tenant
    wanted = request.match_info["tenant"].lower()
    return wanted in {tenant.id.lower(), tenant.domain.lower(), "organizations", "common"}


async def openid_configuration(request: web.Request) -> web.Response:
    em = request.app[EMULATOR_KEY]
    if not _tenant_ok(request):
        return _oauth_error(
            400, "invalid_tenant", 90002, f"Tenant '{request.match_info['tenant']}' not found."
        )
    base = f"{em.authority_url}/{em.tenant.id}"
    return web.json_response(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{em.base_url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "roles"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }
    )


async def keys(_request: web.Request) -> web.Response:
    return web.json_response({"keys": []})


def _client_credentials(request: web.Request, form: Any) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        return unquote(client_id), unquote(secret)
    return str(form.get("client_id", "")), str(form.get("client_secret", ""))


async def token(request: web.Request) -> web.Response:
    em = request.app[EMULATOR_KEY]
    em.counts[("/{tenant}/oauth2/v2.0/token", "POST", 0)] += 1
    if not _tenant_ok(request):
        return _oauth_error(
            400, "invalid_request", 90002, f"Tenant '{request.match_info['tenant']}' not found."
        )
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(
            400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
        )
    client_id, secret = _client_credentials(request, form)
    app = em.tenant.apps.get(client_id)
    if app is None:
        return _oauth_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{em.tenant.display_name}'.",
        )
    if secret != app.client_secret:
        return _oauth_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
        )
    scope = str(form.get("scope", ""))
    if not scope.endswith("/.default"):
        return _oauth_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must have "
            "a scope value with /.default suffixed to the resource identifier (application ID URI).",
        )
    access_token = em.tokens.issue(em.tenant.id, app.client_id, app.roles, scope)
    return web.json_response(
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "access_token": access_token,
        }
    )


def build_authority_app(em_app_key_value: Any) -> web.Application:
    app = web.Application()
    app[EMULATOR_KEY] = em_app_key_value
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration)
    app.router.add_get("/{tenant}/.well-known/openid-configuration", openid_configuration)
    app.router.add_get("/{tenant}/discovery/v2.0/keys", keys)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
    return app
