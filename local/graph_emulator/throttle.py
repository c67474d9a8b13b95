"""Token-bucket throttling per application and class of request, as Graph documents it.

Off by default so tests run at full speed; ``realistic`` uses the documented limits. A 429 carries
an integer ``Retry-After`` of at least 1 (the SDK treats ``0`` as absent and waits ~3 s).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from .errors import GraphError

# class -> (capacity, period in seconds); identity reads are resource units (RU).
REALISTIC: dict[str, tuple[float, float]] = {
    "reports": (5, 10),  # identity and access reports: 5 requests / 10 s per app per tenant
    "directory_write": (3000, 150),  # 3,000 writes / 2 min 30 s per app+tenant
    "directory_read": (3500, 10),  # small tenant (<50 users) RU budget; M/L are larger
}
TENANT_SIZE_READ_RU = ((50, 3500), (500, 5000), (None, 8000))

_THROTTLE_INFO = {
    "reports": ("Tenant_Application/Read", "ResourceUnitLimitExceeded"),
    "directory_write": ("Tenant_Application/Write", "WriteLimitExceeded"),
    "directory_read": ("Tenant_Application/Read", "ResourceUnitLimitExceeded"),
}


@dataclass
class Bucket:
    capacity: float
    period: float
    tokens: float
    stamp: float

    @property
    def rate(self) -> float:
        return self.capacity / self.period

    def take(self, cost: float, now: float) -> float:
        """0 if granted, else the seconds until ``cost`` tokens are available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate


class Throttle:
    def __init__(self) -> None:
        self.limits: dict[str, tuple[float, float]] = {}
        self.profile = "off"
        self.start_empty = False
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def configure(self, spec: dict[str, Any] | str, tenant_users: int = 0) -> None:
        """``"off"``, ``"realistic"`` or ``{"profile": ..., "classes": {name: {limit, periodSeconds}},
        "startEmpty": false}``; ``startEmpty`` begins with every budget spent (an app that has
        been writing at the limit) instead of Graph's fresh window."""
        if isinstance(spec, str):
            spec = {"profile": spec}
        self.profile = str(spec.get("profile", "off"))
        self.start_empty = bool(spec.get("startEmpty", False))
        limits: dict[str, tuple[float, float]] = {}
        if self.profile == "realistic":
            limits = dict(REALISTIC)
            for bound, ru in TENANT_SIZE_READ_RU:
                if bound is None or tenant_users < bound:
                    limits["directory_read"] = (ru, 10)
                    break
        elif self.profile != "off":
            raise ValueError(f"unknown throttle profile {self.profile!r}")
        for name, cls in (spec.get("classes") or {}).items():
            limits[name] = (float(cls["limit"]), float(cls["periodSeconds"]))
        self.limits = limits
        self._buckets.clear()

    def describe(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "startEmpty": self.start_empty,
            "classes": {k: {"limit": c, "periodSeconds": p} for k, (c, p) in self.limits.items()},
        }

    def check(self, throttle_class: str, app_id: str, tenant_id: str, cost: float = 1.0) -> None:
        limit = self.limits.get(throttle_class)
        if limit is None:
            return
        key = (throttle_class, app_id)
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            tokens = 0.0 if self.start_empty else limit[0]
            bucket = self._buckets[key] = Bucket(limit[0], limit[1], tokens, now)
        wait = bucket.take(min(cost, bucket.capacity), now)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)), throttle_class, app_id, tenant_id)


def too_many_requests(
    retry_after: int, throttle_class: str = "", app_id: str = "", tenant_id: str = ""
) -> GraphError:
    scope, info = _THROTTLE_INFO.get(throttle_class, ("Tenant_Application/ReadWrite", ""))
    headers = {"Retry-After": str(retry_after)}
    if throttle_class:
        headers["x-ms-throttle-scope"] = f"{scope}/{app_id}/{tenant_id}"
        headers["x-ms-throttle-information"] = info
    return GraphError(
        429,
        "TooManyRequests",
        "Please retry again later.",
        headers=headers,
        inner={"code": "429", "message": "Please retry after", "status": "429"},
    )
