"""Change-Password (CONTRACT.md §3, §5, §7): the old password proven, the new one checked, sessions ended."""

from datetime import timedelta
from typing import Any

import bcrypt
import pytest

from tests.support.assertions import assert_error, kibo_time, ok
from tests.support.fixtures import FrozenClock, HttpResult, World

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 2"
WRONG_PASSWORD = "incorrect horse battery staple"
EMAIL = "changer@example.com"
ACCOUNTS = "/api/commerce/customer/accounts"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = "/api/commerce/customer/authtickets/refresh"
CURRENT = "/api/commerce/customer/accounts/current"
FAILURE_FIELDS = {"failedAttempts", "firstFailedAt", "version", "updatedAt"}


# -- helpers ----------------------------------------------------------------------------------------
def registered(world: World, app: str, **login: Any) -> tuple[int, dict[str, Any]]:
    """A new account with a login (the password unless the body imports a hash): its id and ticket."""
    account_id: int = world.add_account(app, emailAddress=EMAIL)["id"]
    body = {"emailAddress": EMAIL, **login}
    if "externalPassword" not in login:
        body.setdefault("password", PASSWORD)
    return account_id, ok(world.create_login(account_id, body, token=app))


def change_password(
    world: World, app: str, account_id: int, body: Any, unlock: bool | None = None
) -> HttpResult:
    query = {"unlockAccount": str(unlock).lower()} if unlock is not None else None
    return world.api.call("POST", f"{ACCOUNTS}/{account_id}/Change-Password", body, token=app, query=query)


def passwords(old: str = PASSWORD, new: str = NEW_PASSWORD) -> dict[str, str]:
    return {"oldPassword": old, "newPassword": new}


def sign_in(world: World, app: str, password: str) -> HttpResult:
    return world.api.call("POST", SIGN_IN, {"username": EMAIL, "password": password}, token=app)


def login_state(world: World, app: str, account_id: int) -> dict[str, Any]:
    return ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))


def set_locked(world: World, app: str, account_id: int, locked: bool) -> None:
    result = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", locked, token=app)
    assert result.status == 204, result.text


def login_item(world: World) -> dict[str, Any]:
    (login,) = [item for item in world.scan() if item["sk"]["S"] == "LOGIN"]
    return login


def without_login(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if item["sk"]["S"] != "LOGIN"]


def bcrypt_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.fixture
def app(world: World) -> str:
    return world.app_token("full")


# -- a successful change ----------------------------------------------------------------------------
def test_the_new_password_signs_in_and_the_old_one_no_longer_does(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id, _ = registered(world, app)
    clock.advance(minutes=5)

    result = change_password(world, app, account_id, passwords())

    assert result.status == 204, result.text
    assert result.text == ""
    assert_error(sign_in(world, app, PASSWORD), 401, "INVALID_CREDENTIALS")
    assert ok(sign_in(world, app, NEW_PASSWORD))["customerAccount"]["id"] == account_id


def test_the_login_state_records_when_the_password_changed(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id, _ = registered(world, app)
    assert login_state(world, app, account_id)["lastPasswordChangeOn"] is None
    clock.advance(minutes=5)

    assert change_password(world, app, account_id, passwords()).status == 204

    state = login_state(world, app, account_id)
    assert state["lastPasswordChangeOn"] == kibo_time(clock.now)
    assert state["updatedOn"] == kibo_time(clock.now)
    assert state["createdOn"] == kibo_time(clock.now - timedelta(minutes=5))
    assert state["isLocked"] is False
    assert state["failedLoginAttemptCount"] == 0


def test_a_password_change_ends_every_session_of_the_login(world: World, app: str) -> None:
    account_id, created = registered(world, app)
    signed_in = ok(sign_in(world, app, PASSWORD))

    assert change_password(world, app, account_id, passwords()).status == 204

    for ticket in (created, signed_in):
        current = world.api.call(
            "GET", CURRENT, token=app, headers={"x-vol-user-claims": ticket["accessToken"]}
        )
        assert_error(current, 401, "UNAUTHORIZED")
        assert_error(world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"]), 401, "UNAUTHORIZED")
        refreshed = world.api.call("PUT", REFRESH, {"refreshToken": ticket["refreshToken"]}, token=app)
        assert_error(refreshed, 401, "INVALID_TOKEN")


def test_the_change_clears_earlier_failed_sign_ins(world: World, app: str) -> None:
    account_id, _ = registered(world, app)
    for _ in range(2):
        assert_error(sign_in(world, app, WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")
    assert login_state(world, app, account_id)["failedLoginAttemptCount"] == 2

    assert change_password(world, app, account_id, passwords()).status == 204

    state = login_state(world, app, account_id)
    assert state["failedLoginAttemptCount"] == 0
    assert state["firstFailedLoginAttemptOn"] is None


# -- a wrong old password ---------------------------------------------------------------------------
def test_a_wrong_old_password_is_refused_and_counts_as_a_failed_attempt_only(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id, created = registered(world, app)
    before = world.scan()
    login_before = login_item(world)
    clock.advance(minutes=1)

    result = change_password(world, app, account_id, passwords(old=WRONG_PASSWORD))

    assert_error(result, 401, "INVALID_CREDENTIALS", "oldPassword")
    state = login_state(world, app, account_id)
    assert state["failedLoginAttemptCount"] == 1
    assert state["remainingLoginAttempts"] == 4
    assert state["firstFailedLoginAttemptOn"] == kibo_time(clock.now)
    assert state["lastPasswordChangeOn"] is None
    assert without_login(world.scan()) == without_login(before)
    login_after = login_item(world)
    changed = {
        name
        for name in login_before.keys() | login_after.keys()
        if login_before.get(name) != login_after.get(name)
    }
    assert changed == FAILURE_FIELDS
    current = world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": created["accessToken"]})
    assert ok(current)["id"] == account_id
    assert ok(sign_in(world, app, PASSWORD))["customerAccount"]["id"] == account_id


def test_wrong_old_passwords_lock_the_login_like_failed_sign_ins(world: World, app: str) -> None:
    account_id, _ = registered(world, app)

    for _ in range(5):
        result = change_password(world, app, account_id, passwords(old=WRONG_PASSWORD))
        assert_error(result, 401, "INVALID_CREDENTIALS")

    state = login_state(world, app, account_id)
    assert state["isLocked"] is True
    assert state["remainingLoginAttempts"] == 0
    assert_error(sign_in(world, app, PASSWORD), 401, "INVALID_CREDENTIALS")


# -- refused requests write nothing -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"newPassword": NEW_PASSWORD}, "oldPassword"),
        ({"oldPassword": PASSWORD}, "newPassword"),
        ({}, "oldPassword"),
        ({**passwords(), "externalPassword": bcrypt_hash(NEW_PASSWORD)}, "externalPassword"),
    ],
    ids=["no-oldPassword", "no-newPassword", "empty-body", "externalPassword"],
)
def test_an_incomplete_or_importing_change_is_refused_and_writes_nothing(
    world: World, app: str, body: dict[str, Any], field: str
) -> None:
    account_id, _ = registered(world, app)
    before = world.scan()

    result = change_password(world, app, account_id, body)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert world.scan() == before
    assert ok(sign_in(world, app, PASSWORD))["customerAccount"]["id"] == account_id


@pytest.mark.parametrize(
    ("new_password", "reason"),
    [("short1!", "at least 8"), ("password123", "too common"), (EMAIL.upper(), "email")],
    ids=["short", "common", "equal-to-the-email"],
)
def test_a_new_password_the_policy_refuses_is_refused_and_writes_nothing(
    world: World, app: str, new_password: str, reason: str
) -> None:
    account_id, _ = registered(world, app)
    before = world.scan()

    result = change_password(world, app, account_id, passwords(new=new_password))

    body = assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert reason in body["message"]
    assert world.scan() == before
    assert_error(sign_in(world, app, new_password), 401, "INVALID_CREDENTIALS")
    assert ok(sign_in(world, app, PASSWORD))["customerAccount"]["id"] == account_id


def test_a_policy_refusal_names_the_new_password_the_caller_sent(world: World, app: str) -> None:
    account_id, _ = registered(world, app)

    result = change_password(world, app, account_id, passwords(new="short1!"))

    # Change-Password's body has no "password" field: the refused parameter is newPassword.
    body = assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert {"name": "field", "value": "newPassword"} in body["additionalErrorData"], body
    assert "newPassword" in body["message"], body


def test_an_unknown_account_is_not_found(world: World, app: str) -> None:
    before = world.scan()

    result = change_password(world, app, 2_000_000_000, passwords())

    assert_error(result, 404, "ITEM_NOT_FOUND", "accountId")
    assert world.scan() == before


def test_an_account_without_a_login_is_not_found(world: World, app: str) -> None:
    account_id = world.add_account(app, emailAddress=EMAIL)["id"]
    before = world.scan()

    result = change_password(world, app, account_id, passwords())

    assert_error(result, 404, "ITEM_NOT_FOUND", "accountId")
    assert world.scan() == before


def test_a_caller_without_the_account_update_behavior_is_forbidden(world: World, app: str) -> None:
    account_id, _ = registered(world, app)
    reader = world.app_token("reader")
    before = world.scan()

    result = change_password(world, reader, account_id, passwords())

    assert_error(result, 403, "FORBIDDEN")
    assert world.scan() == before


# -- a locked login ---------------------------------------------------------------------------------
@pytest.mark.parametrize("unlock", [None, False, True], ids=["no-unlockAccount", "false", "true"])
@pytest.mark.parametrize("old", [PASSWORD, WRONG_PASSWORD], ids=["right-old", "wrong-old"])
def test_a_locked_login_is_forbidden_whatever_the_old_password_and_unlock_account(
    world: World, app: str, unlock: bool | None, old: str
) -> None:
    account_id, _ = registered(world, app)
    set_locked(world, app, account_id, True)
    before = world.scan()

    result = change_password(world, app, account_id, passwords(old=old), unlock=unlock)

    assert_error(result, 403, "FORBIDDEN")
    assert world.scan() == before
    assert login_state(world, app, account_id)["isLocked"] is True


def test_unlock_account_on_an_unlocked_login_changes_the_password(world: World, app: str) -> None:
    account_id, _ = registered(world, app)

    result = change_password(world, app, account_id, passwords(), unlock=True)

    assert result.status == 204, result.text
    state = login_state(world, app, account_id)
    assert state["isLocked"] is False
    assert state["remainingLoginAttempts"] == 5
    assert ok(sign_in(world, app, NEW_PASSWORD))["customerAccount"]["id"] == account_id


# -- an imported password ---------------------------------------------------------------------------
def test_changing_an_imported_password_replaces_it_with_our_hash(world: World, app: str) -> None:
    imported = bcrypt_hash(PASSWORD)
    account_id, created = registered(world, app, externalPassword=imported, isImport=True)
    assert created["customerAccount"]["hasExternalPassword"] is True

    result = change_password(world, app, account_id, passwords())

    assert result.status == 204, result.text
    fetched = ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))
    assert fetched["hasExternalPassword"] is False
    login = login_item(world)
    assert login["passwordIsExternal"] == {"BOOL": False}
    assert login["passwordHash"]["S"].startswith("$argon2id$")
    assert ok(sign_in(world, app, NEW_PASSWORD))["customerAccount"]["hasExternalPassword"] is False
