from datetime import date
from typing import Any

import pytest

from functions.http_problem import status_of
from shared.domain.errors import InvalidEventError
from shared.intake.scim import (
    ENTERPRISE_USER,
    MAX_OPERATIONS,
    TAPSTART_USER,
    events_from_bulk_request,
)

from .helpers import NOW, bulk, scim_user

CUSTOM = "urn:ietf:params:scim:schemas:extension:contoso:1.0:User"


def refusal(document: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        events_from_bulk_request(document, NOW)
    assert status_of(caught.value) == 400
    return caught.value


def test_an_active_user_becomes_a_joiner_event() -> None:
    batch = events_from_bulk_request(bulk(scim_user()), NOW)
    (event,) = batch.events
    assert event.event_id == "scim:701984:2026-12-01"
    assert event.employee_id == "701984"
    assert event.hire_date == date(2026, 12, 1)
    assert event.upn == "u701984@contoso.example"
    assert (event.given_name, event.surname, event.display_name) == (
        "Barbara",
        "Jensen",
        "Babs Jensen",
    )
    assert (event.job_title, event.department) == ("Tour Guide", "Tour Operations")
    assert (event.time_zone, event.preferred_language) == ("America/Los_Angeles", "en-US")
    assert event.personal_email == "babs@home.example"
    assert event.occurred_at == NOW
    assert event.source == "scim"
    assert batch.skipped == ()


def test_an_inactive_user_is_a_withdrawal_that_counts_only_for_a_person_being_onboarded() -> None:
    batch = events_from_bulk_request(bulk(scim_user("1"), scim_user("2", active=False)), NOW)
    assert [e.employee_id for e in batch.events] == ["1"]
    assert batch.skipped == ()
    [cancel] = batch.cancels
    assert (cancel.event.kind, cancel.event.employee_id) == ("cancel", "2")
    assert cancel.event.event_id == "scim:2:2026-12-01:inactive"  # resent every run: one event
    assert cancel.event.occurred_at == NOW and cancel.event.source == "scim"
    assert cancel.skipped.to_json() == {"bulkId": "b1", "reason": "inactive"}


def test_a_user_without_active_is_inactive() -> None:
    user = scim_user()
    del user["active"]
    [cancel] = events_from_bulk_request(bulk(user), NOW).cancels
    assert cancel.skipped.reason == "inactive"


def test_an_inactive_user_naming_no_usable_employee_id_is_just_skipped() -> None:
    user = scim_user(active=False)
    del user[ENTERPRISE_USER]["employeeNumber"]
    del user["externalId"]
    too_long = scim_user("X" * 17, active=False)
    batch = events_from_bulk_request(bulk(user, too_long), NOW)
    assert batch.cancels == ()
    assert [s.reason for s in batch.skipped] == ["inactive", "inactive"]


def test_an_inactive_users_bad_fields_are_not_an_error() -> None:
    user = scim_user(active=False, timezone="Mars/Olympus", name="not an object")
    [cancel] = events_from_bulk_request(bulk(user), NOW).cancels
    assert cancel.event.employee_id == "701984"


def test_a_delete_names_the_person_by_employee_id() -> None:
    document = bulk(scim_user("1"))
    document["Operations"].append({"method": "delete", "path": "/Users/E%2F7"})
    document["Operations"].append({"method": "DELETE", "path": "/Users/E8", "bulkId": "del-8"})
    batch = events_from_bulk_request(document, NOW)
    first, second = batch.cancels
    assert (first.event.employee_id, first.skipped.bulk_id) == ("E/7", "/Users/E%2F7")
    assert first.event.event_id == "scim:E%2F7:deleted:" + NOW.strftime("%Y%m%dT%H%M%S")
    assert (second.event.employee_id, second.skipped.to_json()) == (
        "E8",
        {"bulkId": "del-8", "reason": "not_onboarding"},
    )


@pytest.mark.parametrize("path", ["/Users", "/Users/", "/Groups/E1", "/Users/" + "9" * 17, 7])
def test_a_delete_with_a_path_that_names_no_employee_is_refused(path: Any) -> None:
    document = bulk(scim_user())
    document["Operations"] = [{"method": "DELETE", "path": path}]
    error = refusal(document)
    assert error.field == "/Operations/0/path" and "employee id" in error.detail


def test_other_methods_are_refused() -> None:
    document = bulk(scim_user())
    document["Operations"][0]["method"] = "PATCH"
    error = refusal(document)
    assert error.field == "/Operations/0/method" and "POST or DELETE" in error.detail


def test_the_event_id_is_the_same_for_a_resent_user_whatever_the_bulk_id() -> None:
    first = events_from_bulk_request(bulk(scim_user()), NOW).events[0]
    document = bulk(scim_user("9"), scim_user())
    second = events_from_bulk_request(document, NOW).events[1]
    assert first.event_id == second.event_id


def test_a_rehire_on_another_date_is_a_new_event() -> None:
    later = scim_user(**{TAPSTART_USER: {"hireDate": "2027-03-01"}})
    assert events_from_bulk_request(bulk(later), NOW).events[0].event_id == "scim:701984:2027-03-01"


def test_employee_hire_date_in_another_extension_is_accepted_and_its_date_taken() -> None:
    user = scim_user()
    del user[TAPSTART_USER]
    user[CUSTOM] = {"employeeHireDate": "2026-12-01T00:00:00Z"}
    assert events_from_bulk_request(bulk(user), NOW).events[0].hire_date == date(2026, 12, 1)


def test_external_id_stands_in_for_a_missing_employee_number() -> None:
    user = scim_user(externalId="X1")
    del user[ENTERPRISE_USER]["employeeNumber"]
    assert events_from_bulk_request(bulk(user), NOW).events[0].employee_id == "X1"


def test_a_user_name_that_is_not_a_upn_is_not_used() -> None:
    user = scim_user(userName="bjensen")
    assert events_from_bulk_request(bulk(user), NOW).events[0].upn is None


def test_missing_hire_date_names_the_tapstart_attribute() -> None:
    user = scim_user()
    del user[TAPSTART_USER]
    error = refusal(bulk(user))
    assert error.field == f"/Operations/0/data/{TAPSTART_USER}/hireDate"
    assert "is required" in error.detail


def test_bad_hire_date_names_where_it_came_from() -> None:
    user = scim_user()
    del user[TAPSTART_USER]
    user[CUSTOM] = {"employeeHireDate": "next monday"}
    assert refusal(bulk(user)).field == f"/Operations/0/data/{CUSTOM}/employeeHireDate"


def test_missing_employee_id_names_the_enterprise_attribute() -> None:
    user = scim_user()
    del user["externalId"]
    del user[ENTERPRISE_USER]["employeeNumber"]
    assert refusal(bulk(user)).field == f"/Operations/0/data/{ENTERPRISE_USER}/employeeNumber"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": {"givenName": "B"}}, "/Operations/0/data/name/familyName"),
        ({"name": "Barbara"}, "/Operations/0/data/name"),
        ({"timezone": "Nowhere/City"}, "/Operations/0/data/timezone"),
        ({"preferredLanguage": "?"}, "/Operations/0/data/preferredLanguage"),
        ({"title": "x\ny"}, "/Operations/0/data/title"),
        ({"emails": [{"type": "home", "value": "nope"}]}, "/Operations/0/data/emails/0/value"),
    ],
)
def test_user_attribute_problems_point_into_the_operation(
    change: dict[str, Any], field: str
) -> None:
    assert refusal(bulk(scim_user(**change))).field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"method": "PATCH"}, "/Operations/0/method"),
        ({"path": "/Groups"}, "/Operations/0/path"),
        ({"bulkId": ""}, "/Operations/0/bulkId"),
        ({"data": []}, "/Operations/0/data"),
    ],
)
def test_operation_problems_are_named(change: dict[str, Any], field: str) -> None:
    document = bulk(scim_user())
    document["Operations"][0].update(change)
    assert refusal(document).field == field


def test_the_bulk_request_schema_is_required() -> None:
    document = bulk(scim_user())
    document["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert refusal(document).field == "/schemas"


@pytest.mark.parametrize("count", [0, MAX_OPERATIONS + 1])
def test_operation_count_is_bounded(count: int) -> None:
    document = bulk(*[scim_user(str(i)) for i in range(count)])
    assert refusal(document).field == "/Operations"


def test_repeated_bulk_ids_are_refused() -> None:
    document = bulk(scim_user("1"), scim_user("2"))
    document["Operations"][1]["bulkId"] = "b0"
    assert refusal(document).field == "/Operations/1/bulkId"


def test_a_non_object_is_refused() -> None:
    assert refusal([bulk(scim_user())]).field == "/"
