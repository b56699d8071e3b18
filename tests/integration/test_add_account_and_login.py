"""Add-Account-And-Login (docs/contract.md §3, §4): a new account, its login and a session in one write."""

import re
from datetime import timedelta
from typing import Any

import bcrypt
import pytest

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import create_client, provision_tenant
from customer_auth.domain.credentials.passwords import common_passwords
from customer_auth.domain.tenants.policies import SignInPolicy
from customer_auth.domain.tenants.tenant import Site, Tenant
from tests.support.assertions import kibo_time, ok
from tests.support.fixtures import (
    ALL_BEHAVIORS,
    SITE_ID,
    TENANT_ID,
    Client,
    FrozenClock,
    HttpResult,
    World,
)

ADD_ACCOUNT_AND_LOGIN = "/api/commerce/customer/accounts/Add-Account-And-Login"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = "/api/commerce/customer/authtickets/refresh"
CURRENT = "/api/commerce/customer/accounts/current"
PASSWORD = "correct horse battery staple"
EMAIL = "new.shopper@example.com"
USER_ID = re.compile(r"[0-9a-f]{32}")
SHOPPER_KINDS = ("account", "login", "loginIdentifier", "session", "accessToken", "refreshToken")
STRICT_TENANT_ID, STRICT_SITE_ID = 500, 600


# -- helpers ----------------------------------------------------------------------------------------
def account_fields(email: str | None = EMAIL, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"firstName": "Nova", "lastName": "Shopper", **extra}
    if email is not None:
        fields["emailAddress"] = email
    return fields


def request_body(account: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"account": account if account is not None else account_fields(), "password": PASSWORD, **extra}


def add_account_and_login(world: World, body: Any, token: str, **kwargs: Any) -> HttpResult:
    return world.api.call("POST", ADD_ACCOUNT_AND_LOGIN, body, token=token, **kwargs)


def sign_in(world: World, token: str, username: str, password: str = PASSWORD, **kwargs: Any) -> HttpResult:
    return world.api.call(
        "POST", SIGN_IN, {"username": username, "password": password}, token=token, **kwargs
    )


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """An item's attributes as Python values (the S, N, BOOL and L kinds these tests read)."""

    def value(attribute: dict[str, Any]) -> Any:
        ((kind, raw),) = attribute.items()
        if kind == "N":
            return int(raw)
        if kind == "L":
            return [value(element) for element in raw]
        return raw

    return {name: value(attribute) for name, attribute in item.items()}


def items_of_kind(world: World, kind: str) -> list[dict[str, Any]]:
    return [plain(item) for item in world.scan() if item.get("kind", {}).get("S") == kind]


def shopper_kinds(world: World) -> dict[str, int]:
    """How many items of each shopper kind the table holds."""
    return {kind: len(items_of_kind(world, kind)) for kind in SHOPPER_KINDS}


def assert_error(result: HttpResult, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert result.status == status, result.text
    body: dict[str, Any] = result.json
    assert body["errorCode"] == code
    if field is not None:
        assert {"name": "field", "value": field} in body["additionalErrorData"], body
    return body


def bcrypt_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.fixture
def token(world: World) -> str:
    return world.app_token("full")


@pytest.fixture
def strict_tenant(world: World) -> dict[str, str]:
    """A tenant with Kibo's legacy letter-and-digit rule, a client for it, and its request headers."""
    store = runtime.store()
    provision_tenant(
        store,
        Tenant(
            id=STRICT_TENANT_ID,
            name="Legacy",
            sites=(Site(STRICT_SITE_ID, "Legacy shop"),),
            sign_in_policy=SignInPolicy(require_letter_and_digit=True),
        ),
    )
    client, secret = create_client(store, tenant_id=STRICT_TENANT_ID, name="legacy", behaviors=ALL_BEHAVIORS)
    world.clients["legacy"] = Client(client.client_id, secret)
    return {"x-vol-tenant": str(STRICT_TENANT_ID), "x-vol-site": str(STRICT_SITE_ID)}


# -- the ticket and what is stored ------------------------------------------------------------------
def test_add_account_and_login_returns_a_full_ticket_for_a_registered_account(
    world: World, token: str, clock: FrozenClock
) -> None:
    result = add_account_and_login(world, request_body(), token)

    ticket = ok(result)
    assert result.headers["cache-control"] == "no-store"
    assert ticket["requires2FA"] is False
    assert all(isinstance(ticket[name], str) for name in ("accessToken", "refreshToken", "jwtAccessToken"))
    assert ticket["accessTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=30))
    assert ticket["refreshTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=1440))
    account = ticket["customerAccount"]
    assert USER_ID.fullmatch(ticket["userId"])
    assert account["userId"] == ticket["userId"]
    assert account["isAnonymous"] is False
    assert account["userName"] == EMAIL
    assert account["emailAddress"] == EMAIL
    assert account["firstName"] == "Nova"
    assert account["hasExternalPassword"] is False
    assert isinstance(account["id"], int)
    assert 1 <= account["id"] <= 2**31 - 1
    client = world.clients["full"].client_id
    audit = account["auditInfo"]
    assert (audit["createBy"], audit["updateBy"]) == (client, client)
    assert audit["createDate"] == audit["updateDate"] == kibo_time(clock.now)
    fetched = world.api.call("GET", f"/api/commerce/customer/accounts/{account['id']}", token=token)
    assert fetched.status == 200
    assert fetched.json == account


def test_the_account_login_identifier_session_and_tokens_are_all_written(world: World, token: str) -> None:
    ticket = ok(add_account_and_login(world, request_body(), token))

    assert shopper_kinds(world) == {
        "account": 1,
        "login": 1,
        "loginIdentifier": 1,
        "session": 1,
        "accessToken": 1,
        "refreshToken": 1,
    }
    account_id = ticket["customerAccount"]["id"]
    (login,) = items_of_kind(world, "login")
    assert login["pk"] == f"ACCOUNT#{TENANT_ID}#{account_id}"
    assert login["userId"] == ticket["userId"]
    assert login["email"] == login["username"] == EMAIL
    assert login["passwordHash"].startswith("$argon2id$")
    (identifier,) = items_of_kind(world, "loginIdentifier")
    assert identifier["pk"] == f"LOGINID#{TENANT_ID}#{EMAIL}"
    assert identifier["accountId"] == account_id


def test_an_account_username_becomes_the_login_username_with_its_own_identifier(
    world: World, token: str
) -> None:
    ticket = ok(add_account_and_login(world, request_body(account_fields(userName="Nova-42")), token))

    account = ticket["customerAccount"]
    assert account["userName"] == "Nova-42"
    assert account["emailAddress"] == EMAIL
    assert shopper_kinds(world)["loginIdentifier"] == 2
    identifiers = {item["pk"]: item["field"] for item in items_of_kind(world, "loginIdentifier")}
    assert identifiers == {
        f"LOGINID#{TENANT_ID}#{EMAIL}": "emailAddress",
        f"LOGINID#{TENANT_ID}#nova-42": "username",
    }
    assert {k: v for k, v in shopper_kinds(world).items() if k != "loginIdentifier"} == dict.fromkeys(
        ("account", "login", "session", "accessToken", "refreshToken"), 1
    )


def test_the_new_login_signs_in_by_email_and_by_username(world: World, token: str) -> None:
    ticket = ok(add_account_and_login(world, request_body(account_fields(userName="nova")), token))
    account_id = ticket["customerAccount"]["id"]

    by_email = ok(sign_in(world, token, EMAIL))
    by_username = ok(sign_in(world, token, "NOVA"))

    assert by_email["customerAccount"]["id"] == by_username["customerAccount"]["id"] == account_id
    assert by_email["userId"] == ticket["userId"]


def test_the_tickets_tokens_name_the_shopper_and_refresh(world: World, token: str) -> None:
    ticket = ok(add_account_and_login(world, request_body(), token))
    account_id = ticket["customerAccount"]["id"]

    by_claims = world.api.call(
        "GET", CURRENT, token=token, headers={"x-vol-user-claims": ticket["accessToken"]}
    )
    by_jwt = world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"])
    refreshed = ok(world.api.call("PUT", REFRESH, {"refreshToken": ticket["refreshToken"]}, token=token))

    assert ok(by_claims)["id"] == account_id
    assert ok(by_jwt)["id"] == account_id
    assert refreshed["customerAccount"]["id"] == account_id
    assert refreshed["refreshToken"] != ticket["refreshToken"]
    assert refreshed["userId"] == ticket["userId"]


def test_requested_lifetimes_are_granted_to_a_client_allowed_to_configure_them(
    world: World, token: str, clock: FrozenClock
) -> None:
    ticket = ok(
        add_account_and_login(
            world, request_body(authTicketTtlMinutes=120, refreshTokenTtlMinutes=10080), token
        )
    )

    assert ticket["accessTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=120))
    assert ticket["refreshTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=10080))


# -- refusals write nothing -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "account"),
        ({"account": account_fields()}, "password"),
        (request_body(password="short1!"), "password"),
        (request_body(password="password123"), "password"),
        (request_body(password=EMAIL.upper()), "password"),
        (request_body(account_fields(userName="nova-username"), password="Nova-Username"), "password"),
        (request_body(account_fields("not-an-email")), "emailAddress"),
        (request_body(authTicketTtlMinutes=121), "authTicketTtlMinutes"),
        (request_body(refreshTokenTtlMinutes=10081), "refreshTokenTtlMinutes"),
    ],
    ids=[
        "no-account",
        "no-password",
        "short-password",
        "common-password",
        "password-is-the-email",
        "password-is-the-username",
        "bad-email",
        "access-ttl-above-tenant-max",
        "refresh-ttl-above-tenant-max",
    ],
)
def test_an_invalid_request_is_refused_and_writes_nothing(
    world: World, token: str, body: dict[str, Any], field: str
) -> None:
    before = world.scan()

    result = add_account_and_login(world, body, token)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert world.scan() == before


def test_the_common_password_of_the_refusal_test_is_in_the_shipped_list() -> None:
    assert "password123" in common_passwords()


@pytest.mark.parametrize(
    ("taken", "requested", "field"),
    [
        (
            account_fields("Taken@Example.com"),
            account_fields("taken@example.COM", userName="someone-new"),
            "emailAddress",
        ),
        (
            account_fields("first@example.com", userName="Shopper-One"),
            account_fields("second@example.com", userName="shopper-one"),
            "username",
        ),
    ],
    ids=["email", "username"],
)
def test_an_identifier_used_by_another_login_is_a_conflict_naming_it_and_writes_nothing(
    world: World, token: str, taken: dict[str, Any], requested: dict[str, Any], field: str
) -> None:
    ok(add_account_and_login(world, request_body(taken), token))
    before = world.scan()

    result = add_account_and_login(world, request_body(requested), token)

    assert_error(result, 409, "VALIDATION_CONFLICT", field)
    assert world.scan() == before


def test_a_caller_without_the_login_create_behavior_is_forbidden_and_writes_nothing(world: World) -> None:
    reader = world.app_token("reader")
    before = world.scan()

    result = add_account_and_login(world, request_body(), reader)

    assert_error(result, 403, "FORBIDDEN")
    assert world.scan() == before


@pytest.mark.parametrize("field", ["authTicketTtlMinutes", "refreshTokenTtlMinutes"])
def test_requesting_a_lifetime_without_the_configure_behavior_is_forbidden_and_writes_nothing(
    world: World, field: str
) -> None:
    basic = world.app_token("basic")
    before = world.scan()

    result = add_account_and_login(world, {**request_body(), field: 30}, basic)

    assert_error(result, 403, "FORBIDDEN")
    assert world.scan() == before


def test_the_basic_client_may_use_the_default_lifetimes(world: World) -> None:
    basic = world.app_token("basic")

    ticket = ok(add_account_and_login(world, request_body(), basic))

    assert ticket["customerAccount"]["auditInfo"]["createBy"] == world.clients["basic"].client_id


def test_a_site_outside_the_tenant_is_forbidden_and_writes_nothing(world: World, token: str) -> None:
    before = world.scan()

    result = add_account_and_login(world, request_body(), token, headers={"x-vol-site": "999"})

    assert_error(result, 403, "FORBIDDEN")
    assert world.scan() == before


def test_the_tenants_own_site_is_accepted(world: World, token: str) -> None:
    result = add_account_and_login(world, request_body(), token, headers={"x-vol-site": str(SITE_ID)})

    assert ok(result)["customerAccount"]["emailAddress"] == EMAIL


# -- imported passwords -----------------------------------------------------------------------------
def test_an_imported_bcrypt_hash_is_kept_until_the_first_sign_in_replaces_it(
    world: World, token: str
) -> None:
    imported = bcrypt_hash("imported secret 7")
    body = {"account": account_fields(), "externalPassword": imported, "isImport": True}

    ticket = ok(add_account_and_login(world, body, token))

    account_id = ticket["customerAccount"]["id"]
    assert ticket["customerAccount"]["hasExternalPassword"] is True
    (login,) = items_of_kind(world, "login")
    assert (login["passwordHash"], login["passwordIsExternal"]) == (imported, True)

    signed_in = ok(sign_in(world, token, EMAIL, "imported secret 7"))

    assert signed_in["customerAccount"]["id"] == account_id
    assert signed_in["customerAccount"]["hasExternalPassword"] is False
    (login,) = items_of_kind(world, "login")
    assert login["passwordIsExternal"] is False
    assert login["passwordHash"].startswith("$argon2id$")
    fetched = world.api.call("GET", f"/api/commerce/customer/accounts/{account_id}", token=token)
    assert fetched.json["hasExternalPassword"] is False
    assert ok(sign_in(world, token, EMAIL, "imported secret 7"))["customerAccount"]["id"] == account_id


def test_an_imported_hash_without_is_import_is_refused_and_writes_nothing(world: World, token: str) -> None:
    before = world.scan()

    result = add_account_and_login(
        world, {"account": account_fields(), "externalPassword": bcrypt_hash("imported secret 7")}, token
    )

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "isImport")
    assert world.scan() == before


# -- Kibo's legacy letter-and-digit rule ------------------------------------------------------------
def test_a_tenant_with_the_letter_and_digit_rule_refuses_a_password_without_a_digit(
    world: World, strict_tenant: dict[str, str]
) -> None:
    legacy = world.app_token("legacy")
    before = world.scan()

    result = add_account_and_login(
        world, request_body(password="onlyletterspassphrase"), legacy, headers=strict_tenant
    )

    body = assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "password")
    assert "digit" in body["message"]
    assert world.scan() == before


def test_a_tenant_with_the_letter_and_digit_rule_accepts_a_password_with_both(
    world: World, strict_tenant: dict[str, str]
) -> None:
    legacy = world.app_token("legacy")

    result = add_account_and_login(
        world, request_body(password="onlyletterspassphrase7"), legacy, headers=strict_tenant
    )

    assert ok(result)["customerAccount"]["emailAddress"] == EMAIL
    signed_in = sign_in(world, legacy, EMAIL, "onlyletterspassphrase7", headers=strict_tenant)
    assert ok(signed_in)["customerAccount"]["id"] == result.json["customerAccount"]["id"]


def test_create_login_on_a_letter_and_digit_tenant_follows_the_rule_too(
    world: World, strict_tenant: dict[str, str]
) -> None:
    legacy = world.app_token("legacy")
    account = world.api.call(
        "POST", "/api/commerce/customer/accounts", account_fields(), token=legacy, headers=strict_tenant
    )
    assert account.status == 200, account.text
    login = {"emailAddress": EMAIL, "password": "onlyletterspassphrase"}
    before = world.scan()

    refused = world.create_login(account.json["id"], login, token=legacy, headers=strict_tenant)

    assert_error(refused, 400, "MISSING_OR_INVALID_PARAMETER", "password")
    assert world.scan() == before
    accepted = world.create_login(
        account.json["id"],
        {**login, "password": "0nlyletterspassphrase"},
        token=legacy,
        headers=strict_tenant,
    )
    assert ok(accepted)["customerAccount"]["isAnonymous"] is False


def test_the_default_tenant_accepts_a_passphrase_without_a_digit(world: World, token: str) -> None:
    result = add_account_and_login(world, request_body(password="onlyletterspassphrase"), token)

    assert ok(result)["customerAccount"]["emailAddress"] == EMAIL


# -- the account's fields ---------------------------------------------------------------------------
def test_server_owned_account_fields_in_the_request_are_ignored(world: World, token: str) -> None:
    requested = account_fields(
        id=5, userId="f" * 32, isAnonymous=True, isLocked=True, hasExternalPassword=True
    )

    ticket = ok(add_account_and_login(world, request_body(requested), token))

    account = ticket["customerAccount"]
    assert account["id"] != 5
    assert account["userId"] == ticket["userId"] != "f" * 32
    assert account["isAnonymous"] is False
    assert account["isLocked"] is False
    assert account["hasExternalPassword"] is False


def test_an_account_with_a_username_and_no_email_signs_in_by_its_username(world: World, token: str) -> None:
    ticket = ok(add_account_and_login(world, request_body(account_fields(None, userName="solo")), token))

    assert ticket["customerAccount"]["userName"] == "solo"
    assert ticket["customerAccount"].get("emailAddress") is None
    assert shopper_kinds(world)["loginIdentifier"] == 1
    assert ok(sign_in(world, token, "solo"))["customerAccount"]["id"] == ticket["customerAccount"]["id"]


def test_an_account_with_neither_email_nor_username_is_refused_and_writes_nothing(
    world: World, token: str
) -> None:
    before = world.scan()

    result = add_account_and_login(world, request_body(account_fields(None)), token)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "emailAddress")
    assert world.scan() == before
