"""ACS-shaped error answers: `{"error": {code, message, target?}}` plus `x-ms-error-code`."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


@dataclass
class AcsError(Exception):
    status: int
    code: str
    message: str
    target: str | None = None
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def response(self) -> web.Response:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        headers = {"x-ms-error-code": self.code}
        if self.retry_after is not None:
            headers["retry-after"] = str(self.retry_after)
        return web.json_response({"error": error}, status=self.status, headers=headers)


def bad_request(message: str, target: str | None = None, code: str = "BadRequest") -> AcsError:
    return AcsError(400, code, message, target)


def denied(message: str) -> AcsError:
    # ACS answers every HMAC failure with the same code; the message says which check failed
    # so that a developer can fix the client.
    return AcsError(401, "Denied", f"Denied by the resource provider. {message}")
