"""The doctor's TARGET_METHODS checks against the Graph emulator: the Passkey (FIDO2) policy as
the real SDK writes it (a PATCH through Graph by the seed's policy-admin app, as an admin would
change it) or as the control API seeds it, the Authenticator rules per target, Windows Hello,
and Device.Read.All."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from msgraph.generated.models.attestation_enforcement import AttestationEnforcement
from msgraph.generated.models.authentication_method_target_type import (
    AuthenticationMethodTargetType,
)
from msgraph.generated.models.fido2_authentication_method_configuration import (
    Fido2AuthenticationMethodConfiguration,
)
from msgraph.generated.models.fido2_key_restrictions import Fido2KeyRestrictions
from msgraph.generated.models.fido2_restriction_enforcement_type import (
    Fido2RestrictionEnforcementType,
)
from msgraph.generated.models.passkey_authentication_method_target import (
    PasskeyAuthenticationMethodTarget,
)
from msgraph.generated.models.passkey_profile import PasskeyProfile

from shared.doctor import CheckStatus
from tests.fixtures.graph import EmulatedGraph, graph_call
from tests.functional.doctor.conftest import (
    AUTHENTICATOR_ANDROID,
    AUTHENTICATOR_IOS,
    PASSWORDLESS_GROUP,
    by_name,
    doctor_report,
    set_app_roles,
    set_policy,
)

# The SDK's request builders warn when first imported (kiota's deprecated GetQueryParameters);
# that is the SDK's business (tests/emulators/graph/conftest.py ignores the same two).
pytestmark = [
    pytest.mark.filterwarnings("ignore:GetQueryParameters is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning"),
]

PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL
GROUP = "Passwordless Users"
SECURITY_KEY = "cb69481e-8ff7-4039-93ec-0a2729a154a8"  # some security key model
PROFILE = "00000000-0000-0000-0000-0000000000a1"


def policy_admin(graph: EmulatedGraph) -> str:
    """The seed's app that may write authentication method policies."""
    return str(
        next(
            app["clientId"]
            for app in graph.seed["apps"]
            if "Policy.ReadWrite.AuthenticationMethod" in app.get("roles", [])
        )
    )


def patch_fido2(graph: EmulatedGraph, change: Fido2AuthenticationMethodConfiguration) -> None:
    def patch(client: Any) -> Any:
        configurations = (
            client.policies.authentication_methods_policy.authentication_method_configurations
        )
        return configurations.by_authentication_method_configuration_id("Fido2").patch(change)

    assert graph_call(graph, patch, policy_admin(graph)) is None


def restrictions(kind: Fido2RestrictionEnforcementType, *aaguids: str) -> Fido2KeyRestrictions:
    return Fido2KeyRestrictions(is_enforced=True, enforcement_type=kind, aa_guids=list(aaguids))


def test_the_default_targets_check_the_fido2_policy(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    report = doctor_report(monkeypatch)
    checks = by_name(report)
    fido2 = {name: r for name, r in checks.items() if name.startswith("fido2.")}
    assert list(fido2) == [
        "fido2.enabled",
        "fido2.self_service",
        f"fido2.target[{GROUP}]",
        f"fido2.key_restrictions[{GROUP}]",
        f"fido2.attestation[{GROUP}]",
    ]
    assert {r.status for r in fido2.values()} == {PASS}
    assert fido2[f"fido2.target[{GROUP}]"].found == f"{GROUP} targeted (via all users)"
    assert "windows_hello.policy" not in checks
    assert report.exit_code == 0


def test_an_admin_allowing_only_authenticator_for_ios_fails_authenticator_passkeys(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    patch_fido2(
        graph,
        Fido2AuthenticationMethodConfiguration(
            is_attestation_enforced=True,
            key_restrictions=restrictions(
                Fido2RestrictionEnforcementType.Allow, AUTHENTICATOR_IOS, SECURITY_KEY
            ),
        ),
    )
    report = doctor_report(monkeypatch, TARGET_METHODS="authenticator_passkey")
    checks = by_name(report)
    keys = checks[f"fido2.key_restrictions[{GROUP}]"]
    assert keys.status is FAIL
    assert f"Microsoft Authenticator for Android ({AUTHENTICATOR_ANDROID})" in keys.found
    assert AUTHENTICATOR_IOS not in keys.found
    assert keys.fix.endswith(
        f"Restrict specific keys (Allow): add Microsoft Authenticator ({AUTHENTICATOR_ANDROID})"
    )
    attestation = checks[f"fido2.attestation[{GROUP}]"]
    assert attestation.status is WARN
    assert "added in the Authenticator app itself" in attestation.found
    assert report.exit_code == 2

    # The same tenant is fine for `passkey` alone once Android is allowed too.
    patch_fido2(
        graph,
        Fido2AuthenticationMethodConfiguration(
            key_restrictions=restrictions(
                Fido2RestrictionEnforcementType.Allow, AUTHENTICATOR_IOS, AUTHENTICATOR_ANDROID
            ),
        ),
    )
    checks = by_name(doctor_report(monkeypatch, TARGET_METHODS="authenticator_passkey"))
    assert checks[f"fido2.key_restrictions[{GROUP}]"].status is PASS


def test_blocking_authenticator_only_warns_when_any_passkey_will_do(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant(set_policy("MicrosoftAuthenticator", state="disabled"))
    patch_fido2(
        graph,
        Fido2AuthenticationMethodConfiguration(
            key_restrictions=restrictions(
                Fido2RestrictionEnforcementType.Block, AUTHENTICATOR_IOS, AUTHENTICATOR_ANDROID
            ),
        ),
    )
    report = doctor_report(monkeypatch, TARGET_METHODS="passkey")
    checks = by_name(report)
    keys = checks[f"fido2.key_restrictions[{GROUP}]"]
    assert keys.status is WARN
    assert "security keys and other allowed passkeys still work" in keys.found
    # No target needs the (disabled) Authenticator policy: not read, not a failure.
    assert checks["authenticator.policy"].status is PASS
    assert "authenticator.enabled" not in checks
    assert report.exit_code == 1


def test_fido2_off_self_service_off_and_the_group_excluded(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(
        set_policy(
            "Fido2",
            state="disabled",
            isSelfServiceRegistrationAllowed=False,
            excludeTargets=[{"targetType": "group", "id": PASSWORDLESS_GROUP}],
        )
    )
    checks = by_name(doctor_report(monkeypatch))
    assert checks["fido2.enabled"].status is FAIL
    assert "TARGET_METHODS passkey cannot be reached" in checks["fido2.enabled"].found
    assert checks["fido2.self_service"].status is FAIL
    excluded = checks[f"fido2.target[{GROUP}]"]
    assert excluded.status is FAIL
    assert excluded.fix.endswith(f"Passkey (FIDO2) → Enable and target → Exclude: remove {GROUP}")
    assert f"fido2.key_restrictions[{GROUP}]" not in checks


def test_a_passkey_profile_written_by_the_sdk_decides(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant()
    patch_fido2(
        graph,
        Fido2AuthenticationMethodConfiguration(
            # The deprecated top-level fields stay permissive; the profile allows a key only.
            passkey_profiles=[
                PasskeyProfile(
                    id=PROFILE,
                    name="Security keys only",
                    # No passkey_types: msgraph-sdk 1.65 writes nothing for a list of these
                    # flags, and the doctor reads a profile without them as device-bound.
                    attestation_enforcement=AttestationEnforcement.Disabled,
                    key_restrictions=restrictions(
                        Fido2RestrictionEnforcementType.Allow, SECURITY_KEY
                    ),
                )
            ],
            include_targets=[
                PasskeyAuthenticationMethodTarget(
                    id="all_users",
                    target_type=AuthenticationMethodTargetType.Group,
                    is_registration_required=False,
                    allowed_passkey_profiles=[UUID(PROFILE)],
                )
            ],
        ),
    )
    checks = by_name(doctor_report(monkeypatch, TARGET_METHODS="authenticator_passkey"))
    keys = checks[f"fido2.key_restrictions[{GROUP}]"]
    assert keys.status is FAIL
    assert "passkey profile 'Security keys only' does not allow" in keys.found
    assert checks[f"fido2.attestation[{GROUP}]"].status is PASS


def test_push_mode_fails_phone_sign_in_but_not_authenticator_passkeys(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    push = {
        "targetType": "group",
        "id": PASSWORDLESS_GROUP,
        "isRegistrationRequired": False,
        "authenticationMode": "push",
    }
    tenant(set_policy("MicrosoftAuthenticator", includeTargets=[push]))
    check = f"authenticator.target[{GROUP}]"
    assert by_name(doctor_report(monkeypatch))[check].status is FAIL
    passkeys = by_name(doctor_report(monkeypatch, TARGET_METHODS="authenticator_passkey"))
    assert passkeys[check].status is PASS
    assert passkeys[check].found.endswith("(phone sign-in is not a target)")


def test_windows_hello_is_a_warning_that_names_what_to_check(
    app_env: dict[str, str], tenant: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant()
    report = doctor_report(monkeypatch, TARGET_METHODS="windows_hello")
    problems = [(r.name, r.status) for r in report.problems()]
    assert problems == [("windows_hello.policy", WARN)]
    assert "Intune" in report.problems()[0].fix
    assert not any(r.name.startswith("fido2.") for r in report.results)
    assert report.exit_code == 1


def test_device_read_is_required_for_phone_sign_in_only(
    app_env: dict[str, str],
    tenant: Callable[..., None],
    graph: EmulatedGraph,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    roles = [r for r in graph.seed["apps"][0]["roles"] if r != "Device.Read.All"]
    tenant(set_app_roles(roles))
    required = by_name(doctor_report(monkeypatch))["permissions.required"]
    assert required.status is FAIL
    assert required.found == (
        "the app's token lacks Device.Read.All (to tell phone sign-in from push notifications)"
    )
    passkeys = by_name(doctor_report(monkeypatch, TARGET_METHODS="passkey"))
    assert passkeys["permissions.required"].status is PASS
