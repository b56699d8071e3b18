"""Delete account (docs/contract.md §9): the login unusable and every session dead first, then
everything removed; the email and user name free again; a crash between the two steps leaves
nothing usable and a repeated DELETE finishes; a gone account is 404."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.accounts.administration import AccountAdminService
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.kernel.errors import Unavailable
from customer_auth.models.auth import CustomerLoginInfo
from customer_auth.store.dynamodb import DynamoStore
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import OTHER_TENANT_ID, TENANT_ID, HttpResult, World
from tests.support.races import SerializedClient, race

PASSWORD = "correct horse battery staple"
EMAIL = "Erased.Shopper@Example.com"
USERNAME = "erased-shopper"
ACCOUNTS = "/api/commerce/customer/accounts"
TICKETS = "/api/commerce/customer/authtickets"


@pytest.fixture
def app(world: World) -> str:
    return world.app_token()


def register(world: World, app: str, email: str = EMAIL, username: str = USERNAME) -> dict[str, Any]:
    """An account with a login, and the Create-Login ticket."""
    account_id = world.add_account(app, emailAddress=email)["id"]
    body = {"emailAddress": email, "username": username, "password": PASSWORD}
    return ok(world.create_login(account_id, body, token=app))


def delete(world: World, app: str, account_id: int, **kwargs: Any) -> HttpResult:
    return world.api.call("DELETE", f"{ACCOUNTS}/{account_id}", token=app, **kwargs)


def sign_in(world: World, app: str, username: str = EMAIL) -> HttpResult:
    return world.api.call("POST", TICKETS, {"username": username, "password": PASSWORD}, token=app)


def refresh(world: World, app: str, token: str) -> HttpResult:
    return world.api.call("PUT", f"{TICKETS}/refresh", {"refreshToken": token}, token=app)


def current(world: World, app: str, access_token: str) -> HttpResult:
    return world.api.call(
        "GET", f"{ACCOUNTS}/current", token=app, headers={"x-vol-user-claims": access_token}
    )


def naming(world: World, *values: str) -> list[dict[str, Any]]:
    """Items of the table that name any of ``values``, in any case."""
    wanted = [v.casefold() for v in values]
    return [item for item in world.scan() if any(w in json.dumps(item).casefold() for w in wanted)]


def of_account(world: World, account_id: int) -> list[dict[str, Any]]:
    return [item for item in world.scan() if item["pk"]["S"] == f"ACCOUNT#{TENANT_ID}#{account_id}"]


def assert_unusable(world: World, app: str, ticket: dict[str, Any]) -> None:
    """Nothing of the login works: its tokens, its password, a reset code for its email."""
    assert_error(refresh(world, app, ticket["refreshToken"]), 401, "INVALID_TOKEN")
    assert_error(current(world, app, ticket["accessToken"]), 401, "UNAUTHORIZED")
    assert world.api.call("GET", f"{ACCOUNTS}/current", token=ticket["jwtAccessToken"]).status == 401
    assert_error(sign_in(world, app), 401, "INVALID_CREDENTIALS")
    world.mailer.events()
    reset = world.api.call("POST", f"{ACCOUNTS}/Reset-Password", {"emailAddress": EMAIL}, token=app)
    assert reset.status == 200
    assert world.mailer.reset_codes() == []


# -- the rules --------------------------------------------------------------------------------------
def test_delete_ends_every_session_removes_everything_and_frees_the_email(world: World, app: str) -> None:
    ticket = register(world, app)
    account_id = ticket["customerAccount"]["id"]
    second = ok(sign_in(world, app))

    result = delete(world, app, account_id)

    assert result.status == 204, result.text
    assert result.text == ""
    assert_error(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app), 404, "ITEM_NOT_FOUND")
    for session in (ticket, second):
        assert_error(refresh(world, app, session["refreshToken"]), 401, "INVALID_TOKEN")
        assert_error(current(world, app, session["accessToken"]), 401, "UNAUTHORIZED")
    assert_error(sign_in(world, app), 401, "INVALID_CREDENTIALS")
    assert_error(sign_in(world, app, USERNAME), 401, "INVALID_CREDENTIALS")
    assert of_account(world, account_id) == []
    assert naming(world, EMAIL, USERNAME) == []
    assert [i for i in world.scan() if i["kind"]["S"] in {"session", "login", "loginIdentifier"}] == []


def test_a_second_delete_is_404_and_changes_nothing(world: World, app: str) -> None:
    account_id = register(world, app)["customerAccount"]["id"]
    assert delete(world, app, account_id).status == 204
    before = world.scan()

    assert_error(delete(world, app, account_id), 404, "ITEM_NOT_FOUND")
    assert world.scan() == before


def test_the_freed_email_and_user_name_take_a_new_login(world: World, app: str) -> None:
    account_id = register(world, app)["customerAccount"]["id"]
    assert delete(world, app, account_id).status == 204

    again = register(world, app, EMAIL.lower(), USERNAME)

    assert again["customerAccount"]["id"] != account_id
    assert ok(sign_in(world, app))["customerAccount"]["id"] == again["customerAccount"]["id"]


def test_an_account_without_a_login_is_deleted_too(world: World, app: str) -> None:
    account_id = world.add_account(app, emailAddress="guest@example.com")["id"]

    assert delete(world, app, account_id).status == 204

    assert of_account(world, account_id) == []
    assert naming(world, "guest@example.com") == []


def test_other_accounts_and_their_sessions_are_untouched(world: World, app: str) -> None:
    doomed = register(world, app)
    kept = register(world, app, "kept@example.com", "kept")
    before = [i for i in world.scan() if str(kept["customerAccount"]["id"]) in json.dumps(i)]

    assert delete(world, app, doomed["customerAccount"]["id"]).status == 204

    assert [i for i in world.scan() if str(kept["customerAccount"]["id"]) in json.dumps(i)] == before
    assert (
        ok(refresh(world, app, kept["refreshToken"]))["customerAccount"]["emailAddress"] == "kept@example.com"
    )


# -- refusals ---------------------------------------------------------------------------------------
def test_an_unknown_account_is_404(world: World, app: str) -> None:
    register(world, app)
    before = world.scan()

    assert_error(delete(world, app, 123456), 404, "ITEM_NOT_FOUND")
    assert world.scan() == before


def test_another_tenants_account_is_404_and_untouched(world: World, app: str) -> None:
    account_id = register(world, app)["customerAccount"]["id"]
    other = world.app_token("other")
    before = world.scan()

    result = delete(
        world, other, account_id, headers={"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"}
    )

    assert_error(result, 404, "ITEM_NOT_FOUND")
    assert world.scan() == before


def test_it_needs_the_delete_behavior(world: World, app: str) -> None:
    account_id = register(world, app)["customerAccount"]["id"]
    reader = world.app_token("reader")
    before = world.scan()

    result = delete(world, reader, account_id)

    assert_error(result, 403, "FORBIDDEN")
    assert "customer:account:delete" in result.json["message"]
    assert world.scan() == before


@pytest.mark.parametrize("account_id", ["abc", "0", "-1", "99999999999", "1.5"])
def test_a_bad_account_id_is_a_400(world: World, app: str, account_id: str) -> None:
    register(world, app)
    before = world.scan()

    result = world.api.call("DELETE", f"{ACCOUNTS}/{account_id}", token=app)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert world.scan() == before


# -- a crash between the two steps ------------------------------------------------------------------
@pytest.fixture
def second_step_fails(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The store's second step fails (as a crashed function would never run it); the list says
    which part failed, and emptying it lets the next call through."""
    failing = ["delete_account"]
    real_clear, real_delete = DynamoStore.clear_account_partition, DynamoStore.delete_account

    def clear(self: DynamoStore, *args: Any) -> None:
        if "clear" in failing:
            raise Unavailable("crash")
        real_clear(self, *args)

    def delete_account(self: DynamoStore, *args: Any) -> None:
        if "delete_account" in failing:
            raise Unavailable("crash")
        real_delete(self, *args)

    monkeypatch.setattr(DynamoStore, "clear_account_partition", clear)
    monkeypatch.setattr(DynamoStore, "delete_account", delete_account)
    return failing


@pytest.mark.parametrize("where", ["clear", "delete_account"])
def test_a_crash_after_the_first_step_leaves_nothing_usable_and_a_repeat_finishes(
    world: World, app: str, second_step_fails: list[str], where: str
) -> None:
    ticket = register(world, app)
    account_id = ticket["customerAccount"]["id"]
    second_step_fails[:] = [where]

    crashed = delete(world, app, account_id)

    assert_error(crashed, 503, "SERVICE_UNAVAILABLE")
    assert_unusable(world, app, ticket)
    # neither an unlock nor a password change brings the login back
    locked = f"{ACCOUNTS}/{account_id}/Set-Login-Locked"
    assert world.api.call("POST", locked, token=app, raw_body=b"false").status == 204
    change = {"oldPassword": PASSWORD, "newPassword": "a brand new passphrase"}
    world.api.call(
        "POST", f"{ACCOUNTS}/{account_id}/Change-Password", change, token=app, query={"unlockAccount": "true"}
    )
    assert_error(sign_in(world, app), 401, "INVALID_CREDENTIALS")
    assert (
        world.api.call(
            "POST", TICKETS, {"username": EMAIL, "password": "a brand new passphrase"}, token=app
        ).status
        == 401
    )

    second_step_fails.clear()
    assert delete(world, app, account_id).status == 204
    assert of_account(world, account_id) == []
    assert naming(world, EMAIL, USERNAME) == []
    assert_error(delete(world, app, account_id), 404, "ITEM_NOT_FOUND")


# -- races ------------------------------------------------------------------------------------------
def caller(world: World) -> Caller:
    full = world.clients["full"]
    return Caller(
        full.client_id, TENANT_ID, None, frozenset({"customer:account:delete", "customer-auth:login:create"})
    )


def test_of_concurrent_deletes_exactly_one_succeeds_and_the_rest_are_404(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    account_id = register(world, app)["customerAccount"]["id"]
    service = AccountAdminService(runtime.store(), runtime.now_clock())
    who = caller(world)

    def attempt() -> str:
        try:
            service.delete(who, account_id)
        except Exception as error:
            return type(error).__name__
        return "deleted"

    outcomes = race([attempt] * 4)

    assert outcomes.count("deleted") == 1, outcomes
    assert set(outcomes) - {"deleted"} <= {"NotFound", "Unavailable"}
    assert of_account(world, account_id) == []
    assert naming(world, EMAIL, USERNAME) == []


def test_create_login_racing_a_delete_leaves_no_login_and_the_email_free(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    account_id = world.add_account(app, emailAddress=EMAIL)["id"]
    service = AccountAdminService(runtime.store(), runtime.now_clock())
    who = caller(world)

    info = CustomerLoginInfo.model_validate({"emailAddress": EMAIL, "password": PASSWORD})
    logins = runtime.login_service()

    def create() -> str:
        try:
            logins.create_login(who, None, account_id, info)
        except Exception as error:
            return type(error).__name__
        return "created"

    def remove() -> str:
        try:
            service.delete(who, account_id)
        except Exception as error:
            return type(error).__name__
        return "deleted"

    created, deleted = race([create, remove])

    assert deleted == "deleted"
    assert created in {"created", "NotFound", "Conflict"}
    assert of_account(world, account_id) == []
    assert naming(world, EMAIL) == []
    assert register(world, app)["customerAccount"]["emailAddress"] == EMAIL
