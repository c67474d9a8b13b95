"""Conversion per wave and path, counted by hand from the table below.

| user | wave | path   | first contact | converted      | bounced | opted out |
|------|------|--------|---------------|----------------|---------|-----------|
| a    | 1    | in_app | day 0         | day 2          |         |           |
| b    | 1    | in_app | day 0         | day 10         |         |           |
| c    | 1    | in_app | day 0         | day 20         |         |           |
| d    | 1    | in_app | day 0         |                |         | day 8     |
| e    | 1    | tap    | day 0         | day 40         |         |           |
| f    | 2    | push   | day 1         | day 1 (+12 h)  |         |           |
| g    | 2    | push   | (not yet)     |                |         |           |
| h    | 2    | push   | day 1         |                | yes     |           |
"now" is day 31 at the first contacts' time of day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.domain.campaign import CampaignPath
from shared.domain.campaign_figures import conversion
from shared.domain.campaign_state import CampaignContact, CampaignState, CampaignStatus

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=31)
IN_APP, TAP, PUSH = (
    CampaignPath.IN_APP,
    CampaignPath.TAP_PATH,
    CampaignPath.TURN_ON_PHONE_SIGN_IN,
)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def contact(
    uid: str,
    wave: int,
    path: CampaignPath,
    first: float | None,
    converted: float | None = None,
    *,
    bounced: bool = False,
    opted_out: float | None = None,
) -> CampaignContact:
    return CampaignContact(
        uid,
        f"{uid}@contoso.example",
        path,
        wave,
        first_contact_at=None if first is None else day(first),
        sent_steps=0 if first is None else 1,
        converted_at=None if converted is None else day(converted),
        bounced=bounced,
        opted_out_at=None if opted_out is None else day(opted_out),
    )


CONTACTS = [
    contact("a", 1, IN_APP, 0, 2),
    contact("b", 1, IN_APP, 0, 10),
    contact("c", 1, IN_APP, 0, 20),
    contact("d", 1, IN_APP, 0, opted_out=8),
    contact("e", 1, TAP, 0, 40 - 9.5),  # converted on day 30.5: within 30 days? no (30.5 > 30)
    contact("f", 2, PUSH, 1, 1.5),
    contact("g", 2, PUSH, None),
    contact("h", 2, PUSH, 1, bounced=True),
]


def test_totals() -> None:
    c = conversion(CONTACTS, NOW)
    t = c.total
    assert c.planned == 8
    assert (t.contacted, t.converted, t.bounced, t.opted_out) == (7, 5, 1, 1)
    assert t.within == {7: 2, 14: 3, 30: 4}
    assert t.matured == {7: 7, 14: 7, 30: 7}  # day 0 and day 1 contacts are 31 and 30 days old
    # days to convert: 2, 10, 20, 30.5, 0.5 -> median 10
    assert t.median_days == 10.0
    assert t.rate(7) == 2 / 7


def test_by_path() -> None:
    by_path = {r.path: r for r in conversion(CONTACTS, NOW).by_path}
    assert [str(p) for p in by_path] == ["turn_on_phone_sign_in", "in_app", "tap_path"]
    assert (by_path[IN_APP].contacted, by_path[IN_APP].converted) == (4, 3)
    assert by_path[IN_APP].within == {7: 1, 14: 2, 30: 3}
    assert by_path[IN_APP].median_days == 10.0
    assert by_path[IN_APP].opted_out == 1
    assert (by_path[PUSH].contacted, by_path[PUSH].converted, by_path[PUSH].bounced) == (2, 1, 1)
    assert by_path[PUSH].median_days == 0.5
    assert by_path[TAP].within == {7: 0, 14: 0, 30: 0}
    assert by_path[TAP].converted == 1


def test_by_wave_and_path() -> None:
    rows = [(r.wave, r.path, r.contacted, r.converted) for r in conversion(CONTACTS, NOW).by_wave]
    assert rows == [(1, IN_APP, 4, 3), (1, TAP, 1, 1), (2, PUSH, 2, 1)]


def test_young_contacts_are_not_matured() -> None:
    young = conversion([contact("x", 1, IN_APP, 0)], day(10))
    assert young.total.matured == {7: 1, 14: 0, 30: 0}
    assert young.total.rate(14) is None
    assert young.total.median_days is None


def test_json_carries_every_figure() -> None:
    body = conversion(CONTACTS, NOW).to_json()
    total = body["total"]
    assert isinstance(total, dict)
    assert total["convertedWithin7d"] == 2
    assert total["convertedWithin30d"] == 4
    assert total["medianDaysToConvert"] == 10.0
    assert total["optedOut"] == 1
    assert total["bounced"] == 1


def test_contact_changes_keep_the_first_facts() -> None:
    c = contact("a", 1, IN_APP, None)
    sent = c.sent(1, day(0), PUSH).sent(2, day(7), IN_APP)
    assert (sent.first_contact_at, sent.last_contact_at, sent.sent_steps) == (day(0), day(7), 2)
    assert sent.path is PUSH  # the path of the first email stays the contact's path
    assert sent.converted(day(8)).converted(day(9)).converted_at == day(8)
    out = sent.opted_out(day(9), "ops").opted_out(day(10), "other")
    assert (out.opted_out_at, out.opted_out_by, out.stopped) == (day(9), "ops", True)


def test_wave_of_a_first_contact() -> None:
    state = CampaignState(CampaignStatus.RUNNING, started_on=day(0).date())
    assert state.wave_on(day(0).date()) == 1
    assert state.wave_on(day(4).date()) == 5
