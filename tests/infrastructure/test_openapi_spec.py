"""The committed OpenAPI document is the one the code generates, documents every route of
template.yaml with Kibo's refusals (never powertools' 422), and is what the API serves."""

import json
import threading
from typing import Any
from urllib import request

import pytest

from tests.support.fixtures import World
from tools import openapi, sam_template
from tools.local_api.router import Router
from tools.local_api.server import make_server

COMMITTED: dict[str, Any] = json.loads(openapi.DOCUMENT.read_text())
GENERATED = openapi.document()
OPERATIONS = [
    (path, method, operation)
    for path, item in COMMITTED["paths"].items()
    for method, operation in item.items()
    if method in openapi.METHODS
]
API_ERROR = {"$ref": "#/components/schemas/ApiError"}


def test_the_committed_document_is_the_one_the_code_generates() -> None:
    assert openapi.DOCUMENT.read_text() == openapi.render(GENERATED), "stale: run make openapi"
    assert openapi.main(["--check"]) == 0


def test_the_check_fails_on_a_stale_document(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(openapi.render({**GENERATED, "paths": {}}))
    monkeypatch.setattr(openapi, "DOCUMENT", stale)
    assert openapi.main(["--check"]) == 1


def test_one_document_for_every_route_of_the_template() -> None:
    documented = {
        f"{'ANY' if method == openapi.ANY_METHOD else method.upper()} {path}"
        for path, method, _ in OPERATIONS
    }
    assert documented == {route.route_key for route in sam_template.routes()}
    assert COMMITTED["openapi"].startswith("3.1")
    assert COMMITTED["info"]["title"] == "customer-auth"
    assert COMMITTED["servers"] == [{"url": "/", "description": COMMITTED["servers"][0]["description"]}]
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_each_operation_lists_kibo_refusals_and_never_422(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    responses = operation["responses"]
    assert "422" not in responses
    for status, response in responses.items():
        assert response["headers"]["x-vol-correlation"] == {"$ref": "#/components/headers/Correlation"}
        if status.startswith(("4", "5")):
            assert response["content"]["application/json"]["schema"] == API_ERROR, status
        if status in {"429", "503"}:
            assert "Retry-After" in response["headers"]
        if status == "204":
            assert "content" not in response
    if method == openapi.ANY_METHOD:
        assert set(responses) == {"404", "405"}
        assert responses["405"]["headers"]["Allow"] == {"$ref": "#/components/headers/Allow"}
        return
    assert len({"200", "204"} & set(responses)) == 1
    if operation["security"]:  # every caller-checked route: a bad request, token, caller or dependency
        assert {"400", "401", "403", "503"} <= set(responses)
    else:
        assert "400" in responses


def test_every_contract_error_is_documented_and_no_powertools_validation_schema_is_left() -> None:
    statuses = {status for _, _, operation in OPERATIONS for status in operation["responses"]}
    assert {"400", "401", "403", "404", "409", "429", "503"} <= statuses
    schemas = COMMITTED["components"]["schemas"]
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)
    assert "422" not in json.dumps(COMMITTED["paths"])
    assert set(schemas["ApiError"]["required"]) == {
        "message",
        "applicationName",
        "errorCode",
        "additionalErrorData",
        "items",
        "correlationId",
    }


def test_every_reference_resolves_and_every_schema_is_used() -> None:
    text = json.dumps(COMMITTED)
    components = COMMITTED["components"]
    schemes = {name for _, _, operation in OPERATIONS for choice in operation["security"] for name in choice}
    assert schemes == set(components["securitySchemes"])
    for kind, items in components.items():
        for name in items if kind != "securitySchemes" else ():
            assert f'"#/components/{kind}/{name}"' in text, f"unused {kind} {name}"
    for reference in {part.split('"')[0] for part in text.split('"$ref": "#/components/')[1:]}:
        kind, name = reference.split("/", 1)
        assert name in components[kind], reference


def test_the_docs_route_serves_the_committed_document(world: World) -> None:
    result = world.api.call("GET", "/api/docs/openapi.json", headers={"x-vol-correlation": "docs-1"})

    assert result.status == 200
    assert result.headers["content-type"] == "application/json"
    assert result.headers["cache-control"].startswith("public, max-age=")
    assert result.headers["x-vol-correlation"] == "docs-1"
    assert result.json == COMMITTED


def test_make_run_serves_swagger_ui_over_the_document() -> None:
    server = make_server(Router(), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        with request.urlopen(f"http://{host!s}:{port}/api/docs", timeout=10) as page:
            assert page.status == 200
            assert page.headers["content-type"].startswith("text/html")
            html = page.read().decode()
    finally:
        server.shutdown()
        server.server_close()

    assert "swagger-ui-bundle.js" in html
    assert 'url: "/api/docs/openapi.json"' in html
