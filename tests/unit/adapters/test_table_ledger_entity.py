"""The ledger entity mapping keeps every field of a joiner record, the stage fields included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from shared.adapters.table_ledger import entity_to_record, record_to_entity
from shared.domain.joiner import JoinerEvent
from shared.domain.record import ReminderLog, Status
from tests.fakes import accepted_record

T = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_a_followed_joiner_round_trips_through_the_table_entity() -> None:
    record = replace(
        accepted_record(JoinerEvent("evt-1", T, "E1", date(2026, 12, 1)), T),
        status=Status.ENROLLED,
        user_id="u1",
        tap_id="t1",
        tap_start=T,
        delivered_at=T,
        tap_used_at=T + timedelta(hours=1),
        authenticator_at=T + timedelta(hours=1),
        enrolled_at=T + timedelta(hours=2),
        target_method="phone_sign_in",
        tap_retired_at=T + timedelta(hours=3),
        groups_added=("g1", "g2"),
        reminders=(ReminderLog(1, T, "sent"),),
    )

    entity = record_to_entity(record)
    back = entity_to_record(entity, etag="e1")

    assert back == record
    assert isinstance(entity["groups_added"], str)  # Table storage has no list type
    assert entity_to_record({**entity, "groups_added": "[]"}, None).groups_added == ()
    legacy = {k: v for k, v in entity.items() if k not in {"groups_added", "tap_used_at"}}
    assert entity_to_record(legacy, None).groups_added == ()  # older rows read fine
