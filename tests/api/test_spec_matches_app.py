"""The OpenAPI document describes exactly the HTTP functions the app registers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "openapi" / "tapstart.openapi.yaml"
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "options", "head"}


def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return document


def registered_routes() -> set[tuple[str, str]]:
    from function_app import app

    routes: set[tuple[str, str]] = set()
    for function in app.get_functions():
        for binding in function.get_bindings():
            if binding.type == "httpTrigger":
                route, methods = getattr(binding, "route"), getattr(binding, "methods")  # noqa: B009  # HttpTrigger's, not Binding's
                for method in methods:
                    routes.add((f"/api/{route}", str(method).split(".")[-1].lower()))
    return routes


def documented_routes() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in spec()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_every_registered_http_function_is_documented_and_nothing_else() -> None:
    registered = registered_routes()
    assert ("/api/hr/events", "post") in registered  # the reading of the bindings works
    assert documented_routes() == registered


def test_every_operation_documents_a_problem_or_auth_refusal() -> None:
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            statuses = set(operation["responses"])
            assert statuses & {"400", "401", "404"}, f"{method} {path} documents no refusal"


def test_the_hr_request_body_is_the_repository_schema() -> None:
    body = spec()["paths"]["/api/hr/events"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"]["$ref"] == "../schemas/joiner-event.schema.json"
    assert (SPEC.parent / "../schemas/joiner-event.schema.json").resolve().is_file()


def test_the_spec_is_a_valid_openapi_3_1_document() -> None:
    import schemathesis

    schema = schemathesis.openapi.from_path(str(SPEC))
    operations = set()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err raises here, failing the test
        operations.add((operation.path, operation.method.lower()))
    assert operations == documented_routes()
