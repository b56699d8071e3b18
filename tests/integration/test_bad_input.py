"""Bad input of every kind gets docs/contract.md §8's status and Kibo's error body, and changes nothing."""

import json
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.fixtures import OTHER_TENANT_ID, FrozenClock, HttpResult, World
from tools.local_api.events import http_api_event

EMAIL = "shopper@example.com"
PASSWORD = "correct horse battery staple"
OAUTH = "/api/platform/applications/authtickets/oauth"
ACCOUNTS = "/api/commerce/customer/accounts"
ERROR_FIELDS = {"message", "applicationName", "errorCode", "additionalErrorData", "items", "correlationId"}


# -- helpers ----------------------------------------------------------------------------------------
def assert_kibo_error(result: HttpResult, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """``result`` is the given error in Kibo's ``ApiError`` shape, tied to the response's correlation id."""
    assert result.status == status, result.text
    body: dict[str, Any] = result.json
    assert set(body) == ERROR_FIELDS, body
    assert body["applicationName"] == "customer-auth"
    assert body["errorCode"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["items"] == []
    assert isinstance(body["additionalErrorData"], list)
    assert body["correlationId"]
    assert body["correlationId"] == result.headers["x-vol-correlation"]
    assert result.headers["content-type"].startswith("application/json")
    if field is not None:
        assert body["additionalErrorData"] == [{"name": "field", "value": field}], body
    return body


def create_login_path(account_id: int | str) -> str:
    return f"{ACCOUNTS}/{account_id}/Create-Login"


def login_body(**fields: Any) -> dict[str, Any]:
    return {"emailAddress": EMAIL, "password": PASSWORD, **fields}


def oauth(world: World, **fields: Any) -> HttpResult:
    client = world.clients["full"]
    body = {
        "client_id": client.client_id,
        "client_secret": client.secret,
        "grant_type": "client_credentials",
        **fields,
    }
    return world.api.call("POST", OAUTH, {k: v for k, v in body.items() if v is not None})


def app_tokens(world: World) -> dict[str, Any]:
    result = oauth(world)
    assert result.status == 200, result.text
    tokens: dict[str, Any] = result.json
    return tokens


def resign(token: str, key: ec.EllipticCurvePrivateKey, **claims: Any) -> str:
    """``token``'s header and claims (with ``claims`` changed) signed by ``key``."""
    header = jwt.get_unverified_header(token)
    payload = {**jwt.decode(token, options={"verify_signature": False}), **claims}
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": header["kid"], "typ": header["typ"]})


@dataclass
class Scene:
    """A tenant with an account (no login yet), a full-behavior app token and the table as it was."""

    world: World
    token: str
    account_id: int
    before: list[dict[str, Any]]

    def create_login(
        self,
        body: Any = None,
        *,
        raw_body: bytes | None = None,
        token: str | None = None,
        account_id: int | str | None = None,
        **kwargs: Any,
    ) -> HttpResult:
        path = create_login_path(self.account_id if account_id is None else account_id)
        return self.world.api.call(
            "POST", path, body, raw_body=raw_body, token=self.token if token is None else token, **kwargs
        )

    def assert_unchanged(self) -> None:
        assert self.world.scan() == self.before


@pytest.fixture
def scene(world: World) -> Scene:
    token = world.app_token("full")
    account_id: int = world.add_account(token, emailAddress=EMAIL)["id"]
    return Scene(world, token, account_id, world.scan())


# -- Create-Login bodies ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw_body",
    [
        b'{"emailAddress": "shopper@example.com", "password": ',
        b"{'emailAddress': 'shopper@example.com'}",
        b"not json at all",
        b'{"emailAddress": "shopper@example.com"} trailing',
    ],
    ids=["truncated", "single-quotes", "text", "trailing-garbage"],
)
def test_a_malformed_json_body_is_a_bad_parameter(scene: Scene, raw_body: bytes) -> None:
    result = scene.create_login(raw_body=raw_body)

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    scene.assert_unchanged()


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream"])
def test_a_body_that_is_not_utf8_is_a_bad_parameter(scene: Scene, content_type: str) -> None:
    """API Gateway hands such a body over base64-encoded (isBase64Encoded: true)."""
    result = scene.create_login(raw_body=b"\xff\xfe{\x00garbage", headers={"content-type": content_type})

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    scene.assert_unchanged()


@pytest.mark.parametrize(
    "body",
    [[], [login_body()], "shopper@example.com", 42, True],
    ids=["empty-array", "array-of-object", "string", "number", "boolean"],
)
def test_a_json_body_that_is_not_an_object_is_a_bad_parameter(scene: Scene, body: Any) -> None:
    result = scene.create_login(body)

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    scene.assert_unchanged()


def test_a_missing_body_is_a_bad_parameter(scene: Scene) -> None:
    result = scene.create_login(raw_body=b"")

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    scene.assert_unchanged()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"password": 123}, "password"),
        ({"password": None, "externalPassword": 5, "isImport": True}, "externalPassword"),
        ({"isImport": "yes"}, "isImport"),
        ({"isImport": 1}, "isImport"),
        ({"authTicketTtlMinutes": "30"}, "authTicketTtlMinutes"),
        ({"refreshTokenTtlMinutes": 30.5}, "refreshTokenTtlMinutes"),
        ({"authTicketTtlMinutes": True}, "authTicketTtlMinutes"),
        ({"emailAddress": {"address": EMAIL}}, "emailAddress"),
        ({"emailAddress": [EMAIL]}, "emailAddress"),
        ({"username": 7}, "username"),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else str(value),
)
def test_a_field_of_the_wrong_type_is_a_bad_parameter_naming_it(
    scene: Scene, fields: dict[str, Any], field: str
) -> None:
    result = scene.create_login(login_body(**fields))

    body = assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert field in body["message"]
    scene.assert_unchanged()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"emailAddress": "a" * 245 + "@example.com"}, "emailAddress"),
        ({"password": "p" * 1025}, "password"),
        ({"username": "u" * 257}, "username"),
    ],
    ids=["257-char-email", "1025-char-password", "257-char-username"],
)
def test_an_oversize_field_is_a_bad_parameter_naming_it(
    scene: Scene, fields: dict[str, Any], field: str
) -> None:
    assert len(next(iter(fields.values()))) in {257, 1025}

    result = scene.create_login(login_body(**fields))

    body = assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert "p" * 100 not in body["message"]
    scene.assert_unchanged()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"password": "seven77"}, "password"),
        ({"password": EMAIL}, "password"),
        ({"password": "  Shopper@Example.COM "}, "password"),
        ({"username": "a-long-username", "password": "a-long-username"}, "password"),
        ({"emailAddress": "not-an-email"}, "emailAddress"),
        ({"emailAddress": "two@@example.com"}, "emailAddress"),
        ({"emailAddress": "spaces in@example.com"}, "emailAddress"),
        ({"emailAddress": None}, "emailAddress"),
        ({"username": "   "}, "username"),
        ({"username": "tab\tname"}, "username"),
        ({"password": None}, "password"),
    ],
    ids=[
        "7-char-password",
        "password-is-email",
        "password-is-email-other-case",
        "password-is-username",
        "email-without-at",
        "email-double-at",
        "email-with-space",
        "neither-email-nor-username",
        "blank-username",
        "username-with-control-char",
        "no-password",
    ],
)
def test_a_value_breaking_a_rule_is_a_bad_parameter_naming_it(
    scene: Scene, fields: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in login_body(**fields).items() if v is not None}

    result = scene.create_login(body)

    error = assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert PASSWORD not in error["message"]
    scene.assert_unchanged()


@pytest.mark.parametrize("account_id", ["abc", "0", "-1", "2147483648", "1.5", "99999999999999999999"])
def test_an_account_id_that_is_not_a_positive_int32_is_a_bad_parameter(scene: Scene, account_id: str) -> None:
    result = scene.create_login(login_body(), account_id=account_id)

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "accountId")
    scene.assert_unchanged()


def test_the_largest_int32_account_id_is_valid_but_not_found(scene: Scene) -> None:
    result = scene.create_login(login_body(), account_id=2**31 - 1)

    assert_kibo_error(result, 404, "ITEM_NOT_FOUND", "accountId")
    scene.assert_unchanged()


# -- add account bodies -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"firstName": "f" * 257}, "firstName"),
        ({"emailAddress": "not-an-email"}, "emailAddress"),
        ({"emailAddress": 12}, "emailAddress"),
        ({"isAnonymous": "false"}, "isAnonymous"),
    ],
    ids=["257-char-firstName", "invalid-email", "email-number", "isAnonymous-string"],
)
def test_add_account_refuses_bad_fields_naming_them(scene: Scene, fields: dict[str, Any], field: str) -> None:
    result = scene.world.api.call("POST", ACCOUNTS, {"lastName": "Guest", **fields}, token=scene.token)

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    scene.assert_unchanged()


@pytest.mark.parametrize(
    "raw_body",
    [b'{"firstName": "Grace",', b'"Grace"', b'[{"firstName": "Grace"}]'],
    ids=["truncated", "string", "array-of-object"],
)
def test_add_account_refuses_a_body_that_is_not_a_json_object(scene: Scene, raw_body: bytes) -> None:
    result = scene.world.api.call("POST", ACCOUNTS, raw_body=raw_body, token=scene.token)

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    scene.assert_unchanged()


# -- the caller's app token -------------------------------------------------------------------------
def test_create_login_without_authorization_is_unauthorized(scene: Scene) -> None:
    result = scene.world.api.call("POST", create_login_path(scene.account_id), login_body())

    assert_kibo_error(result, 401, "UNAUTHORIZED")
    scene.assert_unchanged()


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer",
        "Bearer ",
        "bearer-without-space",
        "",
    ],
    ids=["basic", "token-scheme", "bearer-alone", "bearer-blank", "no-space", "empty"],
)
def test_an_authorization_that_is_not_a_bearer_token_is_unauthorized(
    scene: Scene, authorization: str
) -> None:
    result = scene.world.api.call(
        "POST", create_login_path(scene.account_id), login_body(), headers={"authorization": authorization}
    )

    assert_kibo_error(result, 401, "UNAUTHORIZED")
    scene.assert_unchanged()


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "x" * 5000],
    ids=["word", "three-parts", "alg-none", "huge"],
)
def test_a_garbage_bearer_token_is_unauthorized(scene: Scene, token: str) -> None:
    result = scene.create_login(login_body(), token=token)

    assert_kibo_error(result, 401, "UNAUTHORIZED")
    scene.assert_unchanged()


def test_a_token_signed_by_another_key_is_unauthorized(scene: Scene) -> None:
    forged = resign(scene.token, ec.generate_private_key(ec.SECP256R1()))

    result = scene.create_login(login_body(), token=forged)

    assert_kibo_error(result, 401, "UNAUTHORIZED")
    scene.assert_unchanged()


def test_a_token_with_altered_claims_is_unauthorized(scene: Scene) -> None:
    header, _, signature = scene.token.split(".")
    claims = jwt.decode(scene.token, options={"verify_signature": False})
    claims["tenant_id"] = OTHER_TENANT_ID
    altered = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()

    result = scene.create_login(login_body(), token=f"{header}.{altered}.{signature}")

    assert_kibo_error(result, 401, "UNAUTHORIZED")
    scene.assert_unchanged()


def test_an_expired_app_token_is_unauthorized(world: World, clock: FrozenClock) -> None:
    token = world.app_token("full")
    account_id = world.add_account(token)["id"]
    before = world.scan()
    clock.advance(hours=2)

    result = world.create_login(account_id, login_body(), token=token)

    assert_kibo_error(result, 401, "UNAUTHORIZED")
    assert world.scan() == before


def test_a_shopper_jwt_is_not_an_app_token(scene: Scene) -> None:
    other_account = scene.world.add_account(scene.token, emailAddress="other@example.com")["id"]
    ticket = scene.world.create_login(
        other_account, login_body(emailAddress="other@example.com"), token=scene.token
    ).json
    before = scene.world.scan()

    result = scene.create_login(login_body(), token=ticket["jwtAccessToken"])

    assert_kibo_error(result, 401, "UNAUTHORIZED")
    assert scene.world.scan() == before


def test_an_app_token_of_another_tenant_is_forbidden(scene: Scene) -> None:
    other = scene.world.app_token("other")
    before = scene.world.scan()

    result = scene.create_login(login_body(), token=other)

    assert_kibo_error(result, 403, "FORBIDDEN")
    assert scene.world.scan() == before


@pytest.mark.parametrize("tenant", ["abc", "-100", "1e2", "100.0", "12345678901"])
def test_a_tenant_header_that_is_not_an_integer_is_a_bad_parameter(scene: Scene, tenant: str) -> None:
    result = scene.create_login(login_body(), headers={"x-vol-tenant": tenant})

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "x-vol-tenant")
    scene.assert_unchanged()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "create-login", login_body()),
        ("POST", ACCOUNTS, {"emailAddress": "new@example.com"}),
    ],
    ids=["create-login", "add-account"],
)
def test_the_reader_client_may_not_write(scene: Scene, method: str, path: str, body: dict[str, Any]) -> None:
    reader = scene.world.app_token("reader")
    before = scene.world.scan()
    target = create_login_path(scene.account_id) if path == "create-login" else path

    result = scene.world.api.call(method, target, body, token=reader)

    assert_kibo_error(result, 403, "FORBIDDEN")
    assert scene.world.scan() == before


def test_the_reader_client_may_read_an_account(scene: Scene) -> None:
    reader = scene.world.app_token("reader")

    result = scene.world.api.call("GET", f"{ACCOUNTS}/{scene.account_id}", token=reader)

    assert result.status == 200, result.text
    assert result.json["id"] == scene.account_id


# -- the app-token endpoint -------------------------------------------------------------------------
def test_a_wrong_secret_and_an_unknown_client_get_the_same_401(world: World) -> None:
    before = world.scan()

    wrong_secret = oauth(world, client_secret="not-the-secret")
    unknown_client = oauth(world, client_id="nobody.12345678")

    first = assert_kibo_error(wrong_secret, 401, "INVALID_CREDENTIALS")
    second = assert_kibo_error(unknown_client, 401, "INVALID_CREDENTIALS")
    assert first.pop("correlationId") != second.pop("correlationId")
    assert first == second
    assert world.scan() == before


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "", "CLIENT_CREDENTIALS"])
def test_an_unsupported_grant_type_is_a_bad_parameter(world: World, grant_type: str) -> None:
    before = world.scan()

    result = oauth(world, grant_type=grant_type)

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "grant_type")
    assert world.scan() == before


def test_a_missing_grant_type_is_a_bad_parameter(world: World) -> None:
    client = world.clients["full"]

    result = world.api.call("POST", OAUTH, {"client_id": client.client_id, "client_secret": client.secret})

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "grant_type")


@pytest.mark.parametrize("wrap", [list, str], ids=["array-of-object", "string"])
def test_an_app_token_body_that_is_not_a_json_object_is_a_bad_parameter(world: World, wrap: type) -> None:
    client = world.clients["full"]
    credentials = {"client_id": client.client_id, "client_secret": client.secret}
    body = [{**credentials, "grant_type": "client_credentials"}] if wrap is list else json.dumps(credentials)
    before = world.scan()

    result = world.api.call("POST", OAUTH, body)

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert "access_token" not in result.text
    assert world.scan() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"client_id": 42}, "client_id"),
        ({"client_secret": ["x"]}, "client_secret"),
        ({"client_secret": "s" * 513}, "client_secret"),
    ],
)
def test_app_token_fields_of_the_wrong_type_or_size_are_bad_parameters(
    world: World, fields: dict[str, Any], field: str
) -> None:
    result = oauth(world, **fields)

    assert_kibo_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)


def test_refreshing_with_a_valid_app_refresh_token_rotates_it(world: World) -> None:
    first = app_tokens(world)

    renewed = oauth(world, grant_type="refresh_token", refresh_token=first["refresh_token"])

    assert renewed.status == 200, renewed.text
    tokens = renewed.json
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] > 0
    assert tokens["access_token"] != first["access_token"]
    assert tokens["refresh_token"] != first["refresh_token"]
    assert renewed.headers["cache-control"] == "no-store"
    assert world.add_account(tokens["access_token"], emailAddress="renewed@example.com")["id"]
    before = world.scan()
    again = oauth(world, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert_kibo_error(again, 401, "INVALID_CREDENTIALS")
    assert world.scan() == before


def test_a_used_app_refresh_token_is_refused_even_with_the_client_credentials_grant(world: World) -> None:
    first = app_tokens(world)
    assert oauth(world, grant_type="refresh_token", refresh_token=first["refresh_token"]).status == 200
    before = world.scan()

    result = oauth(world, refresh_token=first["refresh_token"])

    assert_kibo_error(result, 401, "INVALID_CREDENTIALS")
    assert world.scan() == before


@pytest.mark.parametrize(
    "refresh_token", ["never-issued", secrets.token_urlsafe(32)], ids=["word", "random-256-bit"]
)
def test_an_unknown_app_refresh_token_is_refused(world: World, refresh_token: str) -> None:
    before = world.scan()

    result = oauth(world, grant_type="refresh_token", refresh_token=refresh_token)

    assert_kibo_error(result, 401, "INVALID_CREDENTIALS")
    assert world.scan() == before


def test_another_clients_app_refresh_token_is_refused(world: World) -> None:
    theirs = app_tokens(world)
    basic = world.clients["basic"]
    before = world.scan()

    result = oauth(
        world,
        client_id=basic.client_id,
        client_secret=basic.secret,
        grant_type="refresh_token",
        refresh_token=theirs["refresh_token"],
    )

    assert_kibo_error(result, 401, "INVALID_CREDENTIALS")
    assert world.scan() == before


def test_an_expired_app_refresh_token_is_refused(world: World, clock: FrozenClock) -> None:
    first = app_tokens(world)
    clock.advance(hours=25)
    before = world.scan()

    result = oauth(world, grant_type="refresh_token", refresh_token=first["refresh_token"])

    assert_kibo_error(result, 401, "INVALID_CREDENTIALS")
    assert world.scan() == before


# -- routes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/api/commerce/customer/nothing-here", "/api/commerce/customer/accounts/1/x"]
)
def test_a_path_no_route_of_the_function_serves_is_a_kibo_404(world: World, path: str) -> None:
    """API Gateway sends the event to a function; a path its resolver does not serve gets Kibo's 404."""
    router = world.api.router
    route = next(r for r in router.routes if r.function == "CreateLoginFunction")
    headers = [("x-vol-correlation", "corr-404"), ("authorization", f"Bearer {world.app_token()}")]
    event = http_api_event(route, "POST", path, "", headers, b"{}")

    response = router.invoke(route, event)

    result = HttpResult(
        response["statusCode"], {k.lower(): v for k, v in response["headers"].items()}, response["body"]
    )
    body = assert_kibo_error(result, 404, "ITEM_NOT_FOUND")
    assert body["correlationId"] == "corr-404"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/commerce/customer/nothing-here"), ("DELETE", f"{ACCOUNTS}/1/Create-Login/x")],
)
def test_an_unknown_route_gets_a_kibo_404(world: World, method: str, path: str) -> None:
    """Deployed, a request reaches a function only through a route of template.yaml; without a
    catch-all route API Gateway answers by itself with {"message": "Not Found"}, not Kibo's shape."""
    assert world.api.router.match(method, path) is not None, (
        f"template.yaml routes no function for {method} {path}: API Gateway's own 404 body would answer"
    )

    result = world.api.call(method, path, token=world.app_token(), headers={"x-vol-correlation": "corr-404"})

    body = assert_kibo_error(result, 404, "ITEM_NOT_FOUND")
    assert body["correlationId"] == "corr-404"


def test_the_caller_is_checked_before_the_body_so_strangers_learn_nothing_from_validation(
    world: World,
) -> None:
    before = world.scan()

    result = world.api.call(
        "POST", f"{ACCOUNTS}/1/Create-Login", raw_body=b'{"password": 123, "isImport": "yes"}'
    )

    assert_kibo_error(result, 401, "UNAUTHORIZED")
    assert "password" not in result.text
    assert world.scan() == before
