"""The emulator's state and request pipeline: token check, routing, permission, throttling,
handler, request log. Used by the HTTP front end and, per item, by ``$batch``.
"""

from __future__ import annotations

import json
import time
from collections import Counter, deque
from dataclasses import dataclass, replace
from typing import Any

from .auth import TokenService, require_permission
from .clock import Clock
from .dispatch import GraphRequest, GraphResponse, Router
from .errors import GraphError, error_body
from .faults import Faults
from .paging import Cursors
from .registration import report_row
from .seed import load_tenant
from .state import RegisteredMethod, Tenant, User
from .throttle import Throttle, too_many_requests

_LOG_LIMIT = 5000


@dataclass
class LoggedRequest:
    at: float
    method: str
    endpoint: str
    path: str
    status: int
    request_id: str
    in_batch: bool


class Emulator:
    def __init__(
        self, seed: dict[str, Any], router: Router, *, report_lag: float | None = None
    ) -> None:
        self.router = router
        self.seed = seed
        self.report_lag_override = report_lag
        self.clock = Clock()
        self.tokens = TokenService()
        self.throttle = Throttle()
        self.throttle_profile = "off"  # what a reset returns to (the --profile flag)
        self.faults = Faults()
        self.cursors = Cursors()
        self.base_url = "http://127.0.0.1/v1.0"
        self.authority_url = "https://127.0.0.1"
        self.log: deque[LoggedRequest] = deque(maxlen=_LOG_LIMIT)
        self.counts: Counter[tuple[str, str, int]] = Counter()
        self.tenant: Tenant = self._load(seed)
        self._report_cache: dict[str, _ReportEntry] = {}
        self._enabled_ids: tuple[int, list[str]] = (-1, [])

    def _load(self, seed: dict[str, Any]) -> Tenant:
        tenant = load_tenant(seed, self.clock)
        if self.report_lag_override is not None:
            tenant.settings.report_lag_seconds = self.report_lag_override
        return tenant

    def reset(self, seed: dict[str, Any] | None = None) -> None:
        """A fresh tenant from ``seed``, or from the start-up seed file when none is given (so a
        test's custom seed never leaks into the next test). Faults, throttling, clock and the
        request log are cleared too; throttling returns to the start-up profile."""
        self.clock.offset = self.clock.offset * 0
        self.tenant = self._load(seed if seed is not None else self.seed)
        self.faults.configure({})
        self.throttle.configure(self.throttle_profile, len(self.tenant.users))
        self.cursors.clear()
        self.clear_log()
        self._report_cache.clear()
        self._enabled_ids = (-1, [])

    def clear_log(self) -> None:
        self.log.clear()
        self.counts.clear()

    # -- request pipeline ---------------------------------------------------------------

    def handle(self, req: GraphRequest, authorization: str | None) -> GraphResponse:
        endpoint = "(unmatched)"
        try:
            claims = self.tokens.verify(authorization, self.tenant.id)
            req.app = self.tenant.apps.get(claims.app_id)
            req.roles = claims.roles
            route, params = self.router.match(req.method, req.segments)
            endpoint = route.template
            req.route, req.params = route, params
            require_permission(claims.roles, route.permissions)
            if req.in_batch:
                decision = self.faults.decide(req.method, req.path, in_batch=True)
                if decision.status is not None:
                    raise injected_error(decision.status, decision.retry_after)
            self.throttle.check(route.throttle_class, claims.app_id, self.tenant.id, _cost(req))
            response = route.handler(self, req)
        except GraphError as error:
            response = self.error_response(error, req)
        self.record(req, endpoint, response.status)
        response.headers.setdefault("request-id", req.request_id)
        response.headers.setdefault("client-request-id", req.client_request_id)
        return response

    def error_response(self, error: GraphError, req: GraphRequest) -> GraphResponse:
        body = error_body(error, req.request_id, req.client_request_id)
        return GraphResponse(error.status, body, dict(error.headers))

    def record(self, req: GraphRequest, endpoint: str, status: int) -> None:
        self.counts[(endpoint, req.method, status)] += 1
        self.log.append(
            LoggedRequest(
                time.time(), req.method, endpoint, req.path, status, req.request_id, req.in_batch
            )
        )

    # -- derived views --------------------------------------------------------------------

    def enabled_user_ids(self) -> list[str]:
        """Report population (disabled accounts are absent), cached per tenant version."""
        version, ids = self._enabled_ids
        if version != self.tenant.version:
            ids = [u.id for u in self.tenant.users.values() if u.account_enabled]
            self._enabled_ids = (self.tenant.version, ids)
        return ids

    def report_row(self, user: User) -> dict[str, Any]:
        """The user's row as the report shows it now: methods appear only after the lag."""
        return self._report_entry(user).row

    def report_row_json(self, user: User) -> bytes:
        """The row serialised once per change: pages of 999 rows are joined, not re-encoded."""
        entry = self._report_entry(user)
        if entry.json is None:
            entry.json = json.dumps(entry.row, separators=(",", ":")).encode()
        return entry.json

    def _report_entry(self, user: User) -> _ReportEntry:
        cutoff = self.clock.now().timestamp() - self.tenant.settings.report_lag_seconds
        visible = [_as_reported(m, cutoff) for m in user.methods if m.created.timestamp() <= cutoff]
        key = (user.rev, len(visible), sum(m.has_phone_sign_in for m in visible))
        cached = self._report_cache.get(user.id)
        if cached is not None and cached.key == key:
            return cached
        entry = _ReportEntry(key, report_row(self.tenant, user, visible))
        self._report_cache[user.id] = entry
        return entry


def _as_reported(method: RegisteredMethod, cutoff: float) -> RegisteredMethod:
    """Phone sign-in enabled later reaches the report after the same lag as a registration;
    until then the method still reads as push only."""
    at = method.phone_sign_in_at
    if method.has_phone_sign_in and at is not None and at.timestamp() > cutoff:
        return replace(method, kind="microsoftAuthenticatorPush", phone_sign_in_at=None)
    return method


@dataclass
class _ReportEntry:
    # (user revision, methods visible to the report, of which with phone sign-in visible)
    key: tuple[int, int, int]
    row: dict[str, Any]
    json: bytes | None = None


def _cost(req: GraphRequest) -> float:
    """Identity resource units, roughly as Graph documents them (GET users costs 2, ...)."""
    if req.method != "GET":
        return 1.0
    cost = 2.0 if req.segments[:1] == ["users"] and len(req.segments) == 1 else 1.0
    if "$select" in req.query:
        cost -= 1
    if "$expand" in req.query:
        cost += 1
    return max(1.0, cost)


def injected_error(status: int, retry_after: int | None) -> GraphError:
    if status == 429:
        return too_many_requests(retry_after or 1)
    codes = {
        500: ("generalException", "General exception while processing."),
        502: ("BadGateway", "Bad gateway."),
        503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later."),
        504: ("GatewayTimeout", "The gateway timed out."),
    }
    code, message = codes.get(status, ("UnknownError", "Injected fault."))
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return GraphError(status, code, message, headers=headers)
