"""Temporary Access Pass methods: policy enforcement, one-per-user, passcode only on create,
usability over time, and the registration a TAP enables."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from graph_testkit import (
    GUEST,
    INTERNAL_GUEST,
    JOINER,
    POLICY_ADMIN_APP,
    TAP_EXCLUDED,
    error_of,
)
from msgraph.generated.models.authentication_method_state import AuthenticationMethodState
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.temporary_access_pass_authentication_method import (
    TemporaryAccessPassAuthenticationMethod as Tap,
)
from msgraph.generated.models.temporary_access_pass_authentication_method_configuration import (
    TemporaryAccessPassAuthenticationMethodConfiguration,
)

from tests.fixtures.graph import EmulatedGraph, graph_call

# TAP mechanics on a policy that covers every user; the targeting tests set their own targets.
pytestmark = pytest.mark.usefixtures("tap_for_everyone")


def _taps(client: Any, user: str) -> Any:
    return client.users.by_user_id(user).authentication.temporary_access_pass_methods


def _create(graph: EmulatedGraph, user: str, **fields: Any) -> Any:
    return graph_call(graph, lambda c: _taps(c, user).post(Tap(**fields)))


def _refused(graph: EmulatedGraph, user: str, **fields: Any) -> ODataError:
    with pytest.raises(ODataError) as caught:
        _create(graph, user, **fields)
    return caught.value


def test_create_returns_201_and_the_passcode_only_once(graph: EmulatedGraph, raw: Any) -> None:
    response = raw.post(
        f"users/{JOINER}/authentication/temporaryAccessPassMethods",
        json={"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
              "lifetimeInMinutes": 60, "isUsableOnce": True},
    )  # fmt: skip
    assert response.status_code == 201
    created = response.json()
    assert created["@odata.type"] == "#microsoft.graph.temporaryAccessPassAuthenticationMethod"
    assert len(created["temporaryAccessPass"]) == 8  # the policy's defaultLength
    assert created["isUsable"] is True and created["methodUsabilityReason"] == "EnabledByPolicy"
    assert created["createdDateTime"].endswith("Z") and len(created["createdDateTime"]) == 28

    listed = graph_call(graph, lambda c: _taps(c, JOINER).get())
    assert [t.id for t in listed.value] == [created["id"]]
    assert listed.value[0].temporary_access_pass is None
    one = graph_call(
        graph,
        lambda c: (
            _taps(c, JOINER).by_temporary_access_pass_authentication_method_id(created["id"]).get()
        ),
    )
    assert one.temporary_access_pass is None
    assert one.lifetime_in_minutes == 60 and one.is_usable_once is True
    assert one.additional_data.keys() <= {"@odata.context"}


def test_sdk_create_with_tz_aware_start(graph: EmulatedGraph) -> None:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    tap = _create(
        graph, JOINER, start_date_time=start, lifetime_in_minutes=480, is_usable_once=True
    )
    assert tap.temporary_access_pass and len(tap.temporary_access_pass) == 8
    assert tap.is_usable is False
    assert tap.method_usability_reason == "NotYetValid"
    assert abs((tap.start_date_time - start).total_seconds()) < 1


def test_a_new_tap_replaces_the_old_one(graph: EmulatedGraph) -> None:
    first = _create(graph, JOINER, lifetime_in_minutes=60)
    second = _create(graph, JOINER, lifetime_in_minutes=120)
    assert first.id != second.id
    listed = graph_call(graph, lambda c: _taps(c, JOINER).get())
    assert [(t.id, t.lifetime_in_minutes) for t in listed.value] == [(second.id, 120)]


@pytest.mark.parametrize("lifetime", [59, 481, 5, 50000])
def test_lifetime_outside_the_policy_range(graph: EmulatedGraph, lifetime: int) -> None:
    error = _refused(graph, JOINER, lifetime_in_minutes=lifetime)
    assert error.response_status_code == 400
    assert error.error.code == "badRequest"
    assert (
        error.error.message
        == "Invalid LifetimeInMinutes specified. The valid range between 60 and 480."
    )


def test_multi_use_refused_when_policy_forces_one_time(graph: EmulatedGraph) -> None:
    error = _refused(graph, JOINER, lifetime_in_minutes=60, is_usable_once=False)
    assert error.response_status_code == 400
    assert error.error.code == "badRequest"
    # Omitting isUsableOnce follows the policy (one-time here).
    assert _create(graph, JOINER, lifetime_in_minutes=60).is_usable_once is True


POLICY_TEXT = (
    "Converged UserCredentialPolicy does not allow creating or updating this authentication "
    "method. AuthMethodType [TemporaryAccessPass]."
)


def test_user_excluded_by_policy_targets_is_refused(graph: EmulatedGraph) -> None:
    error = _refused(graph, TAP_EXCLUDED, lifetime_in_minutes=60)
    assert (error.response_status_code, error.error.code) == (400, "badRequest")
    assert error.error.message == POLICY_TEXT


def _reseed(graph: EmulatedGraph, **tap_policy: Any) -> None:
    seed = copy.deepcopy(graph.seed)
    seed["policies"]["TemporaryAccessPass"].update(tap_policy)
    graph.control.reset(seed)


def test_disabled_policy_refuses(graph: EmulatedGraph) -> None:
    assert _create(graph, JOINER, lifetime_in_minutes=60).is_usable is True
    _reseed(graph, state="disabled")
    assert _refused(graph, JOINER, lifetime_in_minutes=60).error.message == POLICY_TEXT


def test_policy_include_targets_by_group(graph: EmulatedGraph) -> None:
    _reseed(
        graph,
        includeTargets=[{"targetType": "group", "id": "20000000-0000-4000-8000-000000000001"}],
    )
    assert _refused(graph, JOINER, lifetime_in_minutes=60).error.message == POLICY_TEXT
    assert _create(graph, "erin.enrolled@contoso.example", lifetime_in_minutes=60).id


def test_external_guest_refused_internal_guest_allowed(graph: EmulatedGraph) -> None:
    error = _refused(graph, GUEST, lifetime_in_minutes=60)
    assert error.response_status_code == 400
    assert error.error.message == "Temporary Access Pass cannot be added to an external guest user."
    assert _create(graph, INTERNAL_GUEST, lifetime_in_minutes=60).is_usable is True


def test_unknown_user_is_404(graph: EmulatedGraph, raw: Any) -> None:
    response = raw.post(
        "users/ghost%40contoso.example/authentication/temporaryAccessPassMethods", json={}
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "Request_ResourceNotFound"


def test_usability_follows_the_clock(graph: EmulatedGraph) -> None:
    tap = _create(graph, JOINER, lifetime_in_minutes=60)
    graph.control.advance_clock(61 * 60)
    [listed] = graph_call(graph, lambda c: _taps(c, JOINER).get()).value
    assert (listed.id, listed.is_usable, listed.method_usability_reason) == (
        tap.id,
        False,
        "Expired",
    )


def test_delete_then_get_is_404(graph: EmulatedGraph) -> None:
    tap = _create(graph, JOINER, lifetime_in_minutes=60)
    item = lambda c: _taps(c, JOINER).by_temporary_access_pass_authentication_method_id(tap.id)  # noqa: E731
    assert graph_call(graph, lambda c: item(c).delete()) is None
    with pytest.raises(ODataError) as caught:
        graph_call(graph, lambda c: item(c).get())
    assert caught.value.response_status_code == 404
    assert graph_call(graph, lambda c: _taps(c, JOINER).get()).value == []


def test_registering_with_a_one_time_tap_consumes_it(graph: EmulatedGraph) -> None:
    tap = _create(graph, JOINER, lifetime_in_minutes=60)
    result = graph.control.register(
        JOINER, "microsoftAuthenticatorPush", temporary_access_pass=tap.temporary_access_pass
    )
    assert result["tapConsumed"] is True
    [listed] = graph_call(graph, lambda c: _taps(c, JOINER).get()).value
    assert (listed.is_usable, listed.method_usability_reason) == (False, "OneTimeUsed")
    methods = graph_call(graph, lambda c: c.users.by_user_id(JOINER).authentication.methods.get())
    kinds = {type(m).__name__ for m in methods.value}
    assert "MicrosoftAuthenticatorAuthenticationMethod" in kinds
    # A second sign-in with the same one-time TAP is refused.
    from tests.fixtures.graph import ControlError

    with pytest.raises(ControlError) as caught:
        graph.control.register(JOINER, "passKeyDeviceBound")
    assert caught.value.status == 409 and "OneTimeUsed" in caught.value.body


def test_register_checks_the_passcode_when_given(graph: EmulatedGraph) -> None:
    from tests.fixtures.graph import ControlError

    _create(graph, JOINER, lifetime_in_minutes=60)
    with pytest.raises(ControlError) as caught:
        graph.control.register(JOINER, temporary_access_pass="wrong-one")
    assert caught.value.status == 401


def test_control_api_lists_taps_without_passcodes(graph: EmulatedGraph) -> None:
    tap = _create(graph, JOINER, lifetime_in_minutes=90)
    [entry] = graph.control.taps()
    assert entry["id"] == tap.id and entry["lifetimeInMinutes"] == 90
    assert tap.temporary_access_pass not in str(graph.control.taps())
    assert "temporaryAccessPass" not in entry


def test_tap_policy_get_is_typed(graph: EmulatedGraph) -> None:
    policy = graph_call(
        graph,
        lambda c: (
            c.policies.authentication_methods_policy.authentication_method_configurations.by_authentication_method_configuration_id(
                "TemporaryAccessPass"
            ).get()
        ),
    )
    assert isinstance(policy, TemporaryAccessPassAuthenticationMethodConfiguration)
    assert (policy.minimum_lifetime_in_minutes, policy.maximum_lifetime_in_minutes) == (60, 480)
    assert policy.default_length == 8 and policy.is_usable_once is True
    assert policy.include_targets[0].id == "all_users"
    assert policy.additional_data.keys() <= {"@odata.context"}


def test_policy_patch_needs_permission_and_makes_taps_disabled_by_policy(
    graph: EmulatedGraph,
) -> None:
    tap = _create(graph, JOINER, lifetime_in_minutes=60)
    change = TemporaryAccessPassAuthenticationMethodConfiguration(
        state=AuthenticationMethodState.Disabled
    )
    patch = lambda c: _tap_policy(c).patch(change)  # noqa: E731
    with pytest.raises(ODataError) as caught:
        graph_call(graph, patch)  # the Tapstart app only reads policies
    assert caught.value.response_status_code == 403
    assert graph_call(graph, patch, POLICY_ADMIN_APP) is None
    [listed] = graph_call(graph, lambda c: _taps(c, JOINER).get()).value
    assert (listed.id, listed.is_usable, listed.method_usability_reason) == (
        tap.id,
        False,
        "DisabledByPolicy",
    )
    assert _refused(graph, JOINER, lifetime_in_minutes=60).error.message == POLICY_TEXT


def _tap_policy(client: Any) -> Any:
    configurations = (
        client.policies.authentication_methods_policy.authentication_method_configurations
    )
    return configurations.by_authentication_method_configuration_id("TemporaryAccessPass")
