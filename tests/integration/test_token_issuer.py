"""The template's default issuer, ``https://{apiId}.execute-api.<region>.amazonaws.com``: each
function fills the API's id in from the events API Gateway sends, so the tokens it mints name the
API's own URL and the tokens another function minted verify."""

import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from customer_auth.api import runtime
from customer_auth.api.settings import settings
from tests.support.fixtures import SITE_ID, TENANT_ID, World, shared_router
from tools.local_api.events import http_api_event

API_ID = "a1b2c3d4e5"


@pytest.fixture
def default_issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """TOKEN_ISSUER as template.yaml sets it when TokenIssuer and DomainName are empty, in a fresh
    container (no event seen yet)."""
    monkeypatch.setenv("TOKEN_ISSUER", "https://{apiId}.execute-api.eu-west-1.amazonaws.com")
    monkeypatch.setattr(runtime, "api_id", None)
    settings.cache_clear()
    yield
    settings.cache_clear()


def _call(method: str, path: str, body: str, headers: dict[str, str]) -> dict[str, Any]:
    """One event as API Gateway sends it for the stack's API."""
    router = shared_router()
    matched = router.match(method, path)
    assert matched is not None
    route, parameters = matched
    event = http_api_event(
        route,
        method,
        path,
        "",
        [("content-type", "application/json"), *headers.items()],
        body.encode(),
        path_parameters=parameters,
    )
    event["requestContext"]["apiId"] = API_ID
    return router.invoke(route, event)


def test_tokens_name_the_apis_own_url_and_verify_on_the_other_routes(
    default_issuer: None, world: World
) -> None:
    client = world.clients["full"]
    tenant = {"x-vol-tenant": str(TENANT_ID), "x-vol-site": str(SITE_ID)}

    minted = _call(
        "POST",
        "/api/platform/applications/authtickets/oauth",
        json.dumps(
            {
                "client_id": client.client_id,
                "client_secret": client.secret,
                "grant_type": "client_credentials",
            }
        ),
        tenant,
    )

    assert minted["statusCode"] == 200, minted["body"]
    token = json.loads(minted["body"])["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == f"https://{API_ID}.execute-api.eu-west-1.amazonaws.com"
    account = _call(
        "POST",
        "/api/commerce/customer/accounts",
        '{"firstName":"Issued"}',
        {**tenant, "authorization": f"Bearer {token}"},
    )
    assert account["statusCode"] == 200, account["body"]
