"""The files in events/ drive their functions, so `sam local invoke -e` examples cannot rot."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import SITE_ID, TENANT_ID, World
from tools import sam_template

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _function_for(event_file: Path) -> str:
    return "".join(part.title() for part in event_file.stem.split("_")) + "Function"


def test_every_function_has_exactly_one_event_file_whose_route_is_its_own() -> None:
    routes = sam_template.routes()
    functions = {route.function for route in routes}
    files = sorted(EVENTS.glob("*.json"))
    assert {_function_for(f) for f in files} == functions
    for event_file in files:
        event = json.loads(event_file.read_text())
        own_keys = {r.route_key for r in routes if r.function == _function_for(event_file)}
        assert event["routeKey"] in own_keys, event_file.name
        assert event["version"] == "2.0"
        assert event["requestContext"]["routeKey"] == event["routeKey"]


# A shopper's tokens in a sample are placeholders for those of a real CustomerAuthTicket.
SHOPPER_TOKEN_PLACEHOLDERS = {
    "<accessToken of a CustomerAuthTicket>": "accessToken",
    "<refreshToken of a CustomerAuthTicket>": "refreshToken",
}
NO_CONTENT = {"ChangePasswordFunction", "LogOutFunction", "SetLoginLockedFunction"}
SHOPPERS_OWN_ACCOUNT = {"SignInFunction", "RefreshFunction", "CurrentAccountFunction"}
"""Samples answered with the account of the shopper whose tokens or credentials they carry."""


def _localised(
    event: dict[str, Any], world: World, account_id: int | None, ticket: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The sample event with this test's tenant, a fresh app token, a real account id and the real
    tokens of the shopper's ``ticket``."""
    headers = event["headers"]
    headers["x-vol-tenant"], headers["x-vol-site"] = str(TENANT_ID), str(SITE_ID)
    if "authorization" in headers:
        headers["authorization"] = f"Bearer {world.app_token()}"
    for name, value in (("accountId", account_id), ("tenantId", TENANT_ID)):
        if value is not None and name in event.get("pathParameters", {}):
            old = event["pathParameters"][name]
            event["pathParameters"][name] = str(value)
            event["rawPath"] = event["rawPath"].replace(old, str(value))
            event["requestContext"]["http"]["path"] = event["rawPath"]
    tokens = {p: ticket[f] for p, f in SHOPPER_TOKEN_PLACEHOLDERS.items()} if ticket is not None else {}
    for placeholder, real in tokens.items():
        for header, value in headers.items():
            headers[header] = value.replace(placeholder, real)
        if event.get("body"):
            event["body"] = event["body"].replace(placeholder, real)
    if event["routeKey"].endswith("/oauth"):
        body = json.loads(event["body"])
        body["client_id"], body["client_secret"] = (
            world.clients["full"].client_id,
            world.clients["full"].secret,
        )
        event["body"] = json.dumps(body)
    return event


@pytest.mark.parametrize("event_file", sorted(EVENTS.glob("*.json")), ids=lambda p: p.stem)
def test_event_file_succeeds_against_its_handler(world: World, event_file: Path) -> None:
    account_id = world.add_account(emailAddress="someone.else@example.com")["id"]
    ticket = None
    if event_file.stem != "create_login":
        # Every other sample acts on a shopper who has the Create-Login sample's login.
        created = world.create_login(account_id, json.loads(_sample("create_login")["body"]))
        assert created.status == 200, created.text
        ticket = created.json
    event = _localised(json.loads(event_file.read_text()), world, account_id, ticket)
    route = next(r for r in world.api.router.routes if r.route_key == event["routeKey"])

    response = world.api.router.invoke(route, event)

    # The catch-all route exists to answer Kibo's 404; every other sample succeeds.
    expected = 404 if route.function == "NotFoundFunction" else 204 if route.function in NO_CONTENT else 200
    assert response["statusCode"] == expected, response.get("body")
    assert response["headers"]["x-vol-correlation"] == event["headers"].get(
        "x-vol-correlation", response["headers"]["x-vol-correlation"]
    )
    if expected == 204:
        assert not response.get("body")
    else:
        body = json.loads(response["body"])
        assert body
        if route.function in SHOPPERS_OWN_ACCOUNT:
            assert body.get("customerAccount", body)["id"] == account_id


def _sample(name: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return sample
