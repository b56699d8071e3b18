"""Every endpoint documents itself: Kibo's operation id, its success body and its refusals."""

import json
from typing import Any

import pytest

from customer_auth.api.docs import EMPTY
from tests.support.fixtures import shared_router
from tools import openapi, sam_template

UNDOCUMENTED = {"NotFoundFunction", "JwksFunction"}  # the catch-all, and a public key set
PUBLIC = {"ApiDocsFunction"}  # no caller to check and no dependency to fail: only a bad request
NO_CALLER = {"DeleteAppTicketFunction"}  # the refresh token is the credential, and any answers 200
ROUTES = [r for r in sam_template.routes() if r.function not in UNDOCUMENTED]


def operation(route: sam_template.Route) -> dict[str, Any]:
    app = shared_router().module(route).app
    spec = json.loads(app.get_openapi_json_schema())
    found: dict[str, Any] = spec["paths"][route.path][route.method.lower()]
    found["components"] = spec.get("components", {}).get("schemas", {})
    return found


EMPTY_200 = {"ResetPasswordFunction", "UpdateForgottenPasswordFunction", "DeleteAppTicketFunction"}
"""Kibo answers these 200 with no body."""


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.function)
def test_each_route_has_an_operation_id_a_success_body_and_kibo_shaped_refusals(
    route: sam_template.Route,
) -> None:
    documented = operation(route)
    assert documented["operationId"][0].islower()
    responses = documented["responses"]
    success = {code for code in responses if code in {"200", "204"}}
    assert len(success) == 1
    if route.function in EMPTY_200:
        # documented as empty here; tools/openapi.py drops powertools' stand-in body from the document
        assert responses["200"]["description"] == EMPTY
        merged = json.loads(openapi.DOCUMENT.read_text())["paths"][route.path][route.method.lower()]
        assert "content" not in merged["responses"]["200"]
    elif "200" in success:
        assert responses["200"]["content"]["application/json"]["schema"]["$ref"].startswith(
            "#/components/schemas/"
        )
    refusals = {code: r for code, r in responses.items() if code.startswith(("4", "5")) and code != "422"}
    expected = {"400", "401", "503"}
    if route.function in PUBLIC | NO_CALLER:
        expected = {"400"} if route.function in PUBLIC else {"400", "503"}
    assert expected <= set(refusals)
    for refusal in refusals.values():
        assert refusal["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ApiError"
    assert set(documented["components"]["ApiError"]["properties"]) == {
        "message",
        "applicationName",
        "errorCode",
        "additionalErrorData",
        "items",
        "correlationId",
    }


def test_operation_ids_are_unique_across_functions() -> None:
    ids = [operation(route)["operationId"] for route in ROUTES]
    assert len(ids) == len(set(ids))
