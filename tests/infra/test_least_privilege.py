"""What infra/ grants and wires, checked where it is cheap to check offline.

The identity's roles are Tier-0 adjacent (docs/deploy.md, "The identity is Tier-0"): these tests
pin the narrowing down — ACS without access keys and with a send-only role, blob roles on single
containers, the secrets behind Key Vault references — and that every module call passes exactly
the parameters its module declares (there is no Bicep compiler offline to say so).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.config import MIN_TRACKING_KEY_CHARS, Settings
from tests.infra import consistency

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MODULES = INFRA / "modules"

# Built-in role ids of the blob data roles.
BLOB_DATA_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",  # Storage Blob Data Contributor
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",  # Storage Blob Data Reader
}
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
COMMUNICATION_AND_EMAIL_SERVICE_OWNER = "09976791-48a7-449e-bb21-39d1a415f350"
# What Microsoft documents for sending email with a Microsoft Entra service principal.
EMAIL_SEND_ACTIONS = [
    "Microsoft.Communication/CommunicationServices/Read",
    "Microsoft.Communication/CommunicationServices/Write",
    "Microsoft.Communication/EmailServices/write",
]
# Every blob container the identity needs: the Flex package, the host's locks and keys, reports.
GRANTED_CONTAINERS = {
    "app-package",
    "azure-webjobs-hosts",
    "azure-webjobs-secrets",
    "tapstart-reports",
}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _resources(path: Path) -> list[consistency.Declared]:
    return consistency.resources_in_bicep(_text(path))


def _one(path: Path, kind: str) -> consistency.Declared:
    (found,) = [r for r in _resources(path) if r.type == kind]
    return found


def _bicep_strings(source: str) -> list[str]:
    return [t.value for t in consistency.tokenize(source) if t.kind == "string"]


def _role_var(rbac: str, key: str) -> str:
    """The role definition id a `roles.<key>` entry of rbac.bicep names."""
    match = re.search(rf"^\s*{key}: '([0-9a-f-]{{36}})'", rbac, re.MULTILINE)
    assert match, key
    return match.group(1)


# ----------------------------------------------------------------------------- Communication Services


def test_communication_services_refuses_access_keys() -> None:
    acs = _one(MODULES / "communication.bicep", "Microsoft.Communication/communicationServices")
    assert acs.fields.get("properties.disableLocalAuth") == "true"


def test_every_communication_resource_is_on_an_api_version_with_disable_local_auth() -> None:
    # 2023-04-01 has no disableLocalAuth; 2025-05-01 is the first GA version that has it.
    for path in (MODULES / "communication.bicep", MODULES / "rbac.bicep"):
        versions = consistency.api_versions_in_bicep(_text(path))
        for kind, names in versions.items():
            if kind.startswith("Microsoft.Communication/"):
                assert all(v >= "2025-05-01" and "preview" not in v for v in names), (path, kind)


def test_the_app_sets_no_acs_access_key() -> None:
    settings = consistency.app_settings_in_bicep(_text(MODULES / "functionapp.bicep"))
    assert "ACS_ACCESS_KEY" not in settings
    assert Settings.specs()["acs_access_key"].default == ""  # unset = the managed identity


def test_the_email_role_is_a_custom_role_with_only_the_documented_send_actions() -> None:
    rbac = _text(MODULES / "rbac.bicep")
    bicep = consistency.BicepFile.parse(rbac)
    assert bicep.literal_strings(bicep.symbols["emailSendActions"]) == EMAIL_SEND_ACTIONS
    role = _one(MODULES / "rbac.bicep", "Microsoft.Authorization/roleDefinitions")
    assert role.fields["properties.type"] == "'CustomRole'"
    assert "emailSendActions" in role.fields["properties.permissions"]
    assert "dataActions: []" in role.fields["properties.permissions"]
    assert role.fields["properties.assignableScopes"].split() == ["[", "resourceGroup().id", "]"]
    assert consistency.declared_params(rbac)["acsCustomSendRole"]  # has a default …
    assert re.search(r"^param acsCustomSendRole bool = true$", rbac, re.MULTILINE)  # … true


def test_the_email_role_is_assigned_on_the_communication_services_resource_only() -> None:
    rbac = _text(MODULES / "rbac.bicep")
    (sender,) = [
        r
        for r in _resources(MODULES / "rbac.bicep")
        if r.type == "Microsoft.Authorization/roleAssignments"
        and "emailSenderRoleId" in r.fields["properties.roleDefinitionId"]
    ]
    assert sender.fields["scope"] == "communicationService"
    # The built-in owner role is only the fallback when no custom role may be created.
    assert (
        _role_var(rbac, "communicationAndEmailServiceOwner")
        == COMMUNICATION_AND_EMAIL_SERVICE_OWNER
    )
    assert re.search(
        r"^var emailSenderRoleId = acsCustomSendRole \? emailSendRoleId : "
        r"roles\.communicationAndEmailServiceOwner$",
        rbac,
        re.MULTILINE,
    )


# ----------------------------------------------------------------------------- storage


def test_no_blob_data_role_is_assigned_on_the_storage_account() -> None:
    rbac = _text(MODULES / "rbac.bicep")
    blob_keys = {
        key
        for key in re.findall(r"^\s*(storageBlob\w+): '", rbac, re.MULTILINE)
        if _role_var(rbac, key) in BLOB_DATA_ROLES
    }
    assert blob_keys == {"storageBlobDataContributor"}
    assignments = [
        r
        for r in _resources(MODULES / "rbac.bicep")
        if r.type == "Microsoft.Authorization/roleAssignments"
    ]
    blob_assignments = [
        r
        for r in assignments
        if any(f"roles.{k}" in r.fields["properties.roleDefinitionId"] for k in blob_keys)
    ]
    assert len(blob_assignments) == 1
    (blob,) = blob_assignments
    assert blob.looped and blob.fields["scope"] == "containers[i]"
    # Nothing else on the account is a blob role, and no Blob Data Owner anywhere in infra.
    for r in assignments:
        if r.fields["scope"] == "storage":
            assert r not in blob_assignments
    for path in INFRA.rglob("*.bicep"):
        assert STORAGE_BLOB_DATA_OWNER not in _text(path), path


def test_blob_roles_cover_exactly_the_containers_that_need_them() -> None:
    resources = _text(INFRA / "resources.bicep")
    (rbac_call,) = [
        c for c in consistency.module_calls(resources) if c.path == "modules/rbac.bicep"
    ]
    assert "blobContainerNames" in rbac_call.params
    passed = re.search(r"blobContainerNames: \[(.*?)\]", resources, re.DOTALL)
    assert passed
    outputs = set(re.findall(r"storage\.outputs\.(\w+)", passed.group(1)))
    assert outputs == {
        "deploymentContainerName",
        "hostsContainerName",
        "secretsContainerName",
        "reportContainerName",
    }
    storage = _text(MODULES / "storage.bicep")
    assert consistency.storage_names_in_bicep(storage)["container"] == GRANTED_CONTAINERS
    for output in outputs:
        assert re.search(rf"^output {output} string = \w+Container\.name$", storage, re.MULTILINE)


def test_the_report_container_the_code_uses_is_one_of_the_granted_ones() -> None:
    assert Settings.specs()["report_container"].default in GRANTED_CONTAINERS


# ----------------------------------------------------------------------------- secrets and limits


def test_tracking_id_key_is_a_key_vault_secret_behind_a_reference() -> None:
    settings = consistency.app_settings_in_bicep(_text(MODULES / "functionapp.bicep"))
    assert (
        settings["TRACKING_ID_KEY"] == "'@Microsoft.KeyVault(SecretUri=${trackingIdKeySecretUri})'"
    )
    keyvault = _text(MODULES / "keyvault.bicep")
    assert "var trackingIdKeySecretName = 'tracking-id-key'" in keyvault
    (secret,) = [
        r
        for r in consistency.resources_in_bicep(keyvault)
        if r.fields.get("name") == "trackingIdKeySecretName"
    ]
    assert secret.type == "Microsoft.KeyVault/vaults/secrets"
    assert secret.fields["properties.value"] == "trackingIdKey"
    # Only the identity reads it, on that secret alone (like the HR webhook secret).
    resources = _text(INFRA / "resources.bicep")
    passed = re.search(r"secretNames: \[(.*?)\]", resources, re.DOTALL)
    assert passed
    assert set(re.findall(r"keyVault\.outputs\.(\w+)", passed.group(1))) == {
        "hrWebhookSecretName",
        "trackingIdKeySecretName",
    }


@pytest.mark.parametrize("path", [INFRA / "resources.bicep", INFRA / "main.bicep"])
def test_the_tracking_id_key_defaults_to_a_fresh_random_value(path: Path) -> None:
    text = _text(path)
    assert re.search(r"^param \w*[tT]rackingIdKey string = newGuid\(\)$", text, re.MULTILINE)
    # A GUID (36 characters, 122 random bits) passes the app's length check.
    assert len("00000000-0000-0000-0000-000000000000") >= MIN_TRACKING_KEY_CHARS
    if path.name == "resources.bicep":
        assert (
            f"@minLength({MIN_TRACKING_KEY_CHARS})\nparam trackingIdKey string = newGuid()" in text
        )


def test_the_platform_refuses_bodies_the_app_would_refuse() -> None:
    settings = consistency.app_settings_in_bicep(_text(MODULES / "functionapp.bicep"))
    limit = consistency.bicep_literal(settings["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"])
    assert limit == Settings.specs()["max_event_bytes"].default == "1048576"
    assert consistency.bicep_literal(settings["MAX_EVENT_BYTES"]) == limit


# ----------------------------------------------------------------------------- wiring


def _templates() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_module_call_passes_exactly_the_declared_parameters(template: Path) -> None:
    for call in consistency.module_calls(_text(template)):
        target = (template.parent / call.path).resolve()
        assert target.is_file(), f"{template.name}: module {call.symbol} → {call.path}"
        declared = consistency.declared_params(_text(target))
        unknown = sorted(call.params - set(declared))
        missing = sorted(
            name
            for name, has_default in declared.items()
            if not has_default and name not in call.params
        )
        assert unknown == [], f"{template.name} passes {unknown} that {call.path} does not declare"
        assert missing == [], f"{template.name} leaves out required {missing} of {call.path}"


def test_azd_parameters_are_parameters_of_main_bicep() -> None:
    document = json.loads(_text(INFRA / "main.parameters.json"))
    given = set(document["parameters"])
    declared = consistency.declared_params(_text(INFRA / "main.bicep"))
    assert given <= set(declared)
    assert {name for name, has_default in declared.items() if not has_default} <= given
    assert (
        document["parameters"]["acsCustomSendRole"]["value"]
        == "${TAPSTART_ACS_CUSTOM_SEND_ROLE=true}"
    )
    assert document["parameters"]["trackingIdKey"]["value"] == "${TAPSTART_TRACKING_ID_KEY}"


def test_the_module_call_check_catches_an_undeclared_parameter() -> None:
    # The bug this check was written after: main.bicep passed deliveryDomains to a module that
    # did not declare it (a Bicep compile error, only seen at `azd provision`).
    caller = "module app 'resources.bicep' = {\n  params: {\n    extra: 1\n    name: 'x'\n  }\n}\n"
    (call,) = consistency.module_calls(caller)
    declared = consistency.declared_params("param name string\nparam other string = ''\n")
    assert sorted(call.params - set(declared)) == ["extra"]
