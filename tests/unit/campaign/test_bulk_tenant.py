"""The emulator's campaign tenant generator: the mix, determinism, and what a conversion does."""

from __future__ import annotations

from collections import Counter

from local.graph_emulator.bulk_tenant import (
    DEFAULT_MIX,
    NOT_DONE,
    TenantSpec,
    campaign_users,
    conversion_for,
    pick_converting,
    profile_of,
)
from shared.domain.campaign import CampaignPath, path_for


def test_the_mix_is_what_was_asked_and_the_same_for_a_seed() -> None:
    users = campaign_users(TenantSpec(users=5000, seed=3))
    assert users == campaign_users(TenantSpec(users=5000, seed=3))
    assert users != campaign_users(TenantSpec(users=5000, seed=4))
    counts = Counter(profile_of(u) for u in users)
    for profile, share in DEFAULT_MIX.items():
        assert abs(counts[profile] / 5000 - share) < 0.02, profile
    guests = [u for u in users if u["userType"] == "Guest"]
    assert 50 <= len(guests) <= 150 and all("#EXT#" in u["userPrincipalName"] for u in guests)
    assert len({u["userPrincipalName"] for u in users}) == 5000


def test_profiles_land_on_the_campaigns_paths() -> None:
    names = {
        "sms": ("mobilePhone",),
        "push": ("microsoftAuthenticatorPush",),
        "none": (),
        "sspr_only": ("email",),
    }
    assert path_for(names["sms"]) is CampaignPath.IN_APP
    assert path_for(names["push"]) is CampaignPath.TURN_ON_PHONE_SIGN_IN
    assert path_for(names["none"]) is CampaignPath.TAP_PATH
    assert path_for(names["sspr_only"]) is CampaignPath.TAP_PATH


def test_a_conversion_is_the_users_own_steps() -> None:
    sms = conversion_for("a@contoso.example", "sms")
    assert [path for path, _ in sms.calls] == [
        "users/a@contoso.example/register",
        "users/a@contoso.example/enable-phone-sign-in",
    ]
    push = conversion_for("b@contoso.example", "push")
    assert [path for path, _ in push.calls] == ["users/b@contoso.example/enable-phone-sign-in"]
    none = conversion_for("c@contoso.example", "none")
    assert none.calls[0][1]["method"] == "passKeyDeviceBound"


def test_picking_converting_users_leaves_guests_and_the_done_alone() -> None:
    users = campaign_users(TenantSpec(users=2000, seed=5))
    picked = pick_converting(users, 0.1, seed=1)
    left = [u for u in users if u["userType"] == "Member" and profile_of(u) in NOT_DONE]
    assert len(picked) == round(len(left) * 0.1)
    assert all(p.profile in NOT_DONE and "#EXT#" not in p.upn for p in picked)
    again = pick_converting(users, 0.1, seed=1, already=[p.upn for p in picked])
    assert not {p.upn for p in picked} & {p.upn for p in again}
