"""The demo tenant holds the scenarios docs/graph-emulator.md promises the demo."""

from __future__ import annotations

import json
from datetime import timedelta

from local.graph_emulator.clock import Clock
from local.graph_emulator.seed import load_tenant
from local.procs import REPO_ROOT

DEMO_SEED = REPO_ROOT / "local" / "seeds" / "demo_tenant.json"
RESERVED_EMPLOYEE_IDS = {"E1901", "E1902", "E1903"}  # provisioned late by the demo


def test_demo_seed_scenarios() -> None:
    clock = Clock()
    tenant = load_tenant(json.loads(DEMO_SEED.read_text(encoding="utf-8")), clock)
    by_eid = {u.employee_id: u for u in tenant.users.values() if u.employee_id}
    assert 30 <= len(tenant.users) <= 60
    assert not RESERVED_EMPLOYEE_IDS & set(by_eid)
    today = clock.now().date()
    assert by_eid["E1101"].employee_hire_date.date() == today  # type: ignore[union-attr]
    assert by_eid["E1104"].employee_hire_date.date() == today + timedelta(days=3)  # type: ignore[union-attr]
    assert by_eid["E1040"].roles == ["Global Administrator"]
    assert not by_eid["E1050"].account_enabled
    assert tenant.users[by_eid["E1107"].manager_id or ""].mail is None
    assert any(u.is_external_guest for u in tenant.users.values())
    groups = {g.display_name: g for g in tenant.groups.values()}
    assert groups["All Engineering"].is_dynamic
    assert groups["Tier 0 Admins"].is_assignable_to_role
    authenticator = tenant.policies["MicrosoftAuthenticator"]
    assert authenticator["includeTargets"][0]["id"] == groups["Passwordless Users"].id
    tap = tenant.policies["TemporaryAccessPass"]
    assert (tap["minimumLifetimeInMinutes"], tap["maximumLifetimeInMinutes"]) == (60, 480)
    # Multi-use passes, so the demo shows a pass outliving the first registration and retired.
    assert tap["isUsableOnce"] is False and tap["defaultLength"] == 8
    unenrolled_joiners = [
        u for u in tenant.users.values() if u.employee_hire_date and not u.methods
    ]
    assert len(unenrolled_joiners) >= 5


def test_demo_seed_covers_the_passwordless_stages() -> None:
    tenant = load_tenant(json.loads(DEMO_SEED.read_text(encoding="utf-8")), Clock())
    by_eid = {u.employee_id: u for u in tenant.users.values() if u.employee_id}
    tapstart = next(iter(tenant.apps.values()))
    assert "Device.Read.All" in tapstart.roles  # to tell phone sign-in from push
    [later] = by_eid["E1207"].methods  # push first, phone sign-in enabled later
    assert later.has_phone_sign_in and later.phone_sign_in_at is not None
    assert later.phone_sign_in_at > later.created
    [elsewhere] = by_eid["E1212"].methods  # the phone belongs to another tenant
    assert elsewhere.device_registered_elsewhere and not elsewhere.has_phone_sign_in
    [passkey] = by_eid["E1202"].methods
    assert (passkey.kind, passkey.platform) == ("passKeyDeviceBoundAuthenticator", "android")
    fido2 = tenant.policies["Fido2"]
    assert fido2["@odata.type"] == "#microsoft.graph.fido2AuthenticationMethodConfiguration"
    assert fido2["state"] == "enabled" and fido2["isSelfServiceRegistrationAllowed"] is True
    assert set(fido2["keyRestrictions"]) == {"isEnforced", "enforcementType", "aaGuids"}
