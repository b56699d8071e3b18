"""Kibo's older app ticket (``AppAuthTicketsApi.authenticateApp``, ``refreshAppAuthTicket``,
``deleteAppAuthTicket``) and the SDK's camelCase names on the OAuth route: the same clients,
behaviors, lifetimes and rotation as the OAuth app token (docs/contract.md §2)."""

import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from customer_auth.api import runtime
from tests.support.assertions import assert_error, kibo_time, ok
from tests.support.fixtures import FrozenClock, HttpResult, World

TICKETS = "/api/platform/applications/authtickets"
REFRESH = f"{TICKETS}/refresh-ticket"
OAUTH = f"{TICKETS}/oauth"
NOT_VALID = "The refresh token is not valid."


def authenticate(world: World, client: str = "full", **overrides: Any) -> HttpResult:
    credentials = world.clients[client]
    body = {"applicationId": credentials.client_id, "sharedSecret": credentials.secret, **overrides}
    return world.api.call("POST", TICKETS, body)


def refresh(world: World, refresh_token: Any) -> HttpResult:
    return world.api.call("PUT", REFRESH, {"refreshToken": refresh_token})


def delete(world: World, refresh_token: str) -> HttpResult:
    return world.api.call("DELETE", f"{TICKETS}/{refresh_token}")


def app_refresh_items(world: World) -> list[dict[str, Any]]:
    return [item for item in world.scan() if item["sk"]["S"] == "APPREFRESH"]


# -- authenticateApp ------------------------------------------------------------------------------
def test_an_application_id_and_shared_secret_get_kibos_auth_ticket_with_the_app_token_lifetimes(
    world: World, clock: FrozenClock
) -> None:
    result = authenticate(world)

    ticket = ok(result)
    assert set(ticket) == {"accessToken", "accessTokenExpiration", "refreshToken", "refreshTokenExpiration"}
    settings = runtime.settings()
    assert ticket["accessTokenExpiration"] == kibo_time(
        clock.now + timedelta(seconds=settings.app_token_ttl_seconds)
    )
    assert ticket["refreshTokenExpiration"] == kibo_time(
        clock.now + timedelta(seconds=settings.app_refresh_ttl_seconds)
    )
    assert result.headers["cache-control"] == "no-store"
    (stored,) = app_refresh_items(world)
    assert ticket["refreshToken"] not in str(stored)  # only its digest
    assert stored["legacyTicket"] == {"BOOL": True}


def test_the_tickets_access_token_is_the_clients_app_token_with_its_behaviors(world: World) -> None:
    full = ok(authenticate(world))["accessToken"]
    reader = ok(authenticate(world, "reader"))["accessToken"]

    assert world.add_account(full, emailAddress="ticket@example.com")["id"]
    refused = world.api.call(
        "POST", "/api/commerce/customer/accounts", {"emailAddress": "r@example.com"}, token=reader
    )
    assert_error(refused, 403, "FORBIDDEN")


def test_a_wrong_secret_and_an_unknown_application_get_the_same_refusal_and_nothing_is_stored(
    world: World,
) -> None:
    before = world.scan()

    wrong_secret = authenticate(world, sharedSecret="not the secret at all, but long enough")
    unknown = authenticate(world, applicationId="no-such-application")

    first = assert_error(wrong_secret, 401, "INVALID_CREDENTIALS")
    second = assert_error(unknown, 401, "INVALID_CREDENTIALS")
    assert first["message"] == second["message"]
    assert world.scan() == before


def test_a_disabled_client_gets_no_ticket_and_cannot_refresh_one(world: World) -> None:
    ticket = ok(authenticate(world))
    store = runtime.store()
    client = store.get_client(world.clients["full"].client_id)
    assert client is not None
    store.put_client(replace(client, enabled=False))

    assert_error(authenticate(world), 401, "INVALID_CREDENTIALS")
    assert_error(refresh(world, ticket["refreshToken"]), 401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sharedSecret": "x" * 40}, "applicationId"),
        ({"applicationId": "app"}, "sharedSecret"),
        ({"applicationId": 42, "sharedSecret": "x" * 40}, "applicationId"),
        ({"applicationId": "app", "sharedSecret": "s" * 513}, "sharedSecret"),
    ],
)
def test_a_missing_or_malformed_credential_is_a_bad_parameter_naming_it(
    world: World, body: dict[str, Any], field: str
) -> None:
    before = world.scan()

    result = world.api.call("POST", TICKETS, body)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert world.scan() == before


def test_response_fields_project_the_ticket(world: World) -> None:
    credentials = world.clients["full"]
    body = {"applicationId": credentials.client_id, "sharedSecret": credentials.secret}

    result = world.api.call("POST", TICKETS, body, query={"responseFields": "accessToken"})

    assert set(ok(result)) == {"accessToken"}


# -- refreshAppAuthTicket -------------------------------------------------------------------------
def test_refreshing_a_ticket_rotates_its_refresh_token_once(world: World, clock: FrozenClock) -> None:
    first = ok(authenticate(world))
    clock.advance(minutes=10)

    renewed = ok(refresh(world, first["refreshToken"]))

    assert renewed["accessToken"] != first["accessToken"]
    assert renewed["refreshToken"] != first["refreshToken"]
    assert renewed["accessTokenExpiration"] == kibo_time(
        clock.now + timedelta(seconds=runtime.settings().app_token_ttl_seconds)
    )
    assert world.add_account(renewed["accessToken"], emailAddress="renewed@example.com")["id"]
    (stored,) = app_refresh_items(world)
    assert stored["legacyTicket"] == {"BOOL": True}
    before = world.scan()
    again = refresh(world, first["refreshToken"])
    assert assert_error(again, 401, "INVALID_CREDENTIALS")["message"] == NOT_VALID
    assert world.scan() == before
    assert ok(refresh(world, renewed["refreshToken"]))["refreshToken"]


def test_an_expired_ticket_refresh_token_is_refused(world: World, clock: FrozenClock) -> None:
    first = ok(authenticate(world))
    clock.advance(seconds=runtime.settings().app_refresh_ttl_seconds)
    before = world.scan()

    assert_error(refresh(world, first["refreshToken"]), 401, "INVALID_CREDENTIALS")
    assert world.scan() == before


@pytest.mark.parametrize("token", ["never-issued", secrets.token_urlsafe(32)], ids=["word", "random-256-bit"])
def test_an_unknown_ticket_refresh_token_is_refused_like_a_used_one(world: World, token: str) -> None:
    before = world.scan()

    body = assert_error(refresh(world, token), 401, "INVALID_CREDENTIALS")

    assert body["message"] == NOT_VALID
    assert world.scan() == before


def test_an_oauth_refresh_token_renews_only_with_its_clients_secret(world: World) -> None:
    """The OAuth route's refresh token is bound to the client's secret: alone, at refresh-ticket,
    it is refused, and it still renews at /oauth with the credentials."""
    credentials = world.clients["full"]
    oauth = {"client_id": credentials.client_id, "client_secret": credentials.secret}
    issued = ok(world.api.call("POST", OAUTH, {**oauth, "grant_type": "client_credentials"}))
    before = world.scan()

    body = assert_error(refresh(world, issued["refresh_token"]), 401, "INVALID_CREDENTIALS")

    assert body["message"] == NOT_VALID
    assert world.scan() == before
    renewal = {**oauth, "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    assert ok(world.api.call("POST", OAUTH, renewal))["access_token"]


def test_a_tickets_refresh_token_also_renews_at_oauth_with_the_clients_credentials(world: World) -> None:
    ticket = ok(authenticate(world))
    credentials = world.clients["full"]
    renewal = {
        "client_id": credentials.client_id,
        "client_secret": credentials.secret,
        "grant_type": "refresh_token",
        "refresh_token": ticket["refreshToken"],
    }

    assert ok(world.api.call("POST", OAUTH, renewal))["refresh_token"]
    assert_error(refresh(world, ticket["refreshToken"]), 401, "INVALID_CREDENTIALS")  # spent there


@pytest.mark.parametrize(
    ("body", "status"), [({}, 400), ({"refreshToken": 42}, 400), ({"refreshToken": "r" * 513}, 400)]
)
def test_a_missing_or_malformed_refresh_token_is_a_bad_parameter(
    world: World, body: dict[str, Any], status: int
) -> None:
    result = world.api.call("PUT", REFRESH, body)

    assert_error(result, status, "MISSING_OR_INVALID_PARAMETER", "refreshToken")


# -- deleteAppAuthTicket --------------------------------------------------------------------------
def test_deleting_a_ticket_ends_its_refresh_token_but_not_its_access_token(world: World) -> None:
    ticket = ok(authenticate(world))

    result = delete(world, ticket["refreshToken"])

    assert (result.status, result.text) == (200, "")
    assert app_refresh_items(world) == []
    assert_error(refresh(world, ticket["refreshToken"]), 401, "INVALID_CREDENTIALS")
    assert world.add_account(ticket["accessToken"], emailAddress="still@example.com")["id"]


def test_deleting_an_oauth_refresh_token_ends_it_too(world: World) -> None:
    credentials = world.clients["full"]
    oauth = {"client_id": credentials.client_id, "client_secret": credentials.secret}
    issued = ok(world.api.call("POST", OAUTH, {**oauth, "grant_type": "client_credentials"}))

    assert delete(world, issued["refresh_token"]).status == 200

    renewal = {**oauth, "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    assert_error(world.api.call("POST", OAUTH, renewal), 401, "INVALID_CREDENTIALS")


def test_deleting_an_unknown_or_already_deleted_token_answers_the_same(world: World) -> None:
    ticket = ok(authenticate(world))
    assert delete(world, ticket["refreshToken"]).status == 200

    again = delete(world, ticket["refreshToken"])
    unknown = delete(world, secrets.token_urlsafe(32))

    assert (again.status, again.text) == (unknown.status, unknown.text) == (200, "")


def test_a_refresh_token_too_long_for_any_ticket_is_a_bad_parameter(world: World) -> None:
    result = delete(world, "r" * 513)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "refreshToken")


# -- the OAuth route's body names -----------------------------------------------------------------
def test_the_oauth_route_takes_the_sdks_camel_case_names(world: World) -> None:
    credentials = world.clients["full"]
    camel = {"clientId": credentials.client_id, "clientSecret": credentials.secret}

    issued = ok(world.api.call("POST", OAUTH, {**camel, "grantType": "client_credentials"}))
    renewed = ok(
        world.api.call(
            "POST", OAUTH, {**camel, "grantType": "refresh_token", "refreshToken": issued["refresh_token"]}
        )
    )

    assert world.add_account(renewed["access_token"], emailAddress="camel@example.com")["id"]
    spent = {**camel, "grantType": "refresh_token", "refreshToken": issued["refresh_token"]}
    assert_error(world.api.call("POST", OAUTH, spent), 401, "INVALID_CREDENTIALS")


def test_where_a_body_has_both_spellings_the_oauth_name_wins(world: World) -> None:
    credentials = world.clients["full"]
    body = {
        "client_id": credentials.client_id,
        "client_secret": credentials.secret,
        "clientSecret": "a wrong secret the snake_case name overrides",
        "grant_type": "client_credentials",
        "grantType": "not a grant type",
    }

    assert ok(world.api.call("POST", OAUTH, body))["access_token"]


def test_a_camel_case_field_of_the_wrong_type_is_a_bad_parameter(world: World) -> None:
    result = world.api.call("POST", OAUTH, {"clientId": 42, "grantType": "client_credentials"})

    assert result.status == 400
    assert result.json["errorCode"] == "MISSING_OR_INVALID_PARAMETER"
