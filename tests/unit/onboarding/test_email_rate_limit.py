"""A local email-rate refusal happens before the TAP exists, and the trigger retries it later.

The onboarding use case reserves the delivery email's send before it takes a flood-cap slot and
creates the TAP; over the limit, `reserve` raises TransientError(retry_after) and the queue
rule (functions/queue_commands.run_command) puts the command back with that delay.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import azure.functions as func
import pytest

from functions.queue_commands import run_command
from shared.domain.commands import OnboardJoiner
from shared.domain.errors import TransientError
from shared.domain.record import Status
from shared.usecases.onboard_joiner import Outcome
from shared.usecases.onboarding_facts import hour_key
from tests.fakes import FakeMailer
from tests.unit.onboarding.world import NOW, World

EARLIER_HOUR = "2026112808"


def deliver(w: World, payload: dict[str, Any]) -> Outcome | None:
    """What the onboarding trigger does with one message body."""
    body = json.dumps(payload).encode()
    command = OnboardJoiner.from_json(body)
    msg = func.QueueMessage(id="msg-1", body=body)
    services = w.services
    result: Outcome | None = asyncio.run(
        run_command(
            msg,
            command,
            services.onboard_joiner,
            services.onboarding_queue,
            {"tracking_id": command.tracking_id},
        )
    )
    return result


def rate_limited_world() -> tuple[World, str]:
    w = World(mailer=FakeMailer(slots=0, retry_after=42.5))
    w.ledger.tap_slots[hour_key(NOW)] = 3  # three TAPs already issued this hour
    w.ledger.tap_slots[EARLIER_HOUR] = 7
    return w, w.joiner()


def test_the_worker_raises_the_rate_limit_with_its_delay_before_any_tap_exists() -> None:
    w, tid = rate_limited_world()
    slots = dict(w.ledger.tap_slots)

    with pytest.raises(TransientError) as raised:
        w.outcome(tid)

    assert raised.value.reason == "email_rate_limited" and raised.value.retry_after == 42.5
    assert w.directory.taps == []
    assert w.ledger.tap_slots == slots  # no flood-cap slot taken
    assert w.mailer.sent == []  # nor an alert: this is no failure
    record = w.record(tid)
    assert not record.status.final and record.tap_id is None and record.reason is None


def test_the_trigger_re_enqueues_the_refusal_and_the_redelivery_issues_exactly_one_tap() -> None:
    w, tid = rate_limited_world()
    slots = dict(w.ledger.tap_slots)

    assert deliver(w, {"v": 1, "trackingId": tid}) is None  # completed, not failed

    [payload] = w.onboarding_messages()
    assert payload == {"v": 1, "trackingId": tid}
    assert w.queue.delays(w.settings.onboarding_queue) == [43]  # retry_after, rounded up
    assert w.directory.taps == [] and w.ledger.tap_slots == slots

    w.mailer.slots = None  # the limit frees up
    outcome = deliver(w, payload)

    assert outcome is not None and outcome.status is Status.DELIVERED
    [(user_id, tap)] = w.directory.taps
    [(email, _)] = w.mailer.sent
    assert user_id == "id-E1" and email.kind == "tap_delivery" and tap.passcode in email.text
    assert w.record(tid).tap_id == tap.id
    assert w.ledger.tap_slots == {**slots, hour_key(NOW): slots[hour_key(NOW)] + 1}
    assert len(w.onboarding_messages()) == 1  # nothing more queued


def test_a_refusal_on_every_attempt_never_piles_up_taps_or_slots() -> None:
    w, tid = rate_limited_world()
    slots = dict(w.ledger.tap_slots)
    payload = {"v": 1, "trackingId": tid}
    for _ in range(3):
        assert deliver(w, payload) is None
        payload = w.onboarding_messages()[-1]

    assert len(w.onboarding_messages()) == 3
    assert w.directory.taps == [] and w.ledger.tap_slots == slots and w.mailer.sent == []


def test_other_transient_errors_go_to_the_host_retry() -> None:
    w = World(mailer=FakeMailer(slots=0))
    tid = w.joiner()
    w.mailer.slots = None
    w.directory.fail_create_tap = TransientError("graph_503")  # no retry_after

    with pytest.raises(TransientError, match="graph_503"):
        deliver(w, {"v": 1, "trackingId": tid})

    assert w.onboarding_messages() == []  # not re-enqueued: the host makes it visible again
