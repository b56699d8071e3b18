"""The issue's whole session life through the handlers: register, sign in, refresh, reuse, log out."""

from tests.support.assertions import ok
from tests.support.fixtures import FrozenClock, HttpResult, World

PASSWORD = "correct horse battery staple"
EMAIL = "life@example.com"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = "/api/commerce/customer/authtickets/refresh"
CURRENT = "/api/commerce/customer/accounts/current"


def sign_in(world: World, token: str, password: str = PASSWORD) -> HttpResult:
    return world.api.call("POST", SIGN_IN, {"username": EMAIL, "password": password}, token=token)


def refresh(world: World, token: str, refresh_token: str) -> HttpResult:
    return world.api.call("PUT", REFRESH, token=token, query={"refreshToken": refresh_token})


def current(world: World, token: str, access_token: str) -> HttpResult:
    return world.api.call("GET", CURRENT, token=token, headers={"x-vol-user-claims": access_token})


def test_create_login_sign_in_refresh_reuse_and_global_log_out(world: World, clock: FrozenClock) -> None:
    app = world.app_token()
    account_id = world.add_account(app, emailAddress=EMAIL)["id"]
    created = ok(world.create_login(account_id, {"emailAddress": EMAIL, "password": PASSWORD}, token=app))
    assert ok(current(world, app, created["accessToken"]))["id"] == account_id

    first = ok(sign_in(world, app))
    assert first["customerAccount"]["id"] == account_id
    clock.advance(seconds=1)
    second = ok(refresh(world, app, first["refreshToken"]))
    clock.advance(seconds=1)
    third = ok(refresh(world, app, second["refreshToken"]))
    assert len({first["refreshToken"], second["refreshToken"], third["refreshToken"]}) == 3
    assert ok(current(world, app, third["accessToken"]))["id"] == account_id

    clock.advance(seconds=30)  # past the grace window: reusing the first token revokes the family
    reused = refresh(world, app, first["refreshToken"])
    assert (reused.status, reused.json["errorCode"]) == (401, "INVALID_TOKEN")
    assert refresh(world, app, third["refreshToken"]).status == 401
    assert current(world, app, third["accessToken"]).status == 401
    assert ok(current(world, app, created["accessToken"]))["id"] == account_id  # another session

    again = ok(sign_in(world, app))
    logout = world.api.call(
        "DELETE", SIGN_IN, token=app, query={"refreshToken": again["refreshToken"], "scope": "global"}
    )
    assert logout.status == 204, logout.text
    for ticket in (created, again):
        assert current(world, app, ticket["accessToken"]).status == 401
        bearer = world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"])
        assert bearer.status == 401


def test_the_immediate_parent_gets_the_same_child_inside_the_grace_window(
    world: World, clock: FrozenClock
) -> None:
    app = world.app_token()
    account_id = world.add_account(app, emailAddress=EMAIL)["id"]
    ok(world.create_login(account_id, {"emailAddress": EMAIL, "password": PASSWORD}, token=app))
    first = ok(sign_in(world, app))
    child = ok(refresh(world, app, first["refreshToken"]))
    clock.advance(seconds=5)
    again = ok(refresh(world, app, first["refreshToken"]))
    assert again["refreshToken"] == child["refreshToken"]
    assert again["accessToken"] == child["accessToken"]
    assert again["jwtAccessToken"] == child["jwtAccessToken"]
    assert ok(refresh(world, app, child["refreshToken"]))["refreshToken"] != child["refreshToken"]
