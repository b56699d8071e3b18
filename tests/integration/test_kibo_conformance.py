"""Our bodies against Kibo's own published schemas (its openapi_customer.json and
openapi_appdevelopment.json, of which tests/kibo/schemas.json keeps the parts checked here:
`python -m tools.kibo_schemas KIBO_DIR`): what Kibo's
typed SDKs parse must parse. OpenAPI 3.0's ``nullable`` is turned into JSON Schema's ``null``
type, and every ``$ref`` resolves inside Kibo's document."""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from tests.support.assertions import ok
from tests.support.fixtures import TENANT_ID, World

KIBO_SCHEMAS = json.loads((Path(__file__).resolve().parents[1] / "kibo" / "schemas.json").read_text())
PASSWORD = "correct horse battery staple"
ACCOUNTS = "/api/commerce/customer/accounts"
TICKETS = "/api/commerce/customer/authtickets"


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: ``nullable: true`` admits ``null``."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True and "type" in node:
        converted["type"] = [node["type"], "null"]
    return converted


def kibo_validator(spec_file: str, schema: str) -> Draft202012Validator:
    document = _json_schema(KIBO_SCHEMAS[spec_file])
    root = {**document, "$ref": f"#/components/schemas/{schema}"}
    return Draft202012Validator(root, format_checker=FormatChecker())


CUSTOMER_AUTH_TICKET = kibo_validator("openapi_customer.json", "CustomerAuthTicket")
CUSTOMER_ACCOUNT = kibo_validator("openapi_customer.json", "CustomerAccount")
LOGIN_STATE = kibo_validator("openapi_customer.json", "LoginState")
OAUTH_RESPONSE = kibo_validator("openapi_appdevelopment.json", "OAuthAccessTokenResponse")
APP_AUTH_TICKET = kibo_validator("openapi_appdevelopment.json", "AuthTicket")


def assert_conforms(validator: Draft202012Validator, body: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_validators_can_fail() -> None:
    with pytest.raises(ValidationError):
        CUSTOMER_AUTH_TICKET.validate({"accessTokenExpiration": "not a date"})
    with pytest.raises(ValidationError):
        OAUTH_RESPONSE.validate({"access_token": "x", "unknown": 1})
    with pytest.raises(ValidationError):
        LOGIN_STATE.validate({"isLocked": "no"})
    with pytest.raises(ValidationError):
        APP_AUTH_TICKET.validate({"accessToken": "x", "expires_in": 3600})


@pytest.fixture
def app(world: World) -> str:
    return world.app_token()


@pytest.fixture
def full_account(world: World, app: str) -> dict[str, Any]:
    """An account with contacts, notes-free but with every optional part a shopper fills in."""
    return world.add_account(
        app,
        emailAddress="kibo@example.com",
        firstName="Ada",
        lastName="Lovelace",
        companyOrOrganization="Analytical Engines",
        acceptsMarketing=True,
        localeCode="en-GB",
        contacts=[
            {
                "email": "kibo@example.com",
                "firstName": "Ada",
                "lastNameOrSurname": "Lovelace",
                "phoneNumbers": {"mobile": "+44 20 7946 0000"},
                "address": {"address1": "12 St James's Square", "cityOrTown": "London", "countryCode": "GB"},
                "types": [{"name": "Billing", "isPrimary": True}],
            }
        ],
    )


def test_app_tokens_conform_to_kibos_oauth_response(world: World) -> None:
    client = world.clients["full"]
    issued = ok(
        world.api.call(
            "POST",
            "/api/platform/applications/authtickets/oauth",
            {
                "client_id": client.client_id,
                "client_secret": client.secret,
                "grant_type": "client_credentials",
            },
        )
    )
    assert_conforms(OAUTH_RESPONSE, issued)
    renewed = ok(
        world.api.call(
            "POST",
            "/api/platform/applications/authtickets/oauth",
            {
                "client_id": client.client_id,
                "client_secret": client.secret,
                "grant_type": "client_credentials",
                "refresh_token": issued["refresh_token"],
            },
        )
    )
    assert_conforms(OAUTH_RESPONSE, renewed)


def test_app_tickets_conform_to_kibos_auth_ticket(world: World) -> None:
    client = world.clients["full"]
    tickets = "/api/platform/applications/authtickets"
    issued = ok(
        world.api.call("POST", tickets, {"applicationId": client.client_id, "sharedSecret": client.secret})
    )
    assert_conforms(APP_AUTH_TICKET, issued)
    renewed = ok(world.api.call("PUT", f"{tickets}/refresh-ticket", {"refreshToken": issued["refreshToken"]}))
    assert_conforms(APP_AUTH_TICKET, renewed)


def test_accounts_conform_to_kibos_customer_account(
    world: World, app: str, full_account: dict[str, Any]
) -> None:
    assert_conforms(CUSTOMER_ACCOUNT, full_account)
    assert_conforms(
        CUSTOMER_ACCOUNT, ok(world.api.call("GET", f"{ACCOUNTS}/{full_account['id']}", token=app))
    )
    registered = ok(
        world.create_login(full_account["id"], {"emailAddress": "kibo@example.com", "password": PASSWORD})
    )
    assert_conforms(
        CUSTOMER_ACCOUNT, ok(world.api.call("GET", f"{ACCOUNTS}/{full_account['id']}", token=app))
    )
    current = world.api.call(
        "GET", f"{ACCOUNTS}/current", token=app, headers={"x-vol-user-claims": registered["accessToken"]}
    )
    assert_conforms(CUSTOMER_ACCOUNT, ok(current))


def test_every_ticket_conforms_to_kibos_customer_auth_ticket(
    world: World, app: str, full_account: dict[str, Any]
) -> None:
    created = ok(
        world.create_login(full_account["id"], {"emailAddress": "kibo@example.com", "password": PASSWORD})
    )
    added = ok(
        world.api.call(
            "POST",
            f"{ACCOUNTS}/Add-Account-And-Login",
            {"account": {"emailAddress": "other@example.com", "firstName": "Grace"}, "password": PASSWORD},
            token=app,
        )
    )
    signed_in = ok(
        world.api.call("POST", TICKETS, {"username": "kibo@example.com", "password": PASSWORD}, token=app)
    )
    refreshed = ok(
        world.api.call("PUT", f"{TICKETS}/refresh", {"refreshToken": signed_in["refreshToken"]}, token=app)
    )
    for ticket in (created, added, signed_in, refreshed):
        assert_conforms(CUSTOMER_AUTH_TICKET, ticket)
        assert_conforms(CUSTOMER_ACCOUNT, ticket["customerAccount"])


def test_an_updated_account_conforms_to_kibos_customer_account(
    world: World, app: str, full_account: dict[str, Any]
) -> None:
    ok(world.create_login(full_account["id"], {"emailAddress": "kibo@example.com", "password": PASSWORD}))
    account = ok(world.api.call("GET", f"{ACCOUNTS}/{full_account['id']}", token=app))

    updated = ok(
        world.api.call(
            "PUT",
            f"{ACCOUNTS}/{account['id']}",
            {**account, "emailAddress": "moved@example.com", "firstName": "Moved"},
            token=app,
        )
    )

    assert updated["emailAddress"] == "moved@example.com"
    assert_conforms(CUSTOMER_ACCOUNT, updated)


def test_anonymous_tickets_and_their_refreshes_conform_to_kibos_customer_auth_ticket(
    world: World, app: str
) -> None:
    issued = ok(world.api.call("GET", f"{TICKETS}/anonymousshopper", token=app))
    refreshed = ok(
        world.api.call("PUT", f"{TICKETS}/refresh", {"refreshToken": issued["refreshToken"]}, token=app)
    )
    for ticket in (issued, refreshed):
        assert "customerAccount" not in ticket
        assert_conforms(CUSTOMER_AUTH_TICKET, ticket)


def test_two_factor_tickets_conform_to_kibos_customer_auth_ticket(
    world: World, app: str, full_account: dict[str, Any]
) -> None:
    ok(world.create_login(full_account["id"], {"emailAddress": "kibo@example.com", "password": PASSWORD}))
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(always=True)))
    waiting = ok(
        world.api.call("POST", TICKETS, {"username": "kibo@example.com", "password": PASSWORD}, token=app)
    )
    assert waiting["requires2FA"] is True
    assert_conforms(CUSTOMER_AUTH_TICKET, waiting)
    claims = {"x-vol-user-claims": waiting["accessToken"]}
    assert world.api.call("POST", f"{TICKETS}/2fa/request", token=app, headers=claims).status == 204
    (code,) = world.mailer.codes()
    verified = ok(
        world.api.call(
            "POST",
            f"{TICKETS}/2fa/auth",
            {"userId": waiting["userId"], "otpCode": code},
            token=app,
            headers=claims,
        )
    )
    assert_conforms(CUSTOMER_AUTH_TICKET, verified)
    assert_conforms(CUSTOMER_ACCOUNT, verified["customerAccount"])


def test_login_state_conforms_to_kibos_login_state(
    world: World, app: str, full_account: dict[str, Any]
) -> None:
    ok(world.create_login(full_account["id"], {"emailAddress": "kibo@example.com", "password": PASSWORD}))
    world.api.call(
        "POST", TICKETS, {"username": "kibo@example.com", "password": "wrong password!"}, token=app
    )
    state = ok(world.api.call("GET", f"{ACCOUNTS}/{full_account['id']}/loginstate", token=app))
    assert state["failedLoginAttemptCount"] == 1
    assert_conforms(LOGIN_STATE, state)


CHANGE_PASSWORD_RESULTS = kibo_validator("openapi_customer.json", "ChangePasswordResultCollection")


def test_login_state_by_name_and_a_required_change_conform_to_kibos_login_state(
    world: World, app: str, full_account: dict[str, Any]
) -> None:
    ok(world.create_login(full_account["id"], {"emailAddress": "kibo@example.com", "password": PASSWORD}))
    required = f"{ACCOUNTS}/{full_account['id']}/Set-Password-Change-Required"
    assert world.api.call("POST", required, True, token=app).status == 204
    for path, name in (("loginstatebyusername", "userName"), ("loginstatebyemailaddress", "emailAddress")):
        state = ok(world.api.call("POST", f"{ACCOUNTS}/{path}", token=app, query={name: "kibo@example.com"}))
        assert state["isPasswordChangeRequired"] is True
        assert_conforms(LOGIN_STATE, state)


def test_change_passwords_conforms_to_kibos_change_password_result_collection(
    world: World, app: str, full_account: dict[str, Any]
) -> None:
    ok(world.create_login(full_account["id"], {"emailAddress": "kibo@example.com", "password": PASSWORD}))
    items = [
        {"accountId": full_account["id"], "passwordInfo": {"newPassword": "a migrated passphrase 1"}},
        {"accountId": 2_000_000_000, "passwordInfo": {"newPassword": "a migrated passphrase 2"}},
    ]
    answer = ok(world.api.call("POST", f"{ACCOUNTS}/Change-Passwords", {"items": items}, token=app))
    assert [item["succeeded"] for item in answer["items"]] == [True, False]
    assert_conforms(CHANGE_PASSWORD_RESULTS, answer)
    with pytest.raises(ValidationError):
        CHANGE_PASSWORD_RESULTS.validate({"totalCount": 1, "items": [{"succeeded": "yes"}]})


def test_passwordless_tickets_conform_to_kibos_customer_auth_ticket(
    world: World, app: str, full_account: dict[str, Any]
) -> None:
    ok(world.create_login(full_account["id"], {"emailAddress": "kibo@example.com", "password": PASSWORD}))
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(
        store, replace(tenant, sign_in_policy=replace(tenant.sign_in_policy, passwordless_sign_in=True))
    )
    world.mailer.events()
    asked = world.api.call("POST", f"{TICKETS}/otp/request", {"email": "kibo@example.com"}, token=app)
    assert asked.status == 204
    (code,) = world.mailer.otp_sign_in_codes()
    body = {"email": "kibo@example.com", "otpCode": code, "fingerprint": "kibo-device", "region": "US"}
    ticket = ok(world.api.call("POST", f"{TICKETS}/otp/auth", body, token=app))
    assert_conforms(CUSTOMER_AUTH_TICKET, ticket)
    assert_conforms(CUSTOMER_ACCOUNT, ticket["customerAccount"])
