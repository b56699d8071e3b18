"""Password administration by the storefront's app (CONTRACT.md §9): requiring a password change,
and a login's state found by its user name or email."""

from typing import Any

import pytest

from tests.integration.test_password_recovery import (
    ACCOUNTS,
    EMAIL,
    NEW_PASSWORD,
    PASSWORD,
    USERNAME,
    login_state,
    registered,
    sent_code,
    sign_in,
    update,
)
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import FrozenClock, HttpResult, World
from tools.local_api.router import LambdaContext

SIGN_IN_PATH = "/api/commerce/customer/authtickets"


@pytest.fixture
def app(world: World) -> str:
    return world.app_token("full")


def require_change(world: World, app: str, account_id: int, required: Any) -> HttpResult:
    path = f"{ACCOUNTS}/{account_id}/Set-Password-Change-Required"
    return world.api.call("POST", path, token=app, raw_body=str(required).lower().encode())


def state_by(world: World, app: str, kind: str, value: str) -> HttpResult:
    path, name = {
        "userName": (f"{ACCOUNTS}/loginstatebyusername", "userName"),
        "emailAddress": (f"{ACCOUNTS}/loginstatebyemailaddress", "emailAddress"),
    }[kind]
    return world.api.call("POST", path, token=app, query={name: value})


# -- Set-Password-Change-Required -------------------------------------------------------------------
def test_while_required_the_right_password_gets_403_and_no_session(world: World, app: str) -> None:
    account_id, _ = registered(world, app)

    assert require_change(world, app, account_id, True).status == 204

    assert login_state(world, app, account_id)["isPasswordChangeRequired"] is True
    before = world.scan()
    refused = assert_error(sign_in(world, app, PASSWORD), 403, "PASSWORD_CHANGE_REQUIRED")
    assert PASSWORD not in str(refused)
    assert world.scan() == before, "a refused sign-in issued or counted something"
    assert_error(sign_in(world, app, "not the password at all"), 401, "INVALID_CREDENTIALS")
    assert login_state(world, app, account_id)["failedLoginAttemptCount"] == 1


@pytest.mark.parametrize("way", ["Change-Password", "Update-Forgotten-Password", "set false"])
def test_a_password_change_or_false_lifts_the_requirement(world: World, app: str, way: str) -> None:
    account_id, _ = registered(world, app)
    assert require_change(world, app, account_id, True).status == 204

    if way == "Change-Password":
        body = {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}
        changed = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Change-Password", body, token=app)
        assert changed.status == 204
        password = NEW_PASSWORD
    elif way == "Update-Forgotten-Password":
        assert update(world, app, sent_code(world, app)).status == 200
        password = NEW_PASSWORD
    else:
        assert require_change(world, app, account_id, False).status == 204
        password = PASSWORD

    assert login_state(world, app, account_id)["isPasswordChangeRequired"] is False
    assert sign_in(world, app, password).status == 200


def test_requiring_a_change_needs_a_boolean_an_account_with_a_login_and_the_update_behavior(
    world: World, app: str
) -> None:
    account_id, _ = registered(world, app)
    guest = world.add_account(app, emailAddress="guest@example.com")["id"]
    reader, other = world.app_token("reader"), world.app_token("other")
    before = world.scan()

    assert_error(require_change(world, app, account_id, '"yes"'), 400, "MISSING_OR_INVALID_PARAMETER")
    assert_error(require_change(world, app, 2_000_000_000, True), 404, "ITEM_NOT_FOUND")
    assert_error(require_change(world, app, guest, True), 404, "ITEM_NOT_FOUND")
    assert_error(require_change(world, reader, account_id, True), 403, "FORBIDDEN")
    assert_error(require_change(world, other, account_id, True), 403, "FORBIDDEN")
    assert world.scan() == before


# -- login state by name ----------------------------------------------------------------------------
def test_login_state_by_user_name_or_email(world: World, app: str, clock: FrozenClock) -> None:
    account_id, _ = registered(world, app)
    sign_in(world, app, "not the password at all")
    expected = login_state(world, app, account_id)
    reader = world.app_token("reader")

    assert ok(state_by(world, reader, "userName", USERNAME.upper())) == expected
    assert ok(state_by(world, reader, "emailAddress", f" {EMAIL.upper()} ")) == expected
    assert expected["failedLoginAttemptCount"] == 1
    assert ok(
        world.api.call(
            "POST",
            f"{ACCOUNTS}/loginstatebyusername",
            token=app,
            query={"userName": USERNAME, "responseFields": "isLocked"},
        )
    ) == {"isLocked": False}


def test_login_state_by_name_is_404_for_no_login_or_the_other_kind_of_name(world: World, app: str) -> None:
    registered(world, app)
    world.add_account(app, emailAddress="guest@example.com")

    assert_error(state_by(world, app, "userName", "nobody"), 404, "ITEM_NOT_FOUND", "userName")
    assert_error(state_by(world, app, "emailAddress", "guest@example.com"), 404, "ITEM_NOT_FOUND")
    assert_error(state_by(world, app, "emailAddress", USERNAME), 404, "ITEM_NOT_FOUND", "emailAddress")
    assert_error(state_by(world, app, "userName", EMAIL), 404, "ITEM_NOT_FOUND")
    assert_error(state_by(world, world.app_token("other"), "userName", USERNAME), 403, "FORBIDDEN")


def test_login_state_by_name_needs_its_parameter(world: World, app: str) -> None:
    for path in ("loginstatebyusername", "loginstatebyemailaddress"):
        result = world.api.call("POST", f"{ACCOUNTS}/{path}", token=app)
        assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
        too_long = world.api.call(
            "POST", f"{ACCOUNTS}/{path}", token=app, query={"userName": "x" * 300, "emailAddress": "x" * 300}
        )
        assert_error(too_long, 400, "MISSING_OR_INVALID_PARAMETER")


# -- Change-Passwords -------------------------------------------------------------------------------
def change_passwords(world: World, app: str, *items: dict[str, Any]) -> HttpResult:
    body = {"totalCount": len(items), "items": list(items)}
    return world.api.call("POST", f"{ACCOUNTS}/Change-Passwords", body, token=app)


def test_each_item_is_changed_on_its_own_and_answered_in_order(world: World, app: str) -> None:
    first, first_ticket = registered(world, app)
    second, _ = registered(world, app, "second@example.com", "second")
    third, _ = registered(world, app, "third@example.com", "third")
    imported = "$2b$04$" + "a" * 53
    guest = world.add_account(app, emailAddress="guest@example.com")["id"]

    answer = ok(
        change_passwords(
            world,
            app,
            {"accountId": first, "passwordInfo": {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}},
            {
                "accountId": second,
                "passwordInfo": {"oldPassword": "not it at all", "newPassword": NEW_PASSWORD},
            },
            {"accountId": third, "passwordInfo": {"externalPassword": imported}},
            {"accountId": guest, "passwordInfo": {"newPassword": NEW_PASSWORD}},
            {"accountId": second, "passwordInfo": {"newPassword": "password"}},
            {"accountId": second, "passwordInfo": {"newPassword": "second passphrase 22"}},
        )
    )

    assert answer["totalCount"] == 6
    assert [(i["accountId"], i["succeeded"]) for i in answer["items"]] == [
        (first, True),
        (second, False),
        (third, True),
        (guest, False),
        (second, False),
        (second, True),
    ]
    assert [i["errorMessage"] is None for i in answer["items"]] == [True, False, True, False, False, True]
    assert "old password" in answer["items"][1]["errorMessage"]
    assert sign_in(world, app, NEW_PASSWORD).status == 200
    assert sign_in(world, app, "second passphrase 22", user="second").status == 200
    assert ok(world.api.call("GET", f"{ACCOUNTS}/{third}", token=app))["hasExternalPassword"] is True
    stale = world.api.call(
        "PUT", f"{SIGN_IN_PATH}/refresh", {"refreshToken": first_ticket["refreshToken"]}, token=app
    )
    assert_error(stale, 401, "INVALID_TOKEN")
    assert login_state(world, app, second)["failedLoginAttemptCount"] == 0


def test_a_locked_login_is_changed_only_with_unlock_account_and_no_old_password(
    world: World, app: str
) -> None:
    """As Change-Password: during a lock the old password is not looked at, right or wrong, so a
    lock is no oracle for it; an administrator unlocks by setting a password without one."""
    account_id, _ = registered(world, app)
    assert world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", True, token=app).status == 204
    answers = []
    for old_password in ("wrong guess here", PASSWORD):
        for unlock in (False, True):
            item = {
                "accountId": account_id,
                "unlockAccount": unlock,
                "passwordInfo": {"oldPassword": old_password, "newPassword": NEW_PASSWORD},
            }
            answers.append(ok(change_passwords(world, app, item))["items"][0])
    assert len({(a["succeeded"], a["errorMessage"]) for a in answers}) == 1
    assert answers[0]["succeeded"] is False
    assert "locked" in answers[0]["errorMessage"]
    assert login_state(world, app, account_id)["failedLoginAttemptCount"] == 0
    assert login_state(world, app, account_id)["isLocked"] is True

    forced = {"accountId": account_id, "unlockAccount": True, "passwordInfo": {"newPassword": NEW_PASSWORD}}
    assert ok(change_passwords(world, app, forced))["items"][0]["succeeded"] is True
    assert login_state(world, app, account_id)["isLocked"] is False
    assert sign_in(world, app, NEW_PASSWORD).status == 200


def test_items_not_begun_in_the_calls_time_are_answered_as_not_attempted(
    world: World, app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call never outlasts Lambda's timeout: items left when its time runs short are not begun,
    and their results say to retry them."""
    first, _ = registered(world, app)
    second, _ = registered(world, app, "second@example.com", "second")
    remaining = iter([20_000, 2_000])
    monkeypatch.setattr(LambdaContext, "get_remaining_time_in_millis", lambda self: next(remaining, 1_000))

    answer = ok(
        change_passwords(
            world,
            app,
            {"accountId": first, "passwordInfo": {"newPassword": NEW_PASSWORD}},
            {"accountId": second, "passwordInfo": {"newPassword": NEW_PASSWORD}},
        )
    )

    assert [(i["accountId"], i["succeeded"]) for i in answer["items"]] == [(first, True), (second, False)]
    assert "retry this item" in answer["items"][1]["errorMessage"]
    assert sign_in(world, app, NEW_PASSWORD).status == 200
    assert sign_in(world, app, PASSWORD, user="second").status == 200


def test_a_required_change_is_lifted_by_change_passwords(world: World, app: str) -> None:
    account_id, _ = registered(world, app)
    assert require_change(world, app, account_id, True).status == 204
    item = {"accountId": account_id, "passwordInfo": {"newPassword": NEW_PASSWORD}}
    assert ok(change_passwords(world, app, item))["items"][0]["succeeded"] is True
    assert login_state(world, app, account_id)["isPasswordChangeRequired"] is False


@pytest.mark.parametrize(
    "item",
    [
        {"passwordInfo": {"newPassword": NEW_PASSWORD}},
        {"accountId": "1", "passwordInfo": {"newPassword": NEW_PASSWORD}},
        {"accountId": 1, "passwordInfo": {"newPassword": 42}},
    ],
)
def test_a_malformed_item_refuses_the_whole_call(world: World, app: str, item: dict[str, Any]) -> None:
    registered(world, app)
    before = world.scan()
    assert_error(change_passwords(world, app, item), 400, "MISSING_OR_INVALID_PARAMETER")
    assert world.scan() == before


def test_at_most_100_items_and_the_update_behavior(world: World, app: str) -> None:
    account_id, _ = registered(world, app)
    item = {"accountId": account_id, "passwordInfo": {"newPassword": NEW_PASSWORD}}
    assert_error(change_passwords(world, app, *[item] * 101), 400, "MISSING_OR_INVALID_PARAMETER", "items")
    assert_error(change_passwords(world, world.app_token("reader"), item), 403, "FORBIDDEN")
    assert ok(change_passwords(world, app)) == {"totalCount": 0, "items": []}
    bad = {
        "accountId": account_id,
        "passwordInfo": {"newPassword": NEW_PASSWORD, "externalPassword": "$2b$04$x"},
    }
    assert ok(change_passwords(world, app, bad))["items"][0]["succeeded"] is False
