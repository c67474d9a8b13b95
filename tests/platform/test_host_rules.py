"""The local host's rules in isolation: routes, host.json values, encoding, schedules, keys."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.host.keys import Keys, function_keys_setting, keys_from
from local.host.queue_listener import (
    UndecodableMessage,
    decode_body,
    next_polling_delay,
    poison_queue_name,
)
from local.host.routes import compile_route
from local.host.settings import (
    HostConfigError,
    HostOptions,
    QueueOptions,
    SingletonOptions,
    parse_timespan,
    request_body_limit,
    resolve_references,
)
from local.host.singleton import listener_lock_id
from local.host.timers import next_occurrence


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("onboarding/{trackingId}", "onboarding/t-1", {"trackingId": "t-1"}),
        ("onboarding/{trackingId}", "ONBOARDING/t-1/", {"trackingId": "t-1"}),
        ("onboarding/{trackingId}", "onboarding", None),
        ("onboarding/{trackingId}", "onboarding//", None),
        ("onboarding/{trackingId}", "onboarding/t-1/more", None),
        ("reports/latest", "Reports/Latest", {}),
        ("reports/latest", "reports/other", None),
    ],
)
def test_route_templates(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert compile_route(template).match(path) == expected


def test_literal_routes_win_over_parameters() -> None:
    routes = [compile_route(t) for t in ("items/{id}", "items/new")]
    ordered = sorted(routes, key=lambda r: r.precedence)
    assert [r.template for r in ordered] == ["items/new", "items/{id}"]


@pytest.mark.parametrize(
    "template", ["items/{id:int}", "items/{id?}", "items/{id=1}", "files/{*path}", "{a}.{b}"]
)
def test_route_features_function_app_does_not_declare_are_refused(template: str) -> None:
    with pytest.raises(HostConfigError, match="is not emulated by the local host"):
        compile_route(template)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00:00:30", timedelta(seconds=30)),
        ("00:00:00.200", timedelta(milliseconds=200)),
        ("01:02:03", timedelta(hours=1, minutes=2, seconds=3)),
        ("1.00:00:00", timedelta(days=1)),
    ],
)
def test_timespans(raw: str, expected: timedelta) -> None:
    assert parse_timespan(raw, "test") == expected


def test_bad_timespan_names_the_value() -> None:
    with pytest.raises(HostConfigError, match="'30s'"):
        parse_timespan("30s", "host.json extensions.queues")


def test_queue_defaults_follow_the_extension() -> None:
    options = HostOptions.load(None)
    assert options.route_prefix == "api"
    assert options.queues == QueueOptions(
        batch_size=16,
        new_batch_threshold=8,
        max_polling_interval=timedelta(seconds=2),
        visibility_timeout=timedelta(0),
        max_dequeue_count=5,
        message_encoding="base64",
    )


def test_queue_options_from_host_json() -> None:
    options = QueueOptions.from_host_json(
        {
            "batchSize": 4,
            "maxDequeueCount": 2,
            "messageEncoding": "None",
            "maxPollingInterval": "00:00:00.010",
            "visibilityTimeout": "00:00:05",
        }
    )
    assert options.new_batch_threshold == 2  # batchSize / 2 when not set
    assert options.message_encoding == "none"
    assert options.max_polling_interval == timedelta(milliseconds=100)  # the host's minimum
    assert options.visibility_timeout == timedelta(seconds=5)


@pytest.mark.parametrize(
    "section", [{"batchSize": 33}, {"maxDequeueCount": 0}, {"messageEncoding": "utf8"}]
)
def test_invalid_queue_options_are_refused(section: dict[str, object]) -> None:
    with pytest.raises(HostConfigError):
        QueueOptions.from_host_json(section)


def test_setting_references_resolve_or_name_the_missing_setting() -> None:
    settings = {"QUEUE": "onboarding"}
    assert resolve_references("%QUEUE%-poison", settings, "f") == "onboarding-poison"
    with pytest.raises(HostConfigError, match="'REPORT_SCHEDULE'"):
        resolve_references("%REPORT_SCHEDULE%", settings, "function report")


def test_base64_decoding_is_strict() -> None:
    assert decode_body("aGVsbG8=", "base64") == b"hello"
    assert decode_body("aGVsbG8=", "none") == b"aGVsbG8="
    for raw in ("hello world", "aGVsbG8", "{}"):
        with pytest.raises(UndecodableMessage):
            decode_body(raw, "base64")


def test_poison_queue_names() -> None:
    assert poison_queue_name("onboarding") == "onboarding-poison"
    assert poison_queue_name("onboarding-poison") is None


def test_polling_backoff_grows_to_the_maximum() -> None:
    rng = random.Random(7)
    delay = timedelta(milliseconds=100)
    seen = []
    for _ in range(20):
        delay = next_polling_delay(delay, timedelta(seconds=2), rng)
        seen.append(delay)
    assert seen == sorted(seen)
    assert seen[-1] == timedelta(seconds=2)


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("0 */5 * * * *", "09:29:50", "09:30:00"),  # six fields: seconds first
        ("*/10 * * * * *", "09:29:51", "09:30:00"),
        ("0 30 9 * * 1-5", "09:29:50", "09:30:00"),  # 2026-03-02 is a Monday
        ("*/15 * * * *", "09:29:50", "09:30:00"),  # five fields: minutes first
    ],
)
def test_ncrontab_schedules(schedule: str, after: str, expected: str) -> None:
    base = datetime.fromisoformat(f"2026-03-02T{after}+00:00")
    assert next_occurrence(schedule, base) == datetime.fromisoformat(
        f"2026-03-02T{expected}+00:00"
    ).astimezone(UTC)


def test_invalid_schedule_is_refused() -> None:
    with pytest.raises(HostConfigError, match="NCRONTAB"):
        next_occurrence("every day", datetime.now(UTC))


KEYS = Keys(
    master_key="master",
    host_keys=frozenset({"host-1", "host-2"}),
    function_keys={"hr_events": frozenset({"hr"}), "onboarding_status": frozenset({"status"})},
)


@pytest.mark.parametrize(
    ("level", "function", "key", "opens"),
    [
        ("FUNCTION", "hr_events", "hr", True),
        ("FUNCTION", "onboarding_status", "hr", False),  # one function's key, not another's
        ("FUNCTION", "onboarding_status", "status", True),
        ("FUNCTION", "hr_events", "status", False),
        ("FUNCTION", "doctor", "hr", False),  # a function without keys of its own
        ("FUNCTION", "doctor", "host-2", True),  # any host key
        ("FUNCTION", "hr_events", "master", True),
        ("ADMIN", "hr_events", "hr", False),  # ADMIN: the master key only
        ("ADMIN", "hr_events", "host-1", False),
        ("ADMIN", "hr_events", "master", True),
        ("FUNCTION", "hr_events", "", False),
        ("FUNCTION", "hr_events", None, False),
        ("FUNCTION", "hr_events", "hr ", False),
    ],
)
def test_which_key_opens_which_endpoint(
    level: str, function: str, key: str | None, opens: bool
) -> None:
    assert KEYS.allows(level, function, key) is opens


def test_keys_come_from_the_settings_per_function() -> None:
    settings = {
        "TAPSTART_MASTER_KEY": "m",
        "TAPSTART_FUNCTION_KEYS": "h1, h2,",
        "TAPSTART_FUNCTION_KEYS_HR_EVENTS": "hr-1,hr-2",
        "TAPSTART_FUNCTION_KEYS_HR_EVENTS_HANDSHAKE": "hr-1",
        "TAPSTART_FUNCTION_KEYS_NO_SUCH_FUNCTION": "stray",
    }
    keys = keys_from(settings, ["hr_events", "hr_events_handshake", "doctor"])
    assert keys == Keys(
        master_key="m",
        host_keys=frozenset({"h1", "h2"}),
        function_keys={
            "hr_events": frozenset({"hr-1", "hr-2"}),
            "hr_events_handshake": frozenset({"hr-1"}),
        },
    )
    assert function_keys_setting("report-run") == "TAPSTART_FUNCTION_KEYS_REPORT_RUN"


def test_a_missing_master_key_is_generated_and_a_stray_key_setting_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="local.host"):
        keys = keys_from({"TAPSTART_FUNCTION_KEYS_DOCTOR_TYPO": "k"}, ["doctor"])
    assert len(keys.master_key) >= 24
    assert keys.allows_admin(keys.master_key)
    assert "TAPSTART_FUNCTION_KEYS_DOCTOR_TYPO names no function of this app" in caplog.text


@pytest.mark.parametrize(
    ("value", "limit"),
    [(None, 104_857_600), ("", 104_857_600), ("1048576", 1_048_576), (" 0 ", 0)],
)
def test_the_request_body_limit_setting(value: str | None, limit: int) -> None:
    settings = {} if value is None else {"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": value}
    assert request_body_limit(settings) == limit


@pytest.mark.parametrize("value", ["1MB", "-1", "1e6"])
def test_a_request_body_limit_that_is_not_bytes_is_refused(value: str) -> None:
    with pytest.raises(HostConfigError, match="FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"):
        request_body_limit({"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": value})


def test_singleton_options_follow_the_sdk() -> None:
    assert HostOptions.load(None).singleton == SingletonOptions(
        listener_lock_period=timedelta(seconds=60), listener_lock_recovery=timedelta(minutes=1)
    )
    options = SingletonOptions.from_host_json(
        {"listenerLockPeriod": "00:00:15", "listenerLockRecoveryPollingInterval": "00:00:20"}
    )
    assert options == SingletonOptions(timedelta(seconds=15), timedelta(seconds=20))
    assert listener_lock_id("tapstart", "daily_report") == (
        "tapstart/Host.Functions.daily_report.Listener"
    )


@pytest.mark.parametrize(
    "section",
    [
        {"listenerLockPeriod": "00:00:10"},
        {"listenerLockPeriod": "00:02:00"},
        {"listenerLockRecoveryPollingInterval": "00:00:05"},
    ],
)
def test_singleton_options_outside_the_lease_limits_are_refused(section: dict[str, str]) -> None:
    with pytest.raises(HostConfigError, match=r"host\.json singleton"):
        SingletonOptions.from_host_json(section)


@pytest.mark.parametrize(
    ("document", "timeout"),
    [
        ({}, timedelta(minutes=30)),  # Flex Consumption's default
        ({"functionTimeout": "-1"}, None),  # unbounded, which Flex allows
        ({"functionTimeout": "00:10:00"}, timedelta(minutes=10)),
    ],
)
def test_function_timeout_follows_flex_consumption(
    tmp_path: Path, document: dict[str, str], timeout: timedelta | None
) -> None:
    path = tmp_path / "host.json"
    path.write_text(json.dumps({"version": "2.0", **document}), encoding="utf-8")
    assert HostOptions.load(path).function_timeout == timeout
