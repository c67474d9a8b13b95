"""The digest's campaign section: the funnel and the conversion `tapstart campaign status` shows."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from shared.domain.campaign import CampaignPath
from shared.domain.campaign_state import CampaignContact
from tests.unit.campaign.world import NOW, PHONE_SIGN_IN, PUSH, ROWS, row, settings, world


def _contact(
    uid: str, path: CampaignPath, days_ago: int, converted_after: int | None
) -> CampaignContact:
    first = NOW - timedelta(days=days_ago)
    return CampaignContact(
        uid,
        f"{uid}@contoso.example",
        path,
        1,
        first_contact_at=first,
        sent_steps=1,
        converted_at=None if converted_after is None else first + timedelta(days=converted_after),
    )


def test_the_digest_shows_the_funnel_and_conversion_the_status_shows() -> None:
    rows = [r for r in ROWS if r.id != "done1"] + [row("done1", (PUSH, PHONE_SIGN_IN))]
    fakes = world(rows)
    services = fakes.services(settings())
    asyncio.run(services.campaign_control.start("ops"))
    for contact in (
        _contact("done1", CampaignPath.TURN_ON_PHONE_SIGN_IN, 20, 3),
        _contact("sms2", CampaignPath.IN_APP, 20, None),
    ):
        asyncio.run(fakes.campaign.create_contact(contact))
    run = asyncio.run(services.daily_run())

    [(email, _)] = [(e, op) for e, op in fakes.mailer.sent if e.kind == "report"]
    text, html = email.text, email.html
    assert "REGISTRATION CAMPAIGN" in text
    assert "Status: running since 2026-12-01; up to 3 emails a day" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Written to at least once 2" in lines
    assert "Reached a target after an email 1" in lines
    # contacted 2; within 7/14/30 days 1/1/1; median 3 days; no bounce, no opt-out
    assert "all paths: 2; 1/1/1; 3; 0; 0" in lines
    assert "wave 1, turn on phone sign in: 1; 1/1/1; 3; 0; 0" in lines
    assert "Registration campaign: every user without a passwordless method" in html
    assert "&le; 30 d" in html
    # The digest, the status and the snapshot tell the same figures.
    status = asyncio.run(services.campaign_control.status())
    assert run.campaign is not None and status.to_json() == run.campaign.to_json()
    [figures_path] = [p for p in fakes.blobs.blobs if p.endswith("figures.json")]
    stored = json.loads(fakes.blobs.blobs[figures_path][0])
    assert stored["campaign"] == status.to_json()


def test_before_any_email_the_section_shows_the_scope_only() -> None:
    fakes = world()
    asyncio.run(fakes.services(settings()).daily_run())
    [(email, _)] = [(e, op) for e, op in fakes.mailer.sent if e.kind == "report"]
    assert "Status: not started" in email.text
    assert "Conversion (contacted;" not in email.text
    assert "Still to convert, by path:" in email.text
