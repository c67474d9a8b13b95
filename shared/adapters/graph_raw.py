"""Raw JSON requests through the msgraph-sdk request adapter.

The adapter still brings authentication, the retry handler (429/503/504 with Retry-After) and
redirects; we only skip the SDK's model parsing, which costs ~6 ms per object (graph-api.md §8),
and its JSON batching, which drops item bodies (§7.5).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from shared.domain.errors import PermanentError, TransientError

_TRANSIENT_STATUS = {429, 500, 502, 503, 504}
_MAX_BATCH = 20


class GraphRequestError(Exception):
    """A non-2xx Graph answer, kept with status, code and message for callers to classify."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def transient(self) -> bool:
        return self.status in _TRANSIENT_STATUS

    def as_tapstart_error(self, what: str) -> Exception:
        if self.transient():
            return TransientError(f"graph_{self.status} on {what}", self.retry_after)
        if self.status in (401, 403):
            return PermanentError("graph_forbidden", f"{what}: {self.code}")
        return PermanentError("graph_error", f"{what}: {self.status} {self.code}")


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(1.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


class GraphRaw:
    def __init__(self, client: Any, base_url: str) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")

    async def request(
        self,
        method: str,
        path_or_url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        retries: int | None = None,
    ) -> Any:
        """Send one request; return the parsed JSON body (None for 204). Raise GraphRequestError.

        `retries` overrides, for this request only, how often the SDK's RetryHandler retries a
        429/503/504 (it waits as `Retry-After` says, else backs off); None keeps the client's
        default (3). Kiota accepts 0 to 10 (`RetryHandlerOption.MAX_MAX_RETRIES`).
        """
        import httpx  # here, not at import: it costs ~70 ms of cold start for one exception type
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation
        from kiota_http.middleware.options import RetryHandlerOption
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        info = RequestInformation()
        info.http_method = Method[method.upper()]
        info.url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        for key, value in (headers or {}).items():
            info.headers.try_add(key, value)
        info.headers.try_add("Accept", "application/json")
        if body is not None:
            info.set_stream_content(json.dumps(body).encode(), "application/json")
        if retries is not None:
            info.add_request_options([RetryHandlerOption(max_retries=retries)])
        try:
            raw = await self._client.request_adapter.send_primitive_async(
                info, "bytes", {"XXX": ODataError}
            )
        except ODataError as exc:
            err = exc.error
            raise GraphRequestError(
                exc.response_status_code or 0,
                (err.code if err else None) or "",
                (err.message if err else None) or "",
                _retry_after(exc.response_headers),
            ) from exc
        except (TimeoutError, httpx.TransportError) as exc:
            raise GraphRequestError(503, "transport", type(exc).__name__) from exc
        return json.loads(raw) if raw else None

    async def batch(
        self, requests: list[dict[str, Any]], attempts: int = 4
    ) -> dict[str, tuple[int, Any]]:
        """POST /$batch (≤20 per call); per-item 429/503 are retried after their Retry-After."""
        results: dict[str, tuple[int, Any]] = {}
        pending = list(requests)
        for attempt in range(attempts):
            retry: list[dict[str, Any]] = []
            wait = 0.0
            for start in range(0, len(pending), _MAX_BATCH):
                chunk = pending[start : start + _MAX_BATCH]
                answer = await self.request("POST", "/$batch", {"requests": chunk})
                by_id = {r["id"]: r for r in chunk}
                for item in answer.get("responses", []):
                    status = int(item.get("status", 500))
                    if status in _TRANSIENT_STATUS and attempt < attempts - 1:
                        retry.append(by_id[item["id"]])
                        wait = max(wait, _retry_after(item.get("headers")) or 1.0)
                    else:
                        results[item["id"]] = (status, item.get("body"))
            if not retry:
                break
            await asyncio.sleep(wait)
            pending = retry
        return results
