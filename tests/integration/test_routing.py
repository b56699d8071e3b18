"""Routing before anything else (docs/contract.md §8): API Gateway sends every request no route
serves, whatever its method, to the catch-all ``ANY /{proxy+}``; the catch-all answers 404 for a
path no operation has and 405, naming the path's methods, for a known path, and never reads the
body to decide."""

import json

import pytest

from tests.support.assertions import assert_error
from tests.support.fixtures import World

ACCOUNTS = "/api/commerce/customer/accounts"
SIGN_IN = "/api/commerce/customer/authtickets"
APP_TICKETS = "/api/platform/applications/authtickets"

BODIES = {
    "none": b"",
    "array": b'[{"accounts": [{"emailAddress": "a@example.com"}]}]',
    "string": b'"text"',
    "not-json": b"<xml/>",
    "deep": b"[" * 5000 + b"]" * 5000,
    "binary": bytes(range(256)),
}


def _caught_all(world: World, method: str, path: str) -> None:
    matched = world.api.router.match(method, path)
    assert matched is not None
    assert matched[0].function == "NotFoundFunction", "a function serves this request"


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize(
    ("method", "path"),
    [
        # CustomerAccountApi.addAccounts, which sends an array: API Gateway would give DELETE, GET
        # and PUT of the path to the account functions (accountId "Bulk", a 400), but no operation
        # serves the path, since account ids are integers.
        ("POST", f"{ACCOUNTS}/Bulk"),
        ("PUT", "/api/commerce/customer/nothing-here"),
        ("GET", f"{ACCOUNTS}/1/Create-Login/x"),
    ],
)
def test_an_unknown_path_is_a_404_whatever_its_body(
    world: World, method: str, path: str, body: bytes
) -> None:
    _caught_all(world, method, path)
    app = world.app_token()
    before = world.scan()

    result = world.api.call(method, path, raw_body=body, token=app, headers={"x-vol-correlation": "route-1"})

    error = assert_error(result, 404, "ITEM_NOT_FOUND")
    assert error["correlationId"] == "route-1"
    assert "allow" not in result.headers
    assert world.scan() == before


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", SIGN_IN, "DELETE, POST"),
        ("POST", f"{SIGN_IN}/refresh", "PUT"),
        ("PATCH", f"{ACCOUNTS}/42", "DELETE, GET, PUT"),
        ("POST", f"{ACCOUNTS}/current", "GET"),  # not an {accountId}: those are integers
        ("GET", f"{APP_TICKETS}/oauth", "DELETE, POST"),  # and /oauth a {refreshToken}
        ("GET", f"{APP_TICKETS}/refresh-ticket", "DELETE, PUT"),
        ("PUT", "/.well-known/jwks.json", "GET"),
        ("TRACE", f"{ACCOUNTS}/42/Create-Login", "POST"),
        ("BREW", APP_TICKETS, "POST"),
    ],
)
def test_a_known_path_with_another_method_is_a_405_naming_its_methods(
    world: World, method: str, path: str, allowed: str
) -> None:
    _caught_all(world, method, path)
    before = world.scan()

    result = world.api.call(method, path, raw_body=BODIES["array"], headers={"x-vol-correlation": "route-2"})

    error = assert_error(result, 405, "METHOD_NOT_ALLOWED")
    assert result.headers["allow"] == allowed
    assert error["message"] == f"Method not allowed; this path serves {allowed}."
    assert error["correlationId"] == "route-2"
    assert result.headers["content-type"] == "application/json"
    assert world.scan() == before


def test_each_allowed_method_really_reaches_a_function(world: World) -> None:
    """The Allow header names only methods that route to a function of the path, never the
    catch-all's 405 again."""
    for method in ("GET", "PUT", "DELETE"):
        matched = world.api.router.match(method, f"{ACCOUNTS}/42")
        assert matched is not None
        assert matched[0].function != "NotFoundFunction"


def test_the_catch_all_reads_its_table_from_the_file_beside_its_code(world: World) -> None:
    route = next(r for r in world.api.router.routes if r.function == "NotFoundFunction")
    table = json.loads((route.code_dir / "routes.json").read_text())

    assert table[SIGN_IN] == ["DELETE", "POST"]
    assert table[f"{ACCOUNTS}/{{accountId:int}}"] == ["DELETE", "GET", "PUT"]
    assert table[f"{APP_TICKETS}/{{refreshToken}}"] == ["DELETE"]
    assert "/{proxy+}" not in table
