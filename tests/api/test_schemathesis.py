"""schemathesis against a local host: generated requests for every documented operation.

Each generated HR request body is signed with the Standard Webhooks secret by a `before_call`
hook (unsigned requests would all stop at 401 before parsing and validation). What must hold:
no 5xx answer, every refusal a 4xx problem+json that the document declares, and every answer
conforming to its documented schema. Examples are few (the host is a real process).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import Case
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from local.stack import (
    LOCAL_CAMPAIGN_KEY,
    LOCAL_DOCTOR_KEY,
    LOCAL_HR_KEY,
    LOCAL_REPORTS_KEY,
    LOCAL_STATUS_KEY,
)
from tests.api.test_spec_matches_app import SPEC
from tests.e2e.stack import SECRET, Tapstart

schema = schemathesis.openapi.from_path(str(SPEC))
# Each caller's own key, as deployed (docs/deploy.md "Keys: one per caller"): no master key.
CALLER_KEYS = (
    ("/api/reports/", LOCAL_REPORTS_KEY),
    ("/api/doctor", LOCAL_DOCTOR_KEY),
    ("/api/campaign", LOCAL_CAMPAIGN_KEY),
    ("/api/onboarding/", LOCAL_STATUS_KEY),
    ("/api/hr/", LOCAL_HR_KEY),
)
# A URL the router cannot match (e.g. a path segment with a line break) is answered by the host
# itself, as in Azure, with its own plain-text 400/404.
HOST_REFUSALS = {400, 404}
# Left out: the 405 check (the Functions host answers a method a route does not declare with
# 404, as Azure does: the platform's routing, not Tapstart's code), and "schema-valid must be
# accepted" (the time zone must exist in the tz database, dates must be plausible; those
# refusals are checked below to be 400s that say what is wrong instead).
EXCLUDED_CHECKS = [unsupported_method, positive_data_acceptance]
SIGNED: list[str] = []  # webhook ids the hook signed (the test checks the hook really ran)
HR_STATUSES: list[int] = []  # answers to signed HR requests: some must get past the signature


@schemathesis.hook
def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """Sign the exact bytes that will be sent: the hook serializes the body itself."""
    if (case.method.upper(), case.path) != ("POST", "/api/hr/events"):
        return
    body = _body_bytes(case)
    kwargs["data"] = body
    headers = sign_bytes(body, SECRET)
    case.headers.update(headers)
    SIGNED.append(headers["webhook-id"])


def sign_bytes(body: bytes, secret: str) -> dict[str, str]:
    """Standard Webhooks headers over raw bytes: the package's signer insists on text, and
    generated bodies may not be UTF-8 (Tapstart must then refuse them, not fail)."""
    msg_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def _body_bytes(case: Case[Any]) -> bytes:
    from schemathesis.core import NOT_SET

    if case.body is NOT_SET:
        return b""
    if isinstance(case.body, bytes):  # negative generation may produce raw (even non-UTF-8) bytes
        return case.body
    return json.dumps(case.body).encode()


@pytest.fixture
def host_for_schemathesis(stack: Tapstart) -> Iterator[Tapstart]:
    """The module's host; tenant and outbox reset for each operation (earlier tests' mail would
    otherwise count against the ACS emulator's sending limits)."""
    yield stack


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api(case: Case[Any], host_for_schemathesis: Tapstart) -> None:
    host = host_for_schemathesis.host
    key = next(k for prefix, k in CALLER_KEYS if case.path.startswith(prefix))
    response = case.call(base_url=host.base_url, headers={"x-functions-key": key}, timeout=60)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:500]}"
    if (case.method.upper(), case.path) == ("POST", "/api/hr/events"):
        HR_STATUSES.append(response.status_code)
    if response.status_code >= 400 and response.content:
        [content_type] = response.headers["content-type"]
        if content_type.startswith("text/plain") and response.status_code in HOST_REFUSALS:
            return  # the host's router refused the URL before any Tapstart code ran
        assert content_type.startswith("application/problem+json"), (
            f"{response.status_code} {content_type}: {response.text[:200]}"
        )
        problem = response.json()
        assert problem["status"] == response.status_code
        assert problem["detail"]
        if response.status_code == 400:
            assert problem["errors"] and all(e["problem"] for e in problem["errors"]), problem
    case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)


def test_the_signing_hook_ran() -> None:
    # Runs after the generated cases in this module (pytest keeps file order).
    assert SIGNED, "no HR request was signed: parsing and validation were not exercised"
    assert 202 in HR_STATUSES, "no generated event was accepted"
    assert {400, 415} & set(HR_STATUSES), "no signed request reached parsing and was refused"
