"""The doctor's TenantReader on Graph: raw reads of tenant configuration, failures as findings."""

from __future__ import annotations

from shared.adapters.doctor_probes import failure_of
from shared.adapters.graph_raw import GraphRaw, GraphRequestError
from shared.doctor.fetched import Fetched, ReadFailure


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
