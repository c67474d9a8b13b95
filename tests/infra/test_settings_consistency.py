"""The code, infra/ and local.settings.example.json name the same settings, queues and tables.

A setting the code reads but the deployment does not set fails in Azure only, at the first
event; these tests make it fail here instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from shared.config import Settings
from tests.infra import consistency

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOCAL_SETTINGS_EXAMPLE = REPO / "local.settings.example.json"
DEPLOY_DOC = REPO / "docs" / "deploy.md"

# What the Functions host and the Azure SDKs read in Azure, beside Tapstart's own settings.
HOST_SETTINGS = {
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "AZURE_CLIENT_ID",
    # The host refuses larger request bodies before the app reads them (default 100 MB).
    "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT",
}
# Settings the code reads that the deployment leaves unset on purpose, so the code default
# applies: with local auth disabled on Communication Services an access key would be refused,
# and the empty default sends with the managed identity.
NOT_SET_IN_AZURE = {"ACS_ACCESS_KEY"}
# Ignored or rejected on Flex Consumption, or impossible with shared keys disabled.
FORBIDDEN_IN_AZURE = {
    "AzureWebJobsStorage",
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_PROCESS_COUNT",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
    "WEBSITE_TIME_ZONE",
    "TZ",
}
# Created by infra for the Flex deployment package (not used by the code).
DEPLOYMENT_CONTAINER = "app-package"
# The Graph application permissions Tapstart needs; a new one must be added here on purpose.
GRAPH_PERMISSIONS = {
    "UserAuthMethod-TAP.ReadWrite.All",
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "User.Read.All",
    "AuditLog.Read.All",
    "Policy.Read.AuthenticationMethod",
    "Device.Read.All",
    "RoleManagement.Read.Directory",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    # Opt-in only (grantConditionalAccessRead / grantSetupWrite, the scripts' flags): never
    # granted by default.
    "Policy.Read.All",
    "Policy.ReadWrite.AuthenticationMethod",
}
# Delegated scopes the grant scripts ask of the admin who runs them (not granted to the app).
DEPLOYER_SCOPES = {"AppRoleAssignment.ReadWrite.All", "Application.Read.All"}
_PERMISSION = re.compile(r"^[A-Za-z]+(?:-[A-Za-z]+)?(?:\.[A-Za-z]+)+$")
_ENV_READ = re.compile(
    r"""os\.(?:environ\.get|getenv)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']|os\.environ\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
)


# ----------------------------------------------------------------------------- the code's side


@pytest.fixture(scope="module")
def bindings() -> list[dict[str, Any]]:
    """Every binding of every function, as the worker sends them to the host."""
    import function_app

    app = function_app.app
    # get_functions() is not idempotent (it records names on the app); leave the app as found so
    # other tests in this process can index it too.
    previous = app.functions_bindings
    app.functions_bindings = None
    try:
        functions = app.get_functions()
    finally:
        app.functions_bindings = previous
    found = [json.loads(raw) for f in functions for raw in f.get_raw_bindings()]
    assert found, "function_app.app has no functions"
    return found


@pytest.fixture(scope="module")
def setting_defaults() -> dict[str, str | None]:
    return {spec.env: spec.default for spec in Settings.specs().values()}


def _code_files() -> Iterator[Path]:
    yield REPO / "function_app.py"
    for folder in ("shared", "functions"):
        yield from sorted((REPO / folder).rglob("*.py"))


@pytest.fixture(scope="module")
def environment_reads() -> set[str]:
    """Names the code reads straight from os.environ rather than through Settings."""
    names: set[str] = set()
    for path in _code_files():
        for match in _ENV_READ.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    return names


@pytest.fixture(scope="module")
def required(
    setting_defaults: Mapping[str, str | None],
    bindings: list[dict[str, Any]],
    environment_reads: set[str],
) -> set[str]:
    """Every setting the code uses, except storage connections (checked in any accepted form)."""
    return (
        set(setting_defaults) | consistency.binding_setting_references(bindings) | environment_reads
    )


# ----------------------------------------------------------------------------- infra's side


def _bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@pytest.fixture(scope="module")
def bicep_settings() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in _bicep_files():
        found.update(consistency.app_settings_in_bicep(path.read_text(encoding="utf-8")))
    assert found, "no appSettings found in infra/*.bicep"
    return found


@pytest.fixture(scope="module")
def bicep_storage() -> dict[str, set[str]]:
    return consistency.merge_names(
        consistency.storage_names_in_bicep(p.read_text(encoding="utf-8")) for p in _bicep_files()
    )


@pytest.fixture(scope="module")
def local_values() -> dict[str, str]:
    assert LOCAL_SETTINGS_EXAMPLE.is_file(), "local.settings.example.json is missing"
    document = json.loads(LOCAL_SETTINGS_EXAMPLE.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in document["Values"].items()}


# ----------------------------------------------------------------------------- settings


def test_every_setting_the_code_reads_is_set_by_infra(
    required: set[str], bindings: list[dict[str, Any]], bicep_settings: dict[str, str]
) -> None:
    missing = consistency.missing_settings(
        (required - NOT_SET_IN_AZURE) | HOST_SETTINGS,
        consistency.binding_connections(bindings),
        bicep_settings,
    )
    assert missing == [], f"set these app settings in infra/modules/functionapp.bicep: {missing}"


def test_settings_left_unset_in_azure_are_unset_and_default_to_empty(
    required: set[str], bicep_settings: dict[str, str], setting_defaults: Mapping[str, str | None]
) -> None:
    assert required >= NOT_SET_IN_AZURE
    assert sorted(NOT_SET_IN_AZURE & set(bicep_settings)) == []
    assert {name: setting_defaults[name] for name in NOT_SET_IN_AZURE} == dict.fromkeys(
        NOT_SET_IN_AZURE, ""
    )


def test_storage_connections_in_azure_are_identity_based_and_complete(
    bindings: list[dict[str, Any]], bicep_settings: dict[str, str]
) -> None:
    for connection in consistency.binding_connections(bindings):
        assert connection not in bicep_settings, (
            f"{connection}: no connection strings (shared keys are off)"
        )
        assert consistency.identity_connection_is_complete(connection, bicep_settings), connection
        assert (
            consistency.bicep_literal(bicep_settings[f"{connection}__credential"])
            == "managedidentity"
        )


def test_every_setting_the_code_reads_is_in_local_settings_example(
    required: set[str], bindings: list[dict[str, Any]], local_values: dict[str, str]
) -> None:
    missing = consistency.missing_settings(
        required, consistency.binding_connections(bindings), local_values
    )
    assert missing == [], f"add these to local.settings.example.json Values: {missing}"


def test_infra_sets_no_setting_that_nothing_reads(
    required: set[str], bicep_settings: dict[str, str]
) -> None:
    # Catches a typo (MAIL_SENDR) that would leave the real setting at its default.
    unknown = sorted(set(bicep_settings) - required - HOST_SETTINGS)
    assert unknown == [], f"infra sets settings no code reads: {unknown}"


def test_infra_sets_no_setting_flex_consumption_rejects(bicep_settings: dict[str, str]) -> None:
    assert sorted(set(bicep_settings) & FORBIDDEN_IN_AZURE) == []


def test_secrets_are_key_vault_references_or_empty_in_infra(bicep_settings: dict[str, str]) -> None:
    secrets = [spec.env for spec in Settings.specs().values() if spec.secret]
    assert secrets, "shared/config.py marks no setting as secret"
    for name in sorted(set(secrets) - NOT_SET_IN_AZURE):
        value = bicep_settings[name]
        is_reference = value.startswith("'@Microsoft.KeyVault(") and value.endswith(")'")
        assert is_reference or consistency.bicep_literal(value) == "", (
            f"{name} must be a Key Vault reference or empty"
        )
    for name in ("HR_WEBHOOK_SECRETS", "TRACKING_ID_KEY"):
        assert bicep_settings[name].startswith("'@Microsoft.KeyVault(SecretUri="), name


def test_literal_values_in_infra_are_the_code_defaults(
    setting_defaults: Mapping[str, str | None], bicep_settings: dict[str, str]
) -> None:
    # Literals restate defaults for the portal's sake; they must not drift from the code.
    drift = {
        name: (literal, setting_defaults[name])
        for name, source in bicep_settings.items()
        if name in setting_defaults
        and (literal := consistency.bicep_literal(source)) is not None
        and setting_defaults[name] is not None
        and literal != setting_defaults[name]
    }
    assert drift == {}, f"infra literal != code default: {drift}"


def test_every_setting_is_documented_in_the_deploy_guide(required: set[str]) -> None:
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    undocumented = sorted(name for name in required | HOST_SETTINGS if f"`{name}`" not in text)
    assert undocumented == [], f"docs/deploy.md does not list: {undocumented}"


# ----------------------------------------------------------------------------- storage


def test_every_queue_table_and_container_the_code_uses_is_created_by_infra(
    setting_defaults: Mapping[str, str | None],
    bindings: list[dict[str, Any]],
    bicep_storage: dict[str, set[str]],
) -> None:
    used = consistency.storage_names_used(setting_defaults, bindings)
    assert used["queue"] >= {"onboarding", "onboarding-poison", "reminders", "reminders-poison"}
    assert consistency.missing_storage(used, bicep_storage) == []


def test_the_deployment_package_container_is_created_and_used(
    bicep_storage: dict[str, set[str]],
) -> None:
    assert DEPLOYMENT_CONTAINER in bicep_storage["container"]
    functionapp = (INFRA / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    assert "type: 'blobContainer'" in functionapp
    assert "type: 'UserAssignedIdentity'" in functionapp


# ----------------------------------------------------------------------------- the checker catches breakage


def test_checker_catches_a_setting_missing_from_a_broken_fixture(
    required: set[str], bindings: list[dict[str, Any]]
) -> None:
    # The fixture is the Function App module with REMINDER_QUEUE deleted.
    broken = consistency.app_settings_in_bicep(
        (FIXTURES / "functionapp_without_reminder_queue.bicep").read_text()
    )
    missing = consistency.missing_settings(
        required | HOST_SETTINGS, consistency.binding_connections(bindings), broken
    )
    assert "REMINDER_QUEUE" in missing
    assert "ONBOARDING_QUEUE" not in missing


def test_checker_catches_a_queue_missing_from_a_broken_fixture(
    setting_defaults: Mapping[str, str | None], bindings: list[dict[str, Any]]
) -> None:
    # The fixture is the storage module with the reminders-poison queue deleted.
    broken = consistency.storage_names_in_bicep(
        (FIXTURES / "storage_without_reminder_poison_queue.bicep").read_text()
    )
    missing = consistency.missing_storage(
        consistency.storage_names_used(setting_defaults, bindings), broken
    )
    assert "queue reminders-poison" in missing
    assert "queue reminders" not in missing


def test_checker_catches_a_setting_removed_from_the_real_module(
    required: set[str], bindings: list[dict[str, Any]]
) -> None:
    text = (INFRA / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    lines = text.splitlines()
    kept = [line for line in lines if not line.strip().startswith("MAIL_SENDER:")]
    assert len(kept) == len(lines) - 1
    settings = consistency.app_settings_in_bicep("\n".join(kept))
    missing = consistency.missing_settings(
        (required - NOT_SET_IN_AZURE) | HOST_SETTINGS,
        consistency.binding_connections(bindings),
        settings,
    )
    assert missing == ["MAIL_SENDER"]


def test_checker_catches_a_host_connection_missing() -> None:
    missing = consistency.missing_settings(
        set(), {"AzureWebJobsStorage"}, {"AzureWebJobsStorage__credential"}
    )
    assert missing == ["AzureWebJobsStorage (or AzureWebJobsStorage__accountName)"]


# ----------------------------------------------------------------------------- Graph permissions


def _permission_strings(text: str) -> set[str]:
    return {
        t.value
        for t in consistency.tokenize(text)
        if t.kind == "string" and _PERMISSION.match(t.value)
    }


def test_graph_permissions_in_bicep_are_exactly_the_least_privileged_set() -> None:
    text = (INFRA / "graph-permissions.bicep").read_text(encoding="utf-8")
    assert _permission_strings(text) == GRAPH_PERMISSIONS
    assert "extension microsoftGraphV1" in text


def test_the_doctor_expects_exactly_what_infra_grants() -> None:
    # The doctor's least-privilege set (its warning) and infra's grants are one list: a permission
    # added to one side only would either never be granted or always be flagged as too broad.
    from shared.doctor.permission_checks import EXPECTED, REQUIRED

    assert EXPECTED == GRAPH_PERMISSIONS
    assert {names[0] for names in REQUIRED.values()} <= GRAPH_PERMISSIONS


def test_device_read_is_granted_for_the_phone_sign_in_check() -> None:
    text = (INFRA / "graph-permissions.bicep").read_text(encoding="utf-8")
    assert "Device.Read.All" in _permission_strings(text)
    assert "Device.ReadWrite.All" not in text  # read-only is enough


@pytest.mark.parametrize("script", ["grant-graph-permissions.sh", "grant-graph-permissions.ps1"])
def test_grant_scripts_grant_the_same_permissions_as_bicep(script: str) -> None:
    text = (REPO / "scripts" / script).read_text(encoding="utf-8")
    quoted = set(re.findall(r"""["']([A-Za-z]+(?:-[A-Za-z]+)?(?:\.[A-Za-z]+)+)["']""", text))
    assert {q for q in quoted if _PERMISSION.match(q)} >= GRAPH_PERMISSIONS
    granted_like = {q for q in quoted if q.endswith((".All", ".Read", ".ReadWrite"))}
    assert granted_like - DEPLOYER_SCOPES <= GRAPH_PERMISSIONS


_DOC_ROW = re.compile(r"^\| `([A-Za-z0-9_]+)` \| (`[^`]*`|\(empty\)|required|–) \|", re.MULTILINE)


def test_defaults_in_the_deploy_guide_are_the_code_defaults(
    setting_defaults: Mapping[str, str | None],
) -> None:
    rows = dict(_DOC_ROW.findall(DEPLOY_DOC.read_text(encoding="utf-8")))
    assert set(setting_defaults) <= set(rows), "every setting has a row with its code default"
    written = {"required": None, "(empty)": ""}
    wrong = {
        name: shown
        for name, shown in rows.items()
        if name in setting_defaults
        and written.get(shown, shown.strip("`")) != setting_defaults[name]
    }
    assert wrong == {}, f"docs/deploy.md shows other defaults than shared/config.py: {wrong}"
