"""`tapstart campaign ...` on the fakes: what each action prints and changes."""

from __future__ import annotations

import asyncio
import json

import pytest

from shared.cli import build_parser
from shared.cli.campaign_cmd import campaign
from shared.cli.context import CliContext, UsageError
from shared.cli.output import Progress
from shared.domain.campaign_state import CampaignStatus
from shared.domain.errors import PermanentError
from tests.fakes import Fakes
from tests.unit.campaign.world import settings, world


def run(fakes: Fakes, *argv: str) -> int:
    app_settings = settings()
    ctx = CliContext(app_settings, fakes.services(app_settings), Progress(False))
    args = build_parser().parse_args(["campaign", *argv])
    return asyncio.run(campaign(ctx, args))


def status_of(fakes: Fakes) -> CampaignStatus:
    return fakes.campaign.state_.status


def test_plan_lists_paths_pace_and_the_first_contacts_and_sends_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fakes = world()
    assert run(fakes, "plan", "--limit", "2") == 0
    out = capsys.readouterr().out
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "MFA there: add the account in Authenticator 3" in lines
    assert "last first contact 2026-12-03" in lines
    assert "push1@contoso.example" in out and "sms1@contoso.example" not in out
    assert "nothing was sent" in out
    assert fakes.queue.messages == [] and fakes.campaign.contacts_ == {}


def test_plan_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(world(), "plan", "--json") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["capacityPerDay"] == 3
    assert [c["userId"] for c in body["firstContacts"]][:3] == ["push1", "push2", "sms1"]


def test_start_pause_and_status(capsys: pytest.CaptureFixture[str]) -> None:
    fakes = world()
    assert run(fakes, "start", "--operator", "ops@contoso.example") == 0
    assert status_of(fakes) is CampaignStatus.RUNNING
    assert fakes.campaign.state_.changed_by == "ops@contoso.example"
    assert "campaign running (day 0: 2026-12-01)" in capsys.readouterr().out
    assert run(fakes, "pause") == 0
    assert status_of(fakes) is CampaignStatus.PAUSED
    capsys.readouterr()
    assert run(fakes, "status", "--json") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["status"] == "paused" and body["startedOn"] == "2026-12-01"
    assert run(fakes, "status") == 0
    assert "median days" in capsys.readouterr().out


def test_exclude_needs_a_user_and_records_the_opt_out(capsys: pytest.CaptureFixture[str]) -> None:
    fakes = world()
    with pytest.raises(UsageError):
        run(fakes, "exclude")
    uid = "0d8a3c1e-2b4f-4c6d-8e0f-1a2b3c4d5e6f"
    assert run(fakes, "exclude", uid, "--reason", "asked to stop", "--json") == 0
    assert json.loads(capsys.readouterr().out)["alreadyExcluded"] is False
    assert fakes.campaign.opt_outs[uid].reason == "asked to stop"
    with pytest.raises(PermanentError):
        run(fakes, "exclude", "not-an-id")
