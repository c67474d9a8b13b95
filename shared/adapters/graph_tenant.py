"""The doctor's TenantReader on Graph: raw reads of tenant configuration, failures as findings;
the `$batch` the doctor probes the production calls with (`BatchReader`); and the PATCH of
`tapstart setup apply` (`SetupTenant`)."""

from __future__ import annotations

from typing import Any

from shared.adapters.doctor_probes import failure_of
from shared.adapters.graph_raw import GraphRaw, GraphRequestError
from shared.doctor.fetched import Fetched, ReadFailure


def _item_answer(status: int, body: Any) -> Fetched:
    if 200 <= status < 300:
        return body if isinstance(body, dict) else {}
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    return ReadFailure(status, str(error.get("code") or ""), str(error.get("message") or ""))


class GraphTenantReader:
    def __init__(self, raw: GraphRaw) -> None:
        self._raw = raw

    async def read_json(self, path: str) -> Fetched:
        try:
            body = await self._raw.request("GET", path)
        except GraphRequestError as exc:
            return ReadFailure(exc.status, exc.code, exc.message)
        except Exception as exc:  # a credential or transport failure is itself the finding
            return failure_of(exc)
        return body if isinstance(body, dict) else {}

    async def patch_json(self, path: str, body: dict[str, Any]) -> ReadFailure | None:
        """None when Graph accepted the PATCH; why not, otherwise. Never retried on 4xx."""
        try:
            await self._raw.request("PATCH", path, body)
        except GraphRequestError as exc:
            return ReadFailure(exc.status, exc.code, exc.message)
        except Exception as exc:  # a credential or transport failure is itself the answer
            return failure_of(exc)
        return None

    async def batch(self, requests: list[dict[str, Any]]) -> dict[str, Fetched]:
        """Each item's answer by id; a `$batch` that fails as a whole fails every item."""
        try:
            answers = await self._raw.batch(requests)
        except GraphRequestError as exc:
            failure = ReadFailure(exc.status, exc.code, exc.message)
            return {str(r["id"]): failure for r in requests}
        except Exception as exc:  # a credential or transport failure is itself the finding
            failure = failure_of(exc)
            return {str(r["id"]): failure for r in requests}
        return {key: _item_answer(status, body) for key, (status, body) in answers.items()}
