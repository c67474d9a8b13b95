"""The HTTP status answer tells where an onboarding stands, not the facts a guesser could use:
no object id of the account, no validity window of the pass (the CLI shows everything)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from shared.usecases.joiner_status import public_view, status_view
from tests.unit.onboarding.world import TODAY, World


def test_the_http_answer_has_no_object_id_and_no_pass_window() -> None:
    w = World()
    tid = w.joiner(hire=TODAY + timedelta(days=1))  # the pass starts tomorrow: its own time
    w.run(tid)
    record = w.record(tid)
    assert record.user_id and record.tap_start

    answer = asyncio.run(w.services.joiner_status(tid))

    assert answer is not None and answer == public_view(record)
    text = json.dumps(answer)
    assert record.user_id not in text
    assert record.tap_start.isoformat() not in text
    assert answer["tap"] == {"id": record.tap_id} and answer["status"] == "delivered"
    full = json.dumps(status_view(record))  # what `tapstart status` prints
    assert record.user_id in full and record.tap_start.isoformat() in full
