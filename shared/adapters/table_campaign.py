"""The registration campaign on Azure Table storage (table CAMPAIGN_TABLE), one table:

- PartitionKey "state", RowKey "campaign": running / paused, the start day, who changed it;
  RowKey "summary": the scope figures of the last report read (JSON).
- PartitionKey "contact", RowKey user id: one `CampaignContact` per user the campaign planned
  to write to (wave, path, emails sent, converted, bounced, opted out). ETag-checked writes.
- PartitionKey "optout", RowKey user id: users an admin excluded (they asked to stop).
- PartitionKey "claim", RowKey key hash: "this step happened once" markers; insert-if-absent is
  the atomic test-and-set, as the ledger's claims are.
- PartitionKey "sends", RowKey `<UTC hour>-<shard>`: the campaign's emails that hour, split over
  ETag-incremented shards whose allowances add up to the hourly cap (shared/domain/tap_cap's
  rule), so any number of instances together stay within the campaign's share.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
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
from shared.domain.campaign import CampaignPath
from shared.domain.campaign_state import (
    CampaignContact,
    CampaignState,
    CampaignStatus,
    OptOut,
)
from shared.domain.errors import ConflictError
from shared.domain.tap_cap import MAX_SHARDS

_STATE, _CONTACT, _OPTOUT, _CLAIM, _SENDS = "state", "contact", "optout", "claim", "sends"
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")
_TIMES = ("first_contact_at", "last_contact_at", "converted_at", "opted_out_at")


def _text(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(UTC).isoformat()


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def contact_to_entity(c: CampaignContact) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": _CONTACT,
        "RowKey": c.user_id,
        "upn": c.upn,
        "display_name": c.display_name,
        "path": c.path.value,
        "wave": c.wave,
        "sent_steps": c.sent_steps,
        "bounced": c.bounced,
        "opted_out_by": c.opted_out_by,
        "detail": c.detail[:1000],
    }
    for name in _TIMES:
        value = _text(getattr(c, name))
        if value is not None:
            entity[name] = value
    return entity


def entity_to_contact(entity: dict[str, Any], etag: str | None) -> CampaignContact:
    return CampaignContact(
        user_id=entity["RowKey"],
        upn=str(entity.get("upn") or ""),
        path=CampaignPath(entity.get("path", CampaignPath.TAP_PATH)),
        wave=int(entity.get("wave") or 0),
        display_name=str(entity.get("display_name") or ""),
        first_contact_at=_time(entity.get("first_contact_at")),
        last_contact_at=_time(entity.get("last_contact_at")),
        sent_steps=int(entity.get("sent_steps") or 0),
        converted_at=_time(entity.get("converted_at")),
        bounced=entity.get("bounced") is True,
        opted_out_at=_time(entity.get("opted_out_at")),
        opted_out_by=str(entity.get("opted_out_by") or ""),
        detail=str(entity.get("detail") or ""),
        etag=etag,
    )


def _claim_key(key: str) -> str:
    readable = _KEY_UNSAFE.sub("_", key)[:80]
    return f"{readable}~{hashlib.sha256(key.encode()).hexdigest()[:16]}"


class TableCampaignStore:
    def __init__(
        self,
        connection: StorageConnection | Callable[[], StorageConnection],
        table: str,
        *,
        shards: int = MAX_SHARDS,
    ) -> None:
        # The connection may be resolved on first use: the app builds the store at start, and a
        # process that never touches the campaign needs no storage for it.
        self._store = LazyTable(connection, table)
        self._sends = ShardedHourlyCounter(
            self._store, _SENDS, shards, what="campaign send counter", retry_after=5
        )

    async def aclose(self) -> None:
        self._store.close()

    def _client(self) -> TableClient:
        return self._store.client()

    async def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await self._store.run(fn, *args, **kwargs)

    async def _get(self, pk: str, rk: str) -> Any:
        try:
            return await self._run(self._client().get_entity, pk, rk)
        except ResourceNotFoundError:
            return None

    async def _write(self, entity: dict[str, Any], etag: str | None, what: str) -> str | None:
        """Create when there is no ETag yet (ConflictError if someone did first), else replace
        if unchanged (ConflictError when it changed)."""
        table = self._client()
        try:
            if etag is None:
                meta = await self._run(table.create_entity, entity)
            else:
                meta = await self._run(
                    table.update_entity,
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError) as exc:
            raise ConflictError(f"{what} was changed by another worker") from exc
        new: str | None = meta.get("etag")
        return new

    # --- state -------------------------------------------------------------------------------

    async def state(self) -> CampaignState:
        entity = await self._get(_STATE, "campaign")
        if entity is None:
            return CampaignState()
        started = entity.get("started_on")
        return CampaignState(
            status=CampaignStatus(entity.get("status", CampaignStatus.NOT_STARTED)),
            started_on=date.fromisoformat(started) if started else None,
            changed_at=_time(entity.get("changed_at")),
            changed_by=str(entity.get("changed_by") or ""),
            etag=entity.metadata.get("etag"),
        )

    async def save_state(self, state: CampaignState) -> CampaignState:
        entity: dict[str, Any] = {
            "PartitionKey": _STATE,
            "RowKey": "campaign",
            "status": state.status.value,
            "changed_by": state.changed_by,
        }
        if state.started_on:
            entity["started_on"] = state.started_on.isoformat()
        if state.changed_at:
            entity["changed_at"] = _text(state.changed_at)
        return replace(state, etag=await self._write(entity, state.etag, "the campaign state"))

    async def save_summary(self, summary: dict[str, object]) -> None:
        entity = {"PartitionKey": _STATE, "RowKey": "summary", "json": json.dumps(summary)}
        await self._run(self._client().upsert_entity, entity, mode=UpdateMode.REPLACE)

    async def summary(self) -> dict[str, object] | None:
        entity = await self._get(_STATE, "summary")
        if entity is None:
            return None
        data = json.loads(entity.get("json") or "{}")
        return data if isinstance(data, dict) else None

    # --- contacts ----------------------------------------------------------------------------

    async def contact(self, user_id: str) -> CampaignContact | None:
        entity = await self._get(_CONTACT, user_id)
        return None if entity is None else entity_to_contact(dict(entity), entity.metadata["etag"])

    async def create_contact(self, contact: CampaignContact) -> tuple[CampaignContact, bool]:
        try:
            meta = await self._run(self._client().create_entity, contact_to_entity(contact))
        except ResourceExistsError:
            existing = await self.contact(contact.user_id)
            assert existing is not None  # contact records are never deleted
            return existing, False
        return replace(contact, etag=meta.get("etag")), True

    async def save_contact(self, contact: CampaignContact) -> CampaignContact:
        etag = await self._write(
            contact_to_entity(contact), contact.etag, f"campaign contact {contact.user_id}"
        )
        return replace(contact, etag=etag)

    async def contacts(self) -> AsyncIterator[CampaignContact]:
        async for entity in self._store.entities("PartitionKey eq @pk", {"pk": _CONTACT}):
            yield entity_to_contact(dict(entity), entity.metadata.get("etag"))

    # --- opt-outs ----------------------------------------------------------------------------

    async def opt_out(self, opt_out: OptOut) -> bool:
        entity = {
            "PartitionKey": _OPTOUT,
            "RowKey": opt_out.user_id,
            "at": _text(opt_out.at),
            "by": opt_out.by[:200],
            "upn": opt_out.upn,
            "reason": opt_out.reason[:500],
        }
        try:
            await self._run(self._client().create_entity, entity)
        except ResourceExistsError:
            return False
        return True

    async def opted_out(self) -> dict[str, OptOut]:
        def read() -> list[Any]:
            return list(
                self._client().query_entities("PartitionKey eq @pk", parameters={"pk": _OPTOUT})
            )

        return {
            e["RowKey"]: OptOut(
                e["RowKey"],
                _time(e.get("at")) or datetime.min.replace(tzinfo=UTC),
                str(e.get("by") or ""),
                str(e.get("upn") or ""),
                str(e.get("reason") or ""),
            )
            for e in await self._run(read)
        }

    # --- claims and the hourly sends ---------------------------------------------------------

    async def claim(self, key: str, now: datetime) -> bool:
        entity = {
            "PartitionKey": _CLAIM,
            "RowKey": _claim_key(key),
            "key": key[:1024],
            "at": _text(now),
        }
        try:
            await self._run(self._client().create_entity, entity)
        except ResourceExistsError:
            return False
        return True

    async def take_send_slot(self, hour_key: str, cap: int) -> bool:
        return await self._sends.take(hour_key, cap)

    async def sends_in(self, hour_key: str) -> int:
        """The hour's campaign emails over its shards (tests and the benchmark read it)."""
        return await self._sends.used(hour_key)

    async def prune(self, claims_before: datetime, hours_before: str) -> int:
        # ISO-8601 UTC texts of one format sort like the instants they name.
        claims = "PartitionKey eq @pk and at lt @cutoff"
        deleted = await self._store.delete_where(
            claims, {"pk": _CLAIM, "cutoff": _text(claims_before) or ""}
        )
        counters = "PartitionKey eq @pk and RowKey lt @hour"
        return deleted + await self._store.delete_where(
            counters, {"pk": _SENDS, "hour": hours_before}
        )
