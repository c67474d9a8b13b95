"""The ledger on Azure Table storage: one entity per joiner, plus counters and claim markers.

Entities (one table):
- PartitionKey "joiner", RowKey tracking id: the JoinerRecord (steps and reminders as JSON).
- PartitionKey "tapcap", RowKey `<UTC hour>-<shard>`: TAPs issued that hour (flood cap), split
  over a few ETag-incremented shards whose allowances add up to the cap (shared/domain/tap_cap).
- PartitionKey "claim",  RowKey key hash: "this happened once" markers (reminder slots
  enqueued, flood alerts sent); insert-if-absent is the atomic test-and-set. Each holds `at`, the
  UTC instant it was made, so `prune` can drop the old ones. A webhook id's claim is one too,
  with `digest` (the request it was claimed for), `state` ("pending" until the request was acted
  on, then "done" with its `answer`) and `taken_at`; it moves on by ETag-checked merges only.
Writes of a record are ETag-checked, so two workers never overwrite each other's step.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, UpdateMode

from shared.adapters.sharded_counter import ShardedHourlyCounter
from shared.adapters.table_access import LazyTable
from shared.config import StorageConnection
from shared.domain.errors import ConflictError, TransientError
from shared.domain.record import JoinerRecord, ReminderLog, Status, StepLog
from shared.domain.tap_cap import MAX_SHARDS
from shared.ports import WebhookDelivery

_JOINER = "joiner"
_CLAIM = "claim"
_TAPCAP = "tapcap"
_DATETIME_FIELDS = {
    "accepted_at",
    "tap_start",
    "delivered_at",
    "enrolled_at",
    "tap_used_at",
    "authenticator_at",
    "tap_retired_at",
    "occurred_at",
    "updated_at",
}
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def record_to_entity(record: JoinerRecord) -> dict[str, Any]:
    entity: dict[str, Any] = {"PartitionKey": _JOINER, "RowKey": record.tracking_id}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name in {"tracking_id", "etag"} or value is None:
            continue
        if f.name == "steps":
            value = json.dumps([s.to_json() for s in value])
        elif f.name == "reminders":
            value = json.dumps([r.to_json() for r in value])
        elif f.name == "groups_added":
            value = json.dumps(list(value))
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Status):
            value = value.value
        entity[f.name] = value
    return entity


def entity_to_record(entity: dict[str, Any], etag: str | None) -> JoinerRecord:
    names = {f.name for f in fields(JoinerRecord)}
    values: dict[str, Any] = {k: v for k, v in entity.items() if k in names}
    values["tracking_id"] = entity["RowKey"]
    for name in _DATETIME_FIELDS & values.keys():
        values[name] = datetime.fromisoformat(values[name])
    values["hire_date"] = date.fromisoformat(values["hire_date"])
    values["status"] = Status(values.get("status", Status.ACCEPTED))
    values["steps"] = tuple(StepLog.from_json(s) for s in json.loads(values.get("steps", "[]")))
    values["reminders"] = tuple(
        ReminderLog.from_json(r) for r in json.loads(values.get("reminders", "[]"))
    )
    values["groups_added"] = tuple(str(g) for g in json.loads(values.get("groups_added", "[]")))
    return JoinerRecord(**values, etag=etag)


def _claim_key(key: str) -> str:
    readable = _KEY_UNSAFE.sub("_", key)[:80]
    return f"{readable}~{hashlib.sha256(key.encode()).hexdigest()[:16]}"


class TableLedger:
    def __init__(
        self, connection: StorageConnection, table: str, *, cap_shards: int = MAX_SHARDS
    ) -> None:
        self._store = LazyTable(connection, table)
        self._cap = ShardedHourlyCounter(
            self._store, _TAPCAP, cap_shards, what="flood-cap counter", retry_after=None
        )

    async def aclose(self) -> None:
        self._store.close()

    def _client(self) -> TableClient:
        return self._store.client()

    async def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await self._store.run(fn, *args, **kwargs)

    async def get(self, tracking_id: str) -> JoinerRecord | None:
        try:
            entity = await self._run(self._client().get_entity, _JOINER, tracking_id)
        except ResourceNotFoundError:
            return None
        return entity_to_record(dict(entity), entity.metadata.get("etag"))

    async def create(self, record: JoinerRecord) -> tuple[JoinerRecord, bool]:
        try:
            meta = await self._run(self._client().create_entity, record_to_entity(record))
        except ResourceExistsError:
            existing = await self.get(record.tracking_id)
            assert existing is not None  # just created by someone else; entities are never deleted
            return existing, False
        return replace(record, etag=meta.get("etag")), True

    async def save(self, record: JoinerRecord) -> JoinerRecord:
        kwargs: dict[str, Any] = {"mode": UpdateMode.REPLACE}
        if record.etag:
            kwargs |= {"etag": record.etag, "match_condition": MatchConditions.IfNotModified}
        try:
            meta = await self._run(self._client().update_entity, record_to_entity(record), **kwargs)
        except ResourceModifiedError as exc:
            raise ConflictError(
                f"joiner {record.tracking_id} was changed by another worker"
            ) from exc
        return replace(record, etag=meta.get("etag"))

    async def find_by_upn(self, upn: str) -> JoinerRecord | None:
        query = "PartitionKey eq @pk and upn eq @upn"
        params = {"pk": _JOINER, "upn": upn}

        def first() -> Any:
            return next(iter(self._client().query_entities(query, parameters=params)), None)

        entity = await self._run(first)
        return entity_to_record(dict(entity), entity.metadata.get("etag")) if entity else None

    async def person_records(self, employee_id: str) -> list[JoinerRecord]:
        query = "PartitionKey eq @pk and employee_id eq @e"
        params = {"pk": _JOINER, "e": employee_id}

        def matching() -> list[Any]:
            return list(self._client().query_entities(query, parameters=params))

        entities = await self._run(matching)
        return [entity_to_record(dict(e), e.metadata.get("etag")) for e in entities]

    async def all(self) -> AsyncIterator[JoinerRecord]:
        async for entity in self._store.entities("PartitionKey eq @pk", {"pk": _JOINER}):
            yield entity_to_record(dict(entity), entity.metadata.get("etag"))

    async def take_tap_slot(self, hour_key: str, cap: int) -> bool:
        return await self._cap.take(hour_key, cap)

    async def tap_slots_used(self, hour_key: str) -> int:
        return await self._cap.used(hour_key)

    @property
    def cap_requests(self) -> int:
        """Table requests the flood cap made (benchmarks read them)."""
        return self._cap.requests

    @property
    def cap_conflicts(self) -> int:
        """Conditional writes the flood cap lost."""
        return self._cap.conflicts

    async def claim_once(self, key: str, now: datetime) -> bool:
        entity = {
            "PartitionKey": "claim",
            "RowKey": _claim_key(key),
            "key": key[:1024],
            "at": _utc_text(now),
        }
        try:
            await self._run(self._client().create_entity, entity)
        except ResourceExistsError:
            return False
        return True

    async def claim_delivery(
        self, key: str, digest: str, now: datetime
    ) -> tuple[WebhookDelivery, bool]:
        table, row_key = self._client(), _claim_key(key)
        entity = {
            "PartitionKey": _CLAIM,
            "RowKey": row_key,
            "key": key[:1024],
            "at": _utc_text(now),
            "digest": digest,
            "state": "pending",
            "taken_at": _utc_text(now),
        }
        for _ in range(3):
            try:
                meta = await self._run(table.create_entity, entity)
            except ResourceExistsError:
                try:
                    stored = await self._run(table.get_entity, _CLAIM, row_key)
                except ResourceNotFoundError:
                    continue  # pruned between the two calls: claim it afresh
                return _delivery(dict(stored), stored.metadata.get("etag")), False
            return WebhookDelivery(digest, now, etag=meta.get("etag")), True
        raise TransientError("the webhook claim kept changing; retry")

    async def retake_delivery(
        self, key: str, claim: WebhookDelivery, now: datetime
    ) -> WebhookDelivery:
        etag = await self._merge_claim(key, claim, {"taken_at": _utc_text(now)})
        return replace(claim, taken_at=now, etag=etag)

    async def finish_delivery(
        self, key: str, claim: WebhookDelivery, answer: str, now: datetime
    ) -> WebhookDelivery:
        changes = {"state": "done", "answer": answer, "done_at": _utc_text(now)}
        etag = await self._merge_claim(key, claim, changes)
        return replace(claim, answer=answer, etag=etag)

    async def _merge_claim(
        self, key: str, claim: WebhookDelivery, changes: dict[str, str]
    ) -> str | None:
        if not claim.etag:
            raise ConflictError("a webhook claim can only be changed as it was read (no ETag)")
        entity = {"PartitionKey": _CLAIM, "RowKey": _claim_key(key), **changes}
        try:
            meta = await self._run(
                self._client().update_entity,
                entity,
                mode=UpdateMode.MERGE,
                etag=claim.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError) as exc:
            raise ConflictError("the webhook claim changed since it was read") from exc
        etag: str | None = meta.get("etag")
        return etag

    async def prune(self, claims_before: datetime, tap_hours_before: str) -> int:
        # ISO-8601 UTC texts of one format sort like the instants they name.
        old_claims = (
            "PartitionKey eq 'claim' and at lt @cutoff",
            {"cutoff": _utc_text(claims_before)},
        )
        old_counters = (
            f"PartitionKey eq '{_TAPCAP}' and RowKey lt @hour",
            {"hour": tap_hours_before},
        )
        deleted = 0
        for query, params in (old_claims, old_counters):
            deleted += await self._store.delete_where(query, params)
        return deleted


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def _delivery(entity: dict[str, Any], etag: str | None) -> WebhookDelivery:
    """A claim entity as a WebhookDelivery; a plain `claim_once` marker has no digest."""
    return WebhookDelivery(
        digest=entity.get("digest"),
        taken_at=datetime.fromisoformat(entity.get("taken_at") or entity["at"]),
        answer=entity.get("answer") if entity.get("state") == "done" else None,
        etag=etag,
    )
