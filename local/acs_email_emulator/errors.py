"""ACS-shaped error answers: `{"error": {code, message, target?}}` plus `x-ms-error-code`."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class AcsError(Exception):
    status: int
    code: str
    message: str
    target: str | None = None
    retry_after: int | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        return {"error": error}

    def headers(self) -> dict[str, str]:
        headers = {"x-ms-error-code": self.code, **self.extra_headers}
        if self.retry_after is not None:
            headers["retry-after"] = str(self.retry_after)
        return headers

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status, headers=self.headers())


def bad_request(message: str, target: str | None = None, code: str = "BadRequest") -> AcsError:
    return AcsError(400, code, message, target)


def denied(message: str) -> AcsError:
    # ACS answers every HMAC failure with the same code; the message says which check failed
    # so that a developer can fix the client.
    return AcsError(401, "Denied", f"Denied by the resource provider. {message}")
