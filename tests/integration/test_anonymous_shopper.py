"""Anonymous shopper tickets (docs/contract.md §9): what the ticket and its JWT say, what is stored,
refresh rotating an anonymous family with the same reuse detection, and anonymous tokens never
taken for a customer's."""

import json
import re
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest

from tests.support.assertions import ok
from tests.support.fixtures import OTHER_TENANT_ID, SITE_ID, TENANT_ID, FrozenClock, HttpResult, World

ANONYMOUS = "/api/commerce/customer/authtickets/anonymousshopper"
REFRESH = "/api/commerce/customer/authtickets/refresh"
SIGN_IN = "/api/commerce/customer/authtickets"
CURRENT = "/api/commerce/customer/accounts/current"
REQUEST_CODE = "/api/commerce/customer/authtickets/2fa/request"
HEX32 = re.compile(r"[0-9a-f]{32}")
KIBO_USER_CLAIMS = "https://www.kibocommerce.com/user_claims"
ISSUER = "https://customer-auth.test"
AUDIENCE = "customer-auth"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def app(world: World) -> str:
    return world.app_token()


def anonymous(world: World, app: str | None, **kwargs: Any) -> HttpResult:
    return world.api.call("GET", ANONYMOUS, token=app, **kwargs)


def refresh(world: World, app: str, token: str) -> HttpResult:
    return world.api.call("PUT", REFRESH, {"refreshToken": token}, token=app)


def verified_claims(world: World, token: str) -> dict[str, Any]:
    keys = {key["kid"]: key for key in ok(world.api.call("GET", "/.well-known/jwks.json"))["keys"]}
    key = jwt.PyJWK(keys[jwt.get_unverified_header(token)["kid"]])
    # The test's clock runs ahead of the real one: times are asserted against it, not by pyjwt.
    relaxed = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER, options=relaxed
    )
    return claims


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sid_of(token: str) -> str:
    return token.split(".")[2]


def sessions(world: World) -> list[dict[str, Any]]:
    return [item for item in world.scan() if item["kind"]["S"] == "session"]


def registered_shopper(world: World, app: str, email: str = "known@example.com") -> dict[str, Any]:
    account_id = world.add_account(app, emailAddress=email)["id"]
    return ok(world.create_login(account_id, {"emailAddress": email, "password": PASSWORD}, token=app))


# -- the ticket -------------------------------------------------------------------------------------
def test_the_ticket_has_no_account_a_fresh_user_id_and_the_tenants_default_lifetimes(
    world: World, app: str, clock: FrozenClock
) -> None:
    result = anonymous(world, app)

    ticket = ok(result)
    assert "customerAccount" not in ticket
    assert HEX32.fullmatch(ticket["userId"])
    assert ticket["accessToken"]
    assert ticket["refreshToken"]
    assert ticket["jwtAccessToken"]
    assert ticket["requires2FA"] is False
    assert moment(ticket["accessTokenExpiration"]) == clock.now + timedelta(minutes=30)
    assert moment(ticket["refreshTokenExpiration"]) == clock.now + timedelta(days=1)
    assert result.headers["cache-control"] == "no-store"
    assert result.headers["pragma"] == "no-cache"


def test_every_visitor_gets_their_own_user_id_and_session(world: World, app: str) -> None:
    tickets = [ok(anonymous(world, app)) for _ in range(3)]

    assert len({t["userId"] for t in tickets}) == 3
    assert len({sid_of(t["refreshToken"]) for t in tickets}) == 3


def test_the_jwt_verifies_with_the_jwks_and_says_anonymous_with_tenant_and_site(
    world: World, app: str, clock: FrozenClock
) -> None:
    ticket = ok(anonymous(world, app))

    claims = verified_claims(world, ticket["jwtAccessToken"])
    assert claims["sub"] == ticket["userId"]
    assert claims["tenant_id"] == TENANT_ID
    assert claims["site_id"] == SITE_ID
    assert claims["exp"] == int(moment(ticket["accessTokenExpiration"]).timestamp())
    assert "account_id" not in claims  # no route can take it for a customer's
    assert claims[KIBO_USER_CLAIMS] == {
        "uid": ticket["userId"],
        "anon": "1",
        "bv": [],
        "b.TenantId": str(TENANT_ID),
        "b.SiteId": str(SITE_ID),
    }


def test_the_session_is_stored_with_a_ttl_under_its_own_key_and_no_token_in_clear(
    world: World, app: str
) -> None:
    ticket = ok(anonymous(world, app))

    [session] = sessions(world)
    sid = sid_of(ticket["refreshToken"])
    assert session["pk"]["S"] == f"ANON#{TENANT_ID}#{sid}"
    assert int(session["expiresAt"]["N"]) == int(moment(ticket["refreshTokenExpiration"]).timestamp())
    kinds = sorted(item["kind"]["S"] for item in world.scan() if item["pk"]["S"].split("#")[0] != "TENANT")
    assert kinds.count("accessToken") == 1
    assert kinds.count("refreshToken") == 1
    for item in world.scan():
        if item["kind"]["S"] in {"accessToken", "refreshToken"}:
            assert "expiresAt" in item
    stored = json.dumps(world.scan())
    for name in ("accessToken", "refreshToken", "jwtAccessToken"):
        assert ticket[name] not in stored
        assert ticket[name].split(".")[-1] not in stored
    assert not [item for item in world.scan() if item["kind"]["S"] in {"account", "login"}]


# -- refresh ----------------------------------------------------------------------------------------
def test_refresh_rotates_into_an_anonymous_ticket_again_and_keeps_the_familys_end(
    world: World, app: str, clock: FrozenClock
) -> None:
    first = ok(anonymous(world, app))
    clock.advance(minutes=5)

    second = ok(refresh(world, app, first["refreshToken"]))

    assert "customerAccount" not in second
    assert second["userId"] == first["userId"]
    for name in ("accessToken", "refreshToken", "jwtAccessToken"):
        assert second[name] != first[name]
    assert second["refreshTokenExpiration"] == first["refreshTokenExpiration"]
    assert moment(second["accessTokenExpiration"]) == clock.now + timedelta(minutes=30)
    claims = verified_claims(world, second["jwtAccessToken"])
    assert claims[KIBO_USER_CLAIMS]["anon"] == "1"
    assert claims["sub"] == first["userId"]
    third = ok(refresh(world, app, second["refreshToken"]))
    assert third["userId"] == first["userId"]


def test_the_immediate_parent_inside_the_grace_window_gets_the_same_child(
    world: World, app: str, clock: FrozenClock
) -> None:
    first = ok(anonymous(world, app))
    second = ok(refresh(world, app, first["refreshToken"]))
    clock.advance(seconds=5)

    again = ok(refresh(world, app, first["refreshToken"]))

    assert again["refreshToken"] == second["refreshToken"]
    assert "customerAccount" not in again


def test_reusing_a_spent_refresh_token_revokes_the_anonymous_family(
    world: World, app: str, clock: FrozenClock
) -> None:
    first = ok(anonymous(world, app))
    second = ok(refresh(world, app, first["refreshToken"]))
    clock.advance(seconds=11)  # past the 10 s grace window

    reused = refresh(world, app, first["refreshToken"])

    assert reused.status == 401
    assert reused.json["errorCode"] == "INVALID_TOKEN"
    newest = refresh(world, app, second["refreshToken"])
    assert newest.status == 401
    assert newest.json["errorCode"] == "INVALID_TOKEN"
    assert sessions(world) == []


def test_an_anonymous_family_ends_at_its_absolute_end(world: World, app: str, clock: FrozenClock) -> None:
    ticket = ok(anonymous(world, app))
    clock.advance(days=1, seconds=1)

    result = refresh(world, world.app_token(), ticket["refreshToken"])

    assert result.status == 401
    assert result.json["errorCode"] == "INVALID_TOKEN"


@pytest.mark.parametrize("scope", ["local", "global"])
def test_log_out_ends_the_anonymous_session(world: World, app: str, scope: str) -> None:
    ticket = ok(anonymous(world, app))

    result = world.api.call(
        "DELETE", SIGN_IN, token=app, query={"refreshToken": ticket["refreshToken"], "scope": scope}
    )

    assert result.status == 204, result.text
    assert refresh(world, app, ticket["refreshToken"]).status == 401
    assert sessions(world) == []


# -- never a customer's -----------------------------------------------------------------------------
def test_the_current_account_refuses_anonymous_tokens_with_401(world: World, app: str) -> None:
    registered_shopper(world, app)
    ticket = ok(anonymous(world, app))

    by_claims = world.api.call(
        "GET", CURRENT, token=app, headers={"x-vol-user-claims": ticket["accessToken"]}
    )
    by_jwt = world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"])

    for result in (by_claims, by_jwt):
        assert result.status == 401, result.text
        assert result.json["errorCode"] == "UNAUTHORIZED"


def test_an_anonymous_token_relabelled_with_a_real_account_is_refused(world: World, app: str) -> None:
    """The locator is in the clear; naming a real account in it changes the digest, so nothing
    matches: an anonymous token can never be made into that customer's."""
    customer = registered_shopper(world, app)
    account_id = customer["customerAccount"]["id"]
    ticket = ok(anonymous(world, app))

    def relabelled(token: str) -> str:
        tenant, _, sid, secret = token.split(".")
        return f"{tenant}.{account_id}.{sid}.{secret}"

    as_claims = world.api.call(
        "GET", CURRENT, token=app, headers={"x-vol-user-claims": relabelled(ticket["accessToken"])}
    )
    assert as_claims.status == 401
    as_refresh = refresh(world, app, relabelled(ticket["refreshToken"]))
    assert as_refresh.status == 401
    assert as_refresh.json["errorCode"] == "INVALID_TOKEN"
    assert customer["userId"] not in as_claims.text + as_refresh.text


def test_a_customers_token_relabelled_as_anonymous_is_refused(world: World, app: str) -> None:
    customer = registered_shopper(world, app)
    tenant, _, sid, secret = customer["refreshToken"].split(".")

    result = refresh(world, app, f"{tenant}.0.{sid}.{secret}")

    assert result.status == 401
    assert result.json["errorCode"] == "INVALID_TOKEN"
    assert ok(refresh(world, app, customer["refreshToken"]))["customerAccount"]["id"]


def test_an_anonymous_access_token_cannot_ask_for_a_two_factor_code(world: World, app: str) -> None:
    ticket = ok(anonymous(world, app))

    result = world.api.call(
        "POST", REQUEST_CODE, token=app, headers={"x-vol-user-claims": ticket["accessToken"]}
    )

    assert result.status == 401, result.text
    assert world.mailer.events() == []


# -- callers ----------------------------------------------------------------------------------------
def test_it_needs_an_app_token(world: World) -> None:
    result = anonymous(world, None)

    assert result.status == 401
    assert result.json["errorCode"] == "UNAUTHORIZED"
    assert sessions(world) == []


def test_it_needs_the_ticket_behavior(world: World) -> None:
    result = anonymous(world, world.app_token("reader"))

    assert result.status == 403
    assert result.json["errorCode"] == "FORBIDDEN"
    assert sessions(world) == []


@pytest.mark.parametrize(
    "headers",
    [{"x-vol-tenant": str(OTHER_TENANT_ID)}, {"x-vol-site": "999"}],
    ids=["another-tenant", "a-site-not-the-tenants"],
)
def test_another_tenant_or_a_foreign_site_is_forbidden(
    world: World, app: str, headers: dict[str, str]
) -> None:
    result = anonymous(world, app, headers=headers)

    assert result.status == 403
    assert result.json["errorCode"] == "FORBIDDEN"
    assert sessions(world) == []


def test_response_fields_trim_the_ticket(world: World, app: str) -> None:
    ticket = ok(anonymous(world, app, query={"responseFields": "userId,accessToken"}))

    assert set(ticket) == {"userId", "accessToken"}
