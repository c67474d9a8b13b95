"""The campaign's pure rules: the path per user, eligibility, capacity, cadence, the waves."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain.campaign import (
    CampaignPath,
    Candidate,
    Membership,
    NotEligible,
    campaign_cadence,
    daily_capacity,
    due_step,
    eligibility,
    hourly_allowance,
    path_for,
    plan_waves,
    send_delays,
    sending_hours,
    zone_for,
)
from shared.domain.commands import MalformedCommandError, SendCampaignEmail
from shared.domain.passwordless import DEFAULT_TARGETS, Target
from shared.domain.registration import RegistrationRow

PUSH = "microsoftAuthenticatorPush"
UTC_ZONE = ZoneInfo("UTC")
START = date(2026, 12, 1)
CADENCE = campaign_cadence((0, 7, 21), 3)


def row(
    methods: tuple[str, ...] = (),
    *,
    user_type: str = "member",
    admin: bool | None = False,
    uid: str = "u1",
) -> RegistrationRow:
    return RegistrationRow(
        uid, f"{uid}@contoso.example", uid, user_type, admin, None, None, None, None, methods, None
    )


@pytest.mark.parametrize(
    ("methods", "path"),
    [
        ((PUSH,), CampaignPath.TURN_ON_PHONE_SIGN_IN),
        ((PUSH, "mobilePhone"), CampaignPath.TURN_ON_PHONE_SIGN_IN),
        (("mobilePhone",), CampaignPath.IN_APP),
        (("officePhone",), CampaignPath.IN_APP),
        (("alternateMobilePhone",), CampaignPath.IN_APP),
        (("softwareOneTimePasscode",), CampaignPath.IN_APP),
        (("hardwareOneTimePasscode",), CampaignPath.IN_APP),
        (("passKeySynced",), CampaignPath.IN_APP),  # a passkey that is not a target
        ((), CampaignPath.TAP_PATH),
        (("email",), CampaignPath.TAP_PATH),  # SSPR only: nothing to sign in with
        (("email", "securityQuestion"), CampaignPath.TAP_PATH),
    ],
)
def test_the_path_follows_what_the_user_registered(
    methods: tuple[str, ...], path: CampaignPath
) -> None:
    assert path_for(methods) is path


ALL = Membership(None)


@pytest.mark.parametrize(
    ("case", "the_row", "scope", "flags", "path", "reason"),
    [
        ("sms member", row(("mobilePhone",)), ALL, {}, CampaignPath.IN_APP, None),
        ("push member", row((PUSH,)), ALL, {}, CampaignPath.TURN_ON_PHONE_SIGN_IN, None),
        ("nothing, not admin", row(()), ALL, {}, CampaignPath.TAP_PATH, None),
        ("guest", row(("mobilePhone",), user_type="guest"), ALL, {}, None, NotEligible.GUEST),
        ("unknown type", row(("mobilePhone",), user_type=""), ALL, {}, None, NotEligible.GUEST),
        (
            "excluded group wins over include",
            row(("mobilePhone",)),
            Membership(frozenset({"u1"}), frozenset({"u1"})),
            {},
            None,
            NotEligible.EXCLUDED_GROUP,
        ),
        (
            "not in an include group",
            row(("mobilePhone",)),
            Membership(frozenset({"u2"})),
            {},
            None,
            NotEligible.OUT_OF_SCOPE,
        ),
        (
            "in an include group",
            row(("mobilePhone",)),
            Membership(frozenset({"u1"})),
            {},
            CampaignPath.IN_APP,
            None,
        ),
        (
            "target reached",
            row((PUSH, "microsoftAuthenticatorPasswordless")),
            ALL,
            {},
            CampaignPath.TURN_ON_PHONE_SIGN_IN,
            NotEligible.TARGET_REACHED,
        ),
        (
            "passkey target reached",
            row(("passKeyDeviceBound",)),
            ALL,
            {},
            CampaignPath.IN_APP,
            NotEligible.TARGET_REACHED,
        ),
        (
            "opted out",
            row(("mobilePhone",)),
            ALL,
            {"opted_out": True},
            CampaignPath.IN_APP,
            NotEligible.OPTED_OUT,
        ),
        (
            "a joiner Tapstart follows",
            row(()),
            ALL,
            {"joiner": True},
            CampaignPath.TAP_PATH,
            NotEligible.JOINER,
        ),
        (
            "admin without a strong method",
            row((), admin=True),
            ALL,
            {},
            CampaignPath.TAP_PATH,
            NotEligible.ADMIN_TAP_PATH,
        ),
        (
            "admin flag unknown: fail closed",
            row((), admin=None),
            ALL,
            {},
            CampaignPath.TAP_PATH,
            NotEligible.ADMIN_TAP_PATH,
        ),
        (
            "admin with SMS: in-app is fine",
            row(("mobilePhone",), admin=True),
            ALL,
            {},
            "in_app",
            None,
        ),
    ],
)
def test_eligibility(
    case: str,
    the_row: RegistrationRow,
    scope: Membership,
    flags: dict[str, bool],
    path: str | None,
    reason: NotEligible | None,
) -> None:
    got = eligibility(the_row, DEFAULT_TARGETS, scope, **flags)
    assert (got.path, got.reason) == (path, reason), case
    assert got.eligible is (reason is None)


def test_what_counts_as_reached_follows_the_targets() -> None:
    # Windows Hello is a target only when configured: then a WHfB user is done, else in-app.
    whfb = row(("windowsHelloForBusiness",))
    assert eligibility(whfb, DEFAULT_TARGETS, ALL).path is CampaignPath.IN_APP
    assert eligibility(whfb, DEFAULT_TARGETS, ALL).eligible
    reached = eligibility(whfb, (Target.WINDOWS_HELLO,), ALL)
    assert reached.reason is NotEligible.TARGET_REACHED


@pytest.mark.parametrize(
    ("quiet", "hours"), [((20, 7), 13), ((0, 6), 18), ((7, 7), 24), ((22, 6), 16)]
)
def test_sending_hours(quiet: tuple[int, int], hours: int) -> None:
    assert sending_hours(quiet) == hours


@pytest.mark.parametrize(
    ("per_hour", "share", "quiet", "limit", "capacity"),
    [
        (100, 50, (20, 7), 0, 650),  # half of 100/h over 13 sending hours
        (100, 50, (20, 7), 400, 400),  # the daily limit caps it
        (100, 50, (20, 7), 5000, 650),  # a limit above the share changes nothing
        (100, 0, (20, 7), 0, 0),  # no share: no campaign mail at all
        (30, 25, (7, 7), 0, 168),  # 7 an hour (30 * 25 % rounded down) all day
        (1, 50, (20, 7), 0, 0),  # half of one email an hour is none
    ],
)
def test_daily_capacity_is_what_joiner_mail_leaves(
    per_hour: int, share: int, quiet: tuple[int, int], limit: int, capacity: int
) -> None:
    assert daily_capacity(per_hour, share, quiet, limit) == capacity
    assert hourly_allowance(per_hour, share) + hourly_allowance(per_hour, 100 - share) <= per_hour


def new(n: int, path: CampaignPath = CampaignPath.IN_APP, prefix: str = "u") -> list[Candidate]:
    return [Candidate(f"{prefix}{i:03d}", path) for i in range(n)]


def test_waves_fill_each_day_and_follow_ups_come_back_on_their_days() -> None:
    plan = plan_waves(new(10), cadence=CADENCE, capacity=4, start=START)
    by_day = {(d.day - START).days: (d.first_contacts, d.follow_ups) for d in plan.days}
    assert by_day == {
        0: (4, 0),
        1: (4, 0),
        2: (2, 0),
        7: (0, 4),
        8: (0, 4),
        9: (0, 2),
        21: (0, 4),
        22: (0, 4),
        23: (0, 2),
    }
    assert [w.number for w in plan.waves] == [1, 2, 3]
    assert plan.last_first_contact_on == START + timedelta(days=2)
    assert plan.last_email_on == START + timedelta(days=23)
    assert plan.emails == 30
    assert plan.peak_per_day == 4
    assert plan.eligible[CampaignPath.IN_APP] == 10


def test_follow_ups_due_go_before_new_first_contacts() -> None:
    plan = plan_waves(new(12), cadence=campaign_cadence((0, 1), 2), capacity=5, start=START)
    by_day = [((d.day - START).days, d.first_contacts, d.follow_ups) for d in plan.days]
    assert by_day == [(0, 5, 0), (1, 0, 5), (2, 5, 0), (3, 0, 5), (4, 2, 0), (5, 0, 2)]
    assert all(d.emails <= 5 for d in plan.days)
    assert plan.last_first_contact_on == START + timedelta(days=4)


def test_follow_ups_that_do_not_fit_slip_to_the_next_day_still_first() -> None:
    # 3 users already contacted 7 days ago are due today; capacity 2: one slips to tomorrow,
    # before tomorrow's new contact.
    old = [Candidate(f"o{i}", CampaignPath.IN_APP, START - timedelta(days=7), 1) for i in range(3)]
    plan = plan_waves([*old, *new(1)], cadence=campaign_cadence((0, 7), 2), capacity=2, start=START)
    assert [(d.first_contacts, d.follow_ups) for d in plan.days][:2] == [(0, 2), (1, 1)]


def test_first_contacts_go_shortest_path_first() -> None:
    users = [
        *new(2, CampaignPath.TAP_PATH, "t"),
        *new(2, CampaignPath.IN_APP, "i"),
        *new(2, CampaignPath.TURN_ON_PHONE_SIGN_IN, "p"),
    ]
    plan = plan_waves(users, cadence=campaign_cadence((0,), 1), capacity=2, start=START)
    assert [w.user_ids for w in plan.waves] == [
        ("p000", "p001"),
        ("i000", "i001"),
        ("t000", "t001"),
    ]
    assert plan.waves[0].by_path == {CampaignPath.TURN_ON_PHONE_SIGN_IN: 2}
    assert plan.first_contact_of("t001") == START + timedelta(days=2)


def test_a_running_campaign_plans_the_remaining_steps_only() -> None:
    contacted = [
        # first contact 10 days ago, one email: step 2 (day 7) is overdue → today; step 3 day 11
        Candidate("a", CampaignPath.IN_APP, START - timedelta(days=10), 1),
        # 30 days ago, one email: steps 2 and 3 both overdue → only one is sent, today
        Candidate("b", CampaignPath.IN_APP, START - timedelta(days=30), 1),
        # every step sent: nothing left
        Candidate("c", CampaignPath.IN_APP, START - timedelta(days=30), 3),
    ]
    plan = plan_waves(contacted, cadence=CADENCE, capacity=10, start=START)
    assert [((d.day - START).days, d.follow_ups) for d in plan.days] == [(0, 2), (11, 1)]
    assert plan.waves == ()
    assert plan.eligible[CampaignPath.IN_APP] == 3


def test_no_capacity_plans_nothing_and_says_who_waits() -> None:
    plan = plan_waves(new(3), cadence=CADENCE, capacity=0, start=START, horizon_days=30)
    assert plan.days == () and plan.waves == ()
    assert plan.waiting == 3
    assert plan.last_first_contact_on is None
    assert plan.to_json()["waiting"] == 3


def test_plan_json_names_the_figures() -> None:
    body = plan_waves(new(10), cadence=CADENCE, capacity=4, start=START).to_json()
    assert body["lastFirstContact"] == "2026-12-03"
    assert body["eligible"] == {"turn_on_phone_sign_in": 0, "in_app": 10, "tap_path": 0}
    assert body["emails"] == 30
    days = body["days"]
    assert isinstance(days, list)
    assert days[0] == {
        "day": "2026-12-01",
        "firstContacts": 4,
        "followUps": 0,
        "emails": 4,
    }


FIRST = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "days_later", "step"),
    [
        (1, 6, None),  # step 2 is due on day 7
        (1, 7, 2),
        (2, 7, None),  # already sent
        (1, 22, 3),  # step 2 missed: only the latest due step
        (2, 22, 3),
        (3, 40, None),  # the cap: every step went out
        (0, 40, None),  # never contacted: the plan decides the first contact
    ],
)
def test_due_step_is_the_cadence_rule(sent: int, days_later: int, step: int | None) -> None:
    now = FIRST + timedelta(days=days_later)
    assert due_step(CADENCE, FIRST, sent, now, UTC_ZONE) == step


def test_due_step_counts_days_in_the_users_zone_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, before the DST change
    cadence = campaign_cadence((0, 7), 2)
    # 7 days later at 09:00 Berlin is 07:00 UTC (summer time): due then, not an hour later.
    assert due_step(cadence, first, 1, datetime(2026, 3, 30, 7, 0, tzinfo=UTC), berlin) == 2
    assert due_step(cadence, first, 1, datetime(2026, 3, 30, 6, 59, tzinfo=UTC), berlin) is None


def test_cadence_cap_limits_the_steps() -> None:
    assert campaign_cadence((21, 0, 7), 2).slot_count == 2
    assert campaign_cadence((21, 0, 7), 2).days == (0, 7, 21)


@pytest.mark.parametrize(
    ("location", "zone"),
    [
        ("DE", "Europe/Berlin"),
        ("de", "Europe/Berlin"),
        ("FR", "Europe/London"),
        (None, "Europe/London"),
    ],
)
def test_zone_for_the_usage_location(location: str | None, zone: str) -> None:
    assert zone_for(location, {"DE": "Europe/Berlin"}, "Europe/London").key == zone


def test_send_delays_spread_sends_and_wait_for_the_morning() -> None:
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert send_delays(4, 60, noon, (20, 7), UTC_ZONE) == [0, 60, 120, 180]
    night = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert send_delays(2, 2, night, (20, 7), UTC_ZONE) == [7200, 7200 + 1800]
    assert send_delays(3, 0, noon, (20, 7), UTC_ZONE) == []


def test_the_campaign_command_round_trips_and_refuses_garbage() -> None:
    command = SendCampaignEmail("u-1", 2)
    assert json.loads(command.to_json()) == {"v": 1, "userId": "u-1", "step": 2}
    assert SendCampaignEmail.from_json(command.to_json().encode()) == command
    for body in (
        '{"userId": "u"}',
        '{"userId": "u", "step": 0}',
        '{"step": 1}',
        '{"userId": "u", "step": true}',
    ):
        with pytest.raises(MalformedCommandError):
            SendCampaignEmail.from_json(body)
