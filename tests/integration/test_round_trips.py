"""DynamoDB round trips per request, counted at the botocore level (a transaction is one)."""

from collections import Counter
from typing import Any

import pytest

from tests.support.fixtures import World


def test_create_login_reads_once_and_writes_once_in_a_single_transaction(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    account_id = world.add_account(token)["id"]
    dynamodb_calls.clear()

    result = world.create_login(
        account_id, {"emailAddress": "count@example.com", "password": "a long passphrase"}, token=token
    )

    assert result.status == 200
    assert dynamodb_calls == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


def test_get_account_is_one_read_and_add_account_one_conditional_put(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    dynamodb_calls.clear()
    account_id = world.add_account(token)["id"]
    assert dynamodb_calls == Counter({"PutItem": 1})

    dynamodb_calls.clear()
    assert world.api.call("GET", f"/api/commerce/customer/accounts/{account_id}", token=token).status == 200
    assert dynamodb_calls == Counter({"GetItem": 1})


def test_app_token_reads_the_client_and_its_tenant_and_writes_once(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    """The tenant is read for its sites, which the token carries (every route checks x-vol-site)."""
    world.app_token()
    assert dynamodb_calls == Counter({"GetItem": 2, "PutItem": 1})


def test_an_app_ticket_costs_what_an_app_token_does_its_refresh_a_read_more_and_its_delete_one_write(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    """The refresh reads its token before it knows the client (the token alone is the credential)."""
    client = world.clients["full"]
    tickets = "/api/platform/applications/authtickets"
    credentials = {"applicationId": client.client_id, "sharedSecret": client.secret}
    issued = world.api.call("POST", tickets, credentials)
    assert issued.status == 200
    assert dynamodb_calls == Counter({"GetItem": 2, "PutItem": 1})

    dynamodb_calls.clear()
    renewed = world.api.call(
        "PUT", f"{tickets}/refresh-ticket", {"refreshToken": issued.json["refreshToken"]}
    )
    assert renewed.status == 200
    assert dynamodb_calls == Counter({"GetItem": 3, "TransactWriteItems": 1})

    dynamodb_calls.clear()
    assert world.api.call("DELETE", f"{tickets}/{renewed.json['refreshToken']}").status == 200
    assert dynamodb_calls == Counter({"DeleteItem": 1})


# -- sign-in and the session routes -----------------------------------------------------------------
PASSWORD = "correct horse battery staple"
EMAIL = "rounds@example.com"
SIGN_IN = "/api/commerce/customer/authtickets"
ACCOUNTS = "/api/commerce/customer/accounts"


def registered(world: World, token: str) -> int:
    account_id: int = world.add_account(token, emailAddress=EMAIL)["id"]
    created = world.create_login(account_id, {"emailAddress": EMAIL, "password": PASSWORD}, token=token)
    assert created.status == 200, created.text
    return account_id


def signed_in(world: World, token: str) -> dict[str, Any]:
    result = world.api.call("POST", SIGN_IN, {"username": EMAIL, "password": PASSWORD}, token=token)
    assert result.status == 200, result.text
    ticket: dict[str, Any] = result.json
    return ticket


def test_sign_in_reads_twice_and_writes_once(world: World, dynamodb_calls: Counter[str]) -> None:
    token = world.app_token()
    registered(world, token)
    dynamodb_calls.clear()

    signed_in(world, token)

    assert dynamodb_calls == Counter({"BatchGetItem": 2, "TransactWriteItems": 1})


def test_sign_in_of_an_unknown_user_costs_the_calls_of_a_wrong_password_and_writes_nothing(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    registered(world, token)
    before = world.scan()
    dynamodb_calls.clear()

    result = world.api.call(
        "POST", SIGN_IN, {"username": "nobody@example.com", "password": PASSWORD}, token=token
    )
    unknown = +dynamodb_calls
    dynamodb_calls.clear()
    wrong = world.api.call("POST", SIGN_IN, {"username": EMAIL, "password": "not the password"}, token=token)

    assert (result.status, wrong.status) == (401, 401)
    # The same number of round trips: two reads, then a write (one that cannot succeed for the
    # unknown user, so nothing is written; the failure count for the wrong password).
    assert unknown == Counter({"BatchGetItem": 2, "UpdateItem": 1})
    assert dynamodb_calls == Counter({"BatchGetItem": 2, "PutItem": 1})
    assert len(world.scan()) == len(before)


def test_refresh_is_one_read_and_one_transaction(world: World, dynamodb_calls: Counter[str]) -> None:
    token = world.app_token()
    registered(world, token)
    ticket = signed_in(world, token)
    dynamodb_calls.clear()

    result = world.api.call(
        "PUT", f"{SIGN_IN}/refresh", {"refreshToken": ticket["refreshToken"]}, token=token
    )

    assert result.status == 200, result.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


def test_update_account_is_one_read_and_one_transaction_and_delete_five_round_trips(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    account_id = registered(world, token)
    path = f"/api/commerce/customer/accounts/{account_id}"
    dynamodb_calls.clear()

    updated = world.api.call(
        "PUT", path, {"emailAddress": "moved@example.com", "firstName": "M"}, token=token
    )

    assert updated.status == 200, updated.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})
    dynamodb_calls.clear()
    assert world.api.call("DELETE", path, token=token).status == 204
    assert dynamodb_calls == Counter(
        {"BatchGetItem": 1, "PutItem": 1, "Query": 1, "BatchWriteItem": 1, "TransactWriteItems": 1}
    )


def test_an_anonymous_ticket_is_one_read_and_one_transaction_and_so_is_its_refresh(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    dynamodb_calls.clear()

    issued = world.api.call("GET", f"{SIGN_IN}/anonymousshopper", token=token)

    assert issued.status == 200, issued.text
    assert dynamodb_calls == Counter({"GetItem": 1, "TransactWriteItems": 1})
    dynamodb_calls.clear()
    refreshed = world.api.call(
        "PUT", f"{SIGN_IN}/refresh", {"refreshToken": issued.json["refreshToken"]}, token=token
    )
    assert refreshed.status == 200, refreshed.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


@pytest.mark.parametrize(("scope", "write"), [("local", "DeleteItem"), ("global", "PutItem")])
def test_log_out_is_one_read_and_one_write(
    world: World, dynamodb_calls: Counter[str], scope: str, write: str
) -> None:
    token = world.app_token()
    registered(world, token)
    ticket = signed_in(world, token)
    dynamodb_calls.clear()

    result = world.api.call(
        "DELETE", SIGN_IN, token=token, query={"refreshToken": ticket["refreshToken"], "scope": scope}
    )

    assert result.status == 204, result.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1, write: 1})


def test_current_account_is_one_read_by_either_token(world: World, dynamodb_calls: Counter[str]) -> None:
    token = world.app_token()
    registered(world, token)
    ticket = signed_in(world, token)
    current = f"{ACCOUNTS}/current"
    dynamodb_calls.clear()

    by_claims = world.api.call(
        "GET", current, token=token, headers={"x-vol-user-claims": ticket["accessToken"]}
    )

    assert by_claims.status == 200, by_claims.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1})
    dynamodb_calls.clear()
    by_jwt = world.api.call("GET", current, token=ticket["jwtAccessToken"])
    assert by_jwt.status == 200, by_jwt.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1})


def test_add_account_and_login_reads_the_tenant_and_writes_once(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    dynamodb_calls.clear()

    result = world.api.call(
        "POST",
        f"{ACCOUNTS}/Add-Account-And-Login",
        {"account": {"emailAddress": EMAIL, "userName": EMAIL}, "password": PASSWORD},
        token=token,
    )

    assert result.status == 200, result.text
    assert dynamodb_calls == Counter({"GetItem": 1, "TransactWriteItems": 1})


def test_change_password_is_one_read_and_one_put(world: World, dynamodb_calls: Counter[str]) -> None:
    token = world.app_token()
    account_id = registered(world, token)
    dynamodb_calls.clear()

    result = world.api.call(
        "POST",
        f"{ACCOUNTS}/{account_id}/Change-Password",
        {"oldPassword": PASSWORD, "newPassword": "another long passphrase"},
        token=token,
    )

    assert result.status == 204, result.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1, "PutItem": 1})


def test_change_password_during_a_lock_is_one_read_and_writes_nothing(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    account_id = registered(world, token)
    locked = world.api.call(
        "POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", token=token, raw_body=b"true"
    )
    assert locked.status == 204, locked.text
    dynamodb_calls.clear()

    result = world.api.call(
        "POST",
        f"{ACCOUNTS}/{account_id}/Change-Password",
        {"oldPassword": PASSWORD, "newPassword": "another long passphrase"},
        token=token,
        query={"unlockAccount": "true"},
    )

    assert result.status == 403, result.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1})


@pytest.mark.parametrize("locked", [b"true", b"false"], ids=["lock", "unlock"])
def test_set_login_locked_is_one_read_and_one_transaction(
    world: World, dynamodb_calls: Counter[str], locked: bytes
) -> None:
    token = world.app_token()
    account_id = registered(world, token)
    path = f"{ACCOUNTS}/{account_id}/Set-Login-Locked"
    if locked == b"false":
        assert world.api.call("POST", path, token=token, raw_body=b"true").status == 204
    dynamodb_calls.clear()

    result = world.api.call("POST", path, token=token, raw_body=locked)

    assert result.status == 204, result.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


def test_login_state_is_one_read(world: World, dynamodb_calls: Counter[str]) -> None:
    token = world.app_token()
    account_id = registered(world, token)
    dynamodb_calls.clear()

    result = world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=token)

    assert result.status == 200, result.text
    assert dynamodb_calls == Counter({"BatchGetItem": 1})


def test_tenant_data_is_one_read(world: World, dynamodb_calls: Counter[str]) -> None:
    token = world.app_token()
    dynamodb_calls.clear()

    result = world.api.call("GET", "/api/platform/tenants/100", token=token)

    assert result.status == 200, result.text
    assert dynamodb_calls == Counter({"GetItem": 1})


# -- recovery and administration --------------------------------------------------------------------
def _reset(world: World, token: str, email: str) -> None:
    result = world.api.call("POST", f"{ACCOUNTS}/Reset-Password", {"emailAddress": email}, token=token)
    assert (result.status, result.text) == (200, "")


def test_reset_password_costs_the_same_calls_for_a_known_an_unknown_and_a_limited_login(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    registered(world, token)
    counted = []
    for email in (EMAIL, "nobody@example.com", EMAIL):  # sent, unknown, over the limit
        dynamodb_calls.clear()
        _reset(world, token, email)
        counted.append(sum(dynamodb_calls.values()))
        assert dynamodb_calls["BatchGetItem"] == 2
    assert counted == [3, 3, 3]


def test_update_forgotten_password_is_two_reads_and_one_transaction(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    registered(world, token)
    world.mailer.events()
    _reset(world, token, EMAIL)
    (code,) = world.mailer.reset_codes()
    dynamodb_calls.clear()

    body = {"userName": EMAIL, "confirmationCode": code, "newPassword": "a recovered passphrase"}
    assert world.api.call("POST", f"{ACCOUNTS}/Update-Forgotten-Password", body, token=token).status == 200

    assert dynamodb_calls == Counter({"BatchGetItem": 2, "TransactWriteItems": 1})


def test_set_password_change_required_is_one_read_and_one_put(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    account_id = registered(world, token)
    dynamodb_calls.clear()
    path = f"{ACCOUNTS}/{account_id}/Set-Password-Change-Required"
    assert world.api.call("POST", path, True, token=token).status == 204
    assert dynamodb_calls == Counter({"BatchGetItem": 1, "PutItem": 1})


def test_change_passwords_is_one_read_and_one_put_per_item(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    account_id = registered(world, token)
    items = [
        {"accountId": account_id, "passwordInfo": {"newPassword": f"migrated passphrase {n}"}}
        for n in range(3)
    ]
    dynamodb_calls.clear()
    result = world.api.call("POST", f"{ACCOUNTS}/Change-Passwords", {"items": items}, token=token)
    assert result.status == 200, result.text
    assert dynamodb_calls == Counter({"BatchGetItem": 3, "PutItem": 3})


def test_login_state_by_name_is_two_reads(world: World, dynamodb_calls: Counter[str]) -> None:
    token = world.app_token()
    registered(world, token)
    for path, name in (("loginstatebyusername", "userName"), ("loginstatebyemailaddress", "emailAddress")):
        dynamodb_calls.clear()
        result = world.api.call("POST", f"{ACCOUNTS}/{path}", token=token, query={name: EMAIL})
        assert result.status == 200, result.text
        assert dynamodb_calls == Counter({"BatchGetItem": 2})
