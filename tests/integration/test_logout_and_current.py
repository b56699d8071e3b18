"""The current account (docs/contract.md §3, §5), log out in both scopes, and Change-Password ending
every session: a shopper's tokens die the moment their session does."""

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.support.assertions import ok
from tests.support.fixtures import OTHER_TENANT_ID, FrozenClock, HttpResult, World

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase"
EMAIL = "current@example.com"
ACCOUNTS = "/api/commerce/customer/accounts"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = "/api/commerce/customer/authtickets/refresh"
CURRENT = "/api/commerce/customer/accounts/current"
OTHER_TENANT = {"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"}
Item = dict[str, Any]


# -- helpers ----------------------------------------------------------------------------------------
def assert_error(result: HttpResult, status: int, code: str) -> dict[str, Any]:
    assert result.status == status, result.text
    body: dict[str, Any] = result.json
    assert body["errorCode"] == code
    assert body["applicationName"] == "customer-auth"
    return body


def register(world: World, app: str, email: str = EMAIL, headers: dict[str, str] | None = None) -> int:
    added = world.api.call(
        "POST",
        ACCOUNTS,
        {"emailAddress": email, "firstName": "Cora", "lastName": "Current"},
        token=app,
        headers=headers,
    )
    account_id: int = ok(added)["id"]
    ok(
        world.create_login(
            account_id, {"emailAddress": email, "password": PASSWORD}, token=app, headers=headers
        )
    )
    return account_id


def sign_in_result(
    world: World,
    app: str,
    password: str = PASSWORD,
    email: str = EMAIL,
    headers: dict[str, str] | None = None,
) -> HttpResult:
    return world.api.call(
        "POST", SIGN_IN, {"username": email, "password": password}, token=app, headers=headers
    )


def sign_in(
    world: World, app: str, email: str = EMAIL, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return ok(sign_in_result(world, app, email=email, headers=headers))


def current(world: World, app: str | None, access_token: str, **kwargs: Any) -> HttpResult:
    return world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": access_token}, **kwargs)


def current_by_jwt(world: World, jwt: str, headers: dict[str, str] | None = None) -> HttpResult:
    return world.api.call("GET", CURRENT, token=jwt, headers=headers)


def refresh(world: World, app: str, refresh_token: str) -> HttpResult:
    return world.api.call("PUT", REFRESH, token=app, query={"refreshToken": refresh_token})


def log_out(world: World, app: str, refresh_token: str, scope: str | None = None) -> HttpResult:
    query = {"refreshToken": refresh_token}
    if scope is not None:
        query["scope"] = scope
    return world.api.call("DELETE", SIGN_IN, token=app, query=query)


def assert_alive(world: World, app: str, ticket: dict[str, Any], account_id: int) -> None:
    assert ok(current(world, app, ticket["accessToken"]))["id"] == account_id
    assert ok(current_by_jwt(world, ticket["jwtAccessToken"]))["id"] == account_id


def assert_dead(world: World, app: str, ticket: dict[str, Any]) -> None:
    """Every token of the ticket's session is refused."""
    assert_error(current(world, app, ticket["accessToken"]), 401, "UNAUTHORIZED")
    assert_error(current_by_jwt(world, ticket["jwtAccessToken"]), 401, "UNAUTHORIZED")
    assert_error(refresh(world, app, ticket["refreshToken"]), 401, "INVALID_TOKEN")


def datetime_of(text: str) -> datetime:
    return datetime.fromisoformat(text)


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def tampered_jwt(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{header}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def by_key(items: list[Item]) -> dict[tuple[str, str], Item]:
    return {(item["pk"]["S"], item["sk"]["S"]): item for item in items}


def changed_attributes(before: Item, after: Item) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


@pytest.fixture
def app(world: World) -> str:
    return world.app_token()


@pytest.fixture
def account_id(world: World, app: str) -> int:
    return register(world, app)


# -- the current account ----------------------------------------------------------------------------
def test_the_opaque_access_token_in_user_claims_gives_the_full_account(
    world: World, app: str, account_id: int
) -> None:
    ticket = sign_in(world, app)

    result = current(world, app, ticket["accessToken"])

    assert ok(result) == ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))
    assert result.json["emailAddress"] == EMAIL
    assert result.json["userId"] == ticket["userId"]


def test_the_current_account_honours_response_fields(world: World, app: str, account_id: int) -> None:
    ticket = sign_in(world, app)

    result = current(world, app, ticket["accessToken"], query={"responseFields": "id,emailAddress"})

    assert ok(result) == {"id": account_id, "emailAddress": EMAIL}


def test_the_jwt_access_token_alone_as_bearer_gives_the_account(
    world: World, app: str, account_id: int
) -> None:
    ticket = sign_in(world, app)

    result = current_by_jwt(world, ticket["jwtAccessToken"])

    assert ok(result) == ok(current(world, app, ticket["accessToken"]))


def other_tenants_ticket(world: World) -> dict[str, Any]:
    other_app = world.app_token("other")
    register(world, other_app, "abroad@example.com", headers=OTHER_TENANT)
    return sign_in(world, other_app, "abroad@example.com", headers=OTHER_TENANT)


BAD_ACCESS_TOKENS: dict[str, Callable[[World, dict[str, Any]], str]] = {
    "tampered": lambda world, ticket: tampered(ticket["accessToken"]),
    "other-tenant": lambda world, ticket: other_tenants_ticket(world)["accessToken"],
    "garbage": lambda world, ticket: "x",
    "refresh-token": lambda world, ticket: ticket["refreshToken"],
    "well-formed-unknown": lambda world, ticket: (
        f"100.{ticket['customerAccount']['id']}.{'0' * 32}.{'A' * 43}"
    ),
}


@pytest.mark.parametrize("bad_token", BAD_ACCESS_TOKENS.values(), ids=BAD_ACCESS_TOKENS.keys())
def test_a_bad_opaque_access_token_is_unauthorized(
    world: World, app: str, account_id: int, bad_token: Callable[[World, dict[str, Any]], str]
) -> None:
    presented = bad_token(world, sign_in(world, app))

    body = assert_error(current(world, app, presented), 401, "UNAUTHORIZED")

    assert body["message"] == "The shopper's session is not valid."


@pytest.mark.parametrize("case", ["tampered", "garbage", "other-tenant-with-its-own-headers"])
def test_a_bad_jwt_access_token_is_unauthorized(world: World, app: str, account_id: int, case: str) -> None:
    ticket = sign_in(world, app)
    if case == "tampered":
        result = current_by_jwt(world, tampered_jwt(ticket["jwtAccessToken"]))
    elif case == "garbage":
        result = current_by_jwt(world, "x")
    else:  # a valid JWT of tenant 300 is fine for tenant 300; tampered, it is not
        foreign = other_tenants_ticket(world)
        assert ok(current_by_jwt(world, foreign["jwtAccessToken"], OTHER_TENANT))["emailAddress"] == (
            "abroad@example.com"
        )
        result = current_by_jwt(world, tampered_jwt(foreign["jwtAccessToken"]), OTHER_TENANT)

    assert_error(result, 401, "UNAUTHORIZED")


def test_expired_access_tokens_are_unauthorized(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    ticket = sign_in(world, app)
    assert_alive(world, app, ticket, account_id)

    clock.now = datetime_of(ticket["accessTokenExpiration"])
    app = world.app_token()

    assert_error(current(world, app, ticket["accessToken"]), 401, "UNAUTHORIZED")
    assert_error(current_by_jwt(world, ticket["jwtAccessToken"]), 401, "UNAUTHORIZED")
    fresh = ok(refresh(world, app, ticket["refreshToken"]))  # the session itself lives on
    assert_alive(world, app, fresh, account_id)


def test_a_shopper_jwt_sent_to_another_tenant_is_forbidden(world: World, app: str, account_id: int) -> None:
    ticket = sign_in(world, app)

    assert_error(current_by_jwt(world, ticket["jwtAccessToken"], OTHER_TENANT), 403, "FORBIDDEN")


def test_another_tenants_access_token_under_this_tenants_app_token_is_unauthorized(
    world: World, app: str, account_id: int
) -> None:
    foreign = other_tenants_ticket(world)

    assert_error(current(world, app, foreign["accessToken"]), 401, "UNAUTHORIZED")
    assert_error(current_by_jwt(world, foreign["jwtAccessToken"]), 403, "FORBIDDEN")


def test_no_shopper_token_at_all_is_unauthorized(world: World, account_id: int) -> None:
    assert_error(world.api.call("GET", CURRENT), 401, "UNAUTHORIZED")


def test_an_app_token_is_not_a_shopper_token(world: World, app: str, account_id: int) -> None:
    assert_error(world.api.call("GET", CURRENT, token=app), 401, "UNAUTHORIZED")


def test_user_claims_need_a_valid_app_token_beside_them(world: World, app: str, account_id: int) -> None:
    ticket = sign_in(world, app)

    assert_error(current(world, None, ticket["accessToken"]), 401, "UNAUTHORIZED")
    assert_error(current(world, ticket["jwtAccessToken"], ticket["accessToken"]), 401, "UNAUTHORIZED")


def test_a_shopper_jwt_is_not_an_app_token(world: World, app: str, account_id: int) -> None:
    ticket = sign_in(world, app)

    result = world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=ticket["jwtAccessToken"])

    assert_error(result, 401, "UNAUTHORIZED")
    assert_error(refresh(world, ticket["jwtAccessToken"], ticket["refreshToken"]), 401, "UNAUTHORIZED")


# -- log out ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("scope", [None, "local"], ids=["default-scope", "scope-local"])
def test_local_log_out_ends_that_session_at_once_and_no_other(
    world: World, app: str, account_id: int, scope: str | None
) -> None:
    leaving, staying = sign_in(world, app), sign_in(world, app)

    result = log_out(world, app, leaving["refreshToken"], scope)

    assert result.status == 204, result.text
    assert result.text == ""
    assert_dead(world, app, leaving)
    assert_alive(world, app, staying, account_id)
    assert ok(refresh(world, app, staying["refreshToken"]))


def test_global_log_out_ends_every_session_and_a_new_sign_in_works(
    world: World, app: str, account_id: int
) -> None:
    first, second = sign_in(world, app), sign_in(world, app)

    result = log_out(world, app, first["refreshToken"], "global")

    assert result.status == 204, result.text
    assert_dead(world, app, first)
    assert_dead(world, app, second)
    again = sign_in(world, app)
    assert_alive(world, app, again, account_id)
    assert ok(refresh(world, app, again["refreshToken"]))


@pytest.mark.parametrize("scope", [None, "global"], ids=["default-scope", "scope-global"])
def test_log_out_accepts_the_token_in_a_json_body(
    world: World, app: str, account_id: int, scope: str | None
) -> None:
    leaving, other = sign_in(world, app), sign_in(world, app)
    query = {"scope": scope} if scope else None

    result = world.api.call(
        "DELETE", SIGN_IN, {"refreshToken": leaving["refreshToken"]}, token=app, query=query
    )

    assert result.status == 204, result.text
    assert_dead(world, app, leaving)
    if scope == "global":
        assert_dead(world, app, other)
    else:
        assert_alive(world, app, other, account_id)


@pytest.mark.parametrize(
    "presented",
    [
        lambda ticket: "x",
        lambda ticket: tampered(ticket["refreshToken"]),
        lambda ticket: ticket["accessToken"],
        lambda ticket: secrets.token_urlsafe(32),
        lambda ticket: f"100.1.{'0' * 32}.{'A' * 43}",
    ],
    ids=["garbage", "tampered", "access-token", "43-random-characters", "well-formed-unknown"],
)
@pytest.mark.parametrize("scope", ["local", "global"])
def test_log_out_with_a_bad_token_is_an_invalid_token_and_ends_nothing(
    world: World, app: str, account_id: int, presented: Any, scope: str
) -> None:
    ticket = sign_in(world, app)
    before = world.scan()

    result = log_out(world, app, presented(ticket), scope)

    body = assert_error(result, 401, "INVALID_TOKEN")
    assert body["message"] == "The refresh token is not valid."
    assert world.scan() == before
    assert_alive(world, app, ticket, account_id)


@pytest.mark.parametrize("scope", ["local", "global"])
def test_a_second_log_out_with_the_same_token_is_refused(
    world: World, app: str, account_id: int, scope: str
) -> None:
    ticket = sign_in(world, app)
    assert log_out(world, app, ticket["refreshToken"], scope).status == 204

    assert_error(log_out(world, app, ticket["refreshToken"], scope), 401, "INVALID_TOKEN")
    assert_error(log_out(world, app, ticket["refreshToken"], "local"), 401, "INVALID_TOKEN")


def test_log_out_with_another_tenants_token_is_an_invalid_token(
    world: World, app: str, account_id: int
) -> None:
    foreign = other_tenants_ticket(world)

    assert_error(log_out(world, app, foreign["refreshToken"]), 401, "INVALID_TOKEN")
    assert ok(current_by_jwt(world, foreign["jwtAccessToken"], OTHER_TENANT))


def test_log_out_with_a_bad_scope_is_a_400_and_ends_nothing(world: World, app: str, account_id: int) -> None:
    ticket = sign_in(world, app)

    result = log_out(world, app, ticket["refreshToken"], "everywhere")

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert_alive(world, app, ticket, account_id)


@pytest.mark.parametrize("body", [None, {}, {"refreshToken": None}], ids=["nothing", "empty-body", "null"])
def test_log_out_without_a_token_is_a_400(world: World, app: str, body: dict[str, Any] | None) -> None:
    result = world.api.call("DELETE", SIGN_IN, body, token=app)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert {"name": "field", "value": "refreshToken"} in result.json["additionalErrorData"]


def test_log_out_needs_the_ticket_behavior(world: World, app: str, account_id: int) -> None:
    ticket = sign_in(world, app)

    assert_error(log_out(world, world.app_token("reader"), ticket["refreshToken"]), 403, "FORBIDDEN")
    assert_alive(world, app, ticket, account_id)


def test_local_log_out_deletes_only_the_session_item(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    ticket = sign_in(world, app)
    sign_in(world, app)
    clock.advance(seconds=5)
    before = by_key(world.scan())

    assert log_out(world, app, ticket["refreshToken"]).status == 204

    after = by_key(world.scan())
    sid = ticket["refreshToken"].split(".")[2]
    assert before.keys() - after.keys() == {(f"ACCOUNT#100#{account_id}", f"SESSION#{sid}")}
    assert after.keys() <= before.keys()
    assert all(after[key] == before[key] for key in after)


def test_global_log_out_changes_only_the_logins_generation_version_and_update_time(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    ticket = sign_in(world, app)
    sign_in(world, app)
    clock.advance(seconds=5)
    before = by_key(world.scan())

    assert log_out(world, app, ticket["refreshToken"], "global").status == 204

    after = by_key(world.scan())
    assert after.keys() == before.keys()
    login_key = (f"ACCOUNT#100#{account_id}", "LOGIN")
    assert [key for key in after if after[key] != before[key]] == [login_key]
    login_before, login_after = before[login_key], after[login_key]
    assert changed_attributes(login_before, login_after) == {"generation", "version", "updatedAt"}
    assert int(login_after["generation"]["N"]) == int(login_before["generation"]["N"]) + 1
    assert int(login_after["version"]["N"]) == int(login_before["version"]["N"]) + 1
    assert datetime_of(login_after["updatedAt"]["S"]) == clock.now


# -- Change-Password --------------------------------------------------------------------------------
def test_change_password_ends_every_session_and_only_the_new_password_signs_in(
    world: World, app: str, account_id: int
) -> None:
    first, second = sign_in(world, app), sign_in(world, app)

    changed = world.api.call(
        "POST",
        f"{ACCOUNTS}/{account_id}/Change-Password",
        {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        token=app,
    )

    assert changed.status == 204, changed.text
    assert_dead(world, app, first)
    assert_dead(world, app, second)
    assert_error(sign_in_result(world, app, PASSWORD), 401, "INVALID_CREDENTIALS")
    fresh = ok(sign_in_result(world, app, NEW_PASSWORD))
    assert_alive(world, app, fresh, account_id)
