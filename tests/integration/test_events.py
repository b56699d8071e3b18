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


def _localised(event: dict[str, Any], world: World, account_id: int | None) -> dict[str, Any]:
    """The sample event with this test's tenant, a fresh app token and a real account id."""
    headers = event["headers"]
    headers["x-vol-tenant"], headers["x-vol-site"] = str(TENANT_ID), str(SITE_ID)
    if "authorization" in headers:
        headers["authorization"] = f"Bearer {world.app_token()}"
    if account_id is not None and "accountId" in event.get("pathParameters", {}):
        old = event["pathParameters"]["accountId"]
        event["pathParameters"]["accountId"] = str(account_id)
        event["rawPath"] = event["rawPath"].replace(old, str(account_id))
        event["requestContext"]["http"]["path"] = event["rawPath"]
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
    event = _localised(json.loads(event_file.read_text()), world, account_id)
    route = next(r for r in world.api.router.routes if r.route_key == event["routeKey"])

    response = world.api.router.invoke(route, event)

    # The catch-all route exists to answer Kibo's 404; every other sample succeeds.
    expected = 404 if route.function == "NotFoundFunction" else 200
    assert response["statusCode"] == expected, response.get("body")
    assert response["headers"]["x-vol-correlation"] == event["headers"].get(
        "x-vol-correlation", response["headers"]["x-vol-correlation"]
    )
    assert json.loads(response["body"])
