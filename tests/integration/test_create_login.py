"""Create-Login (docs/contract.md §4) through its Lambda handler: the ticket, the JWT and what is stored."""

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher

from tests.support.assertions import kibo_time
from tests.support.fixtures import OTHER_TENANT_ID, SITE_ID, TENANT_ID, FrozenClock, HttpResult, World

PASSWORD = "correct horse battery staple"
EMAIL = "shopper@example.com"
USER_ID = re.compile(r"[0-9a-f]{32}")
KIBO_USER_CLAIMS = "https://www.kibocommerce.com/user_claims"
ISSUER = "https://customer-auth.test"
AUDIENCE = "customer-auth"

BCRYPT_HASH = "$2b$12$" + "R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
DJANGO_HASH = "pbkdf2_sha256$600000$c2FsdHNhbHQ$Yq1b1Zl2iU7q3kz8p0yXh6z0C1mHbq6m0x7yPp9Lw3E="
ARGON2ID_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("imported secret")

RICH_ACCOUNT = {
    "emailAddress": "rich@example.com",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "contacts": [
        {
            "email": "rich@example.com",
            "firstName": "Ada",
            "lastNameOrSurname": "Lovelace",
            "phoneNumbers": {"mobile": "+1 555 0100"},
            "address": {"address1": "1 Analytical Way", "cityOrTown": "London", "countryCode": "GB"},
            "types": [{"name": "Billing", "isPrimary": True}],
        }
    ],
    "attributes": [{"fullyQualifiedName": "tenant~loyalty-tier", "values": ["gold", 3, True]}],
    "notes": [{"content": "Prefers e-mail."}],
    "segments": [{"id": 7, "code": "VIP", "name": "Very important"}],
    "commerceSummary": {
        "totalOrderAmount": {"currencyCode": "USD", "amount": 125.5},
        "orderCount": 4,
        "wishlistCount": 1,
        "visitsCount": 9,
    },
}


# -- helpers ----------------------------------------------------------------------------------------
def login_body(email: str | None = EMAIL, password: str | None = PASSWORD, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {**extra}
    if email is not None:
        body["emailAddress"] = email
    if password is not None:
        body["password"] = password
    return body


def new_account(world: World, token: str, **fields: Any) -> int:
    account_id: int = world.add_account(token, **fields)["id"]
    return account_id


def create_login_ok(
    world: World, token: str, body: dict[str, Any] | None = None, **account_fields: Any
) -> dict[str, Any]:
    account_id = new_account(world, token, **account_fields)
    result = world.create_login(account_id, body if body is not None else login_body(), token=token)
    assert result.status == 200, result.text
    ticket: dict[str, Any] = result.json
    return ticket


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """An item's attributes as Python values (S, N, BOOL and L of S only: what these tests read)."""

    def value(attribute: dict[str, Any]) -> Any:
        ((kind, raw),) = attribute.items()
        if kind == "N":
            return int(raw)
        if kind == "L":
            return [value(element) for element in raw]
        if kind == "M":
            return {name: value(inner) for name, inner in raw.items()}
        return raw

    return {name: value(attribute) for name, attribute in item.items()}


def items_of_kind(world: World, kind: str) -> list[dict[str, Any]]:
    return [plain(item) for item in world.scan() if item.get("kind", {}).get("S") == kind]


def one_item(world: World, kind: str) -> dict[str, Any]:
    found = items_of_kind(world, kind)
    assert len(found) == 1, found
    return found[0]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def assert_error(result: HttpResult, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert result.status == status, result.text
    body: dict[str, Any] = result.json
    assert body["errorCode"] == code
    assert body["applicationName"] == "customer-auth"
    if field is not None:
        assert {"name": "field", "value": field} in body["additionalErrorData"], body
    return body


def client_id(world: World, name: str = "full") -> str:
    return world.clients[name].client_id


def jwks_keys(world: World, path: str) -> dict[str, Any]:
    result = world.api.call("GET", path)
    assert result.status == 200, result.text
    return {key["kid"]: key for key in result.json["keys"]}


def verified_claims(world: World, token: str, jwks_path: str = "/.well-known/jwks.json") -> dict[str, Any]:
    header = jwt.get_unverified_header(token)
    key = jwt.PyJWK(jwks_keys(world, jwks_path)[header["kid"]])
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER)
    return claims


@pytest.fixture
def token(world: World) -> str:
    return world.app_token("full")


# -- the ticket -------------------------------------------------------------------------------------
def test_create_login_returns_a_full_ticket_with_the_tenant_default_lifetimes(
    world: World, token: str, clock: FrozenClock
) -> None:
    account_id = new_account(world, token, emailAddress=EMAIL)

    result = world.create_login(account_id, login_body(), token=token)

    assert result.status == 200, result.text
    ticket = result.json
    assert isinstance(ticket["accessToken"], str)
    assert len(ticket["accessToken"]) >= 43  # 256 bits, base64url
    assert isinstance(ticket["refreshToken"], str)
    assert len(ticket["refreshToken"]) >= 43
    assert ticket["accessToken"] != ticket["refreshToken"]
    assert ticket["accessTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=30))
    assert ticket["refreshTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=1440))
    assert USER_ID.fullmatch(ticket["userId"])
    assert ticket["jwtAccessToken"].count(".") == 2
    assert ticket["requires2FA"] is False
    account = ticket["customerAccount"]
    assert account["id"] == account_id
    assert account["isAnonymous"] is False
    assert account["userName"] == EMAIL
    assert account["userId"] == ticket["userId"]
    assert account["emailAddress"] == EMAIL
    assert account["hasExternalPassword"] is False
    assert account["auditInfo"]["updateBy"] == client_id(world)
    assert account["auditInfo"]["updateDate"] == kibo_time(clock.now)


def test_create_login_keeps_contacts_attributes_notes_segments_and_commerce_summary(
    world: World, token: str
) -> None:
    created = world.add_account(token, **RICH_ACCOUNT)

    result = world.create_login(created["id"], login_body(email="rich@example.com"), token=token)

    assert result.status == 200, result.text
    account = result.json["customerAccount"]
    for name in (
        "contacts",
        "attributes",
        "notes",
        "segments",
        "commerceSummary",
        "firstName",
        "lastName",
        "customerSinceDate",
    ):
        assert account[name] == created[name], name
    assert account["auditInfo"]["createBy"] == created["auditInfo"]["createBy"]
    assert account["auditInfo"]["createDate"] == created["auditInfo"]["createDate"]
    stored = world.api.call("GET", f"/api/commerce/customer/accounts/{created['id']}", token=token)
    assert stored.status == 200
    assert stored.json == account


def test_create_login_response_is_never_cached(world: World, token: str) -> None:
    account_id = new_account(world, token)

    result = world.create_login(account_id, login_body(), token=token)

    assert result.status == 200, result.text
    assert result.headers["cache-control"] == "no-store"
    assert result.headers["pragma"] == "no-cache"


def test_create_login_echoes_the_correlation_id_it_was_sent(world: World, token: str) -> None:
    account_id = new_account(world, token)

    result = world.create_login(
        account_id, login_body(), token=token, headers={"x-vol-correlation": "kibo-corr-1234"}
    )

    assert result.status == 200, result.text
    assert result.headers["x-vol-correlation"] == "kibo-corr-1234"


def test_create_login_generates_a_correlation_id_when_none_is_sent(world: World, token: str) -> None:
    first = world.create_login(new_account(world, token), login_body("one@example.com"), token=token)
    second = world.create_login(new_account(world, token), login_body("two@example.com"), token=token)

    assert first.status == second.status == 200
    assert first.headers["x-vol-correlation"]
    assert second.headers["x-vol-correlation"]
    assert first.headers["x-vol-correlation"] != second.headers["x-vol-correlation"]


def test_an_error_carries_the_same_correlation_id_in_header_and_body(world: World, token: str) -> None:
    result = world.create_login(
        2_000_000_000, login_body(), token=token, headers={"x-vol-correlation": "corr-for-an-error"}
    )

    body = assert_error(result, 404, "ITEM_NOT_FOUND", "accountId")
    assert result.headers["x-vol-correlation"] == "corr-for-an-error"
    assert body["correlationId"] == "corr-for-an-error"


# -- identifiers ------------------------------------------------------------------------------------
def test_username_defaults_to_the_email_and_is_one_identifier(world: World, token: str) -> None:
    ticket = create_login_ok(world, token, login_body("Mixed.Case@Example.com"))

    assert ticket["customerAccount"]["userName"] == "Mixed.Case@Example.com"
    identifier = one_item(world, "loginIdentifier")
    assert identifier["pk"] == f"LOGINID#{TENANT_ID}#mixed.case@example.com"
    assert identifier["field"] == "emailAddress"
    assert identifier["userId"] == ticket["userId"]


def test_a_separate_username_creates_an_identifier_item_for_each(world: World, token: str) -> None:
    ticket = create_login_ok(world, token, login_body(username="Shopper-One"), emailAddress=EMAIL)

    assert ticket["customerAccount"]["userName"] == "Shopper-One"
    assert ticket["customerAccount"]["emailAddress"] == EMAIL
    identifiers = {item["pk"]: item["field"] for item in items_of_kind(world, "loginIdentifier")}
    assert identifiers == {
        f"LOGINID#{TENANT_ID}#{EMAIL}": "emailAddress",
        f"LOGINID#{TENANT_ID}#shopper-one": "username",
    }
    login = one_item(world, "login")
    assert login["username"] == "Shopper-One"
    assert login["email"] == EMAIL


def test_a_guest_account_keeps_its_email_and_becomes_registered(world: World, token: str) -> None:
    guest = world.add_account(token, emailAddress="guest@example.com", isAnonymous=True)
    assert guest["isAnonymous"] is True

    result = world.create_login(guest["id"], login_body("login@example.com"), token=token)

    assert result.status == 200, result.text
    account = result.json["customerAccount"]
    assert account["isAnonymous"] is False
    assert account["emailAddress"] == "guest@example.com"
    assert account["userName"] == "login@example.com"
    assert one_item(world, "login")["email"] == "login@example.com"


def test_an_account_without_email_gets_the_login_email(world: World, token: str) -> None:
    account_id = world.add_account(token, emailAddress=None)["id"]

    result = world.create_login(account_id, login_body("new@example.com"), token=token)

    assert result.status == 200, result.text
    assert result.json["customerAccount"]["emailAddress"] == "new@example.com"


def test_a_username_alone_is_enough_when_the_account_has_an_email(world: World, token: str) -> None:
    ticket = create_login_ok(world, token, login_body(email=None, username="just-a-name"))

    assert ticket["customerAccount"]["userName"] == "just-a-name"
    assert ticket["customerAccount"]["emailAddress"] == "guest@example.com"


# -- requested lifetimes ----------------------------------------------------------------------------
def test_requested_lifetimes_are_granted_to_a_client_allowed_to_configure_them(
    world: World, token: str, clock: FrozenClock
) -> None:
    ticket = create_login_ok(world, token, login_body(authTicketTtlMinutes=90, refreshTokenTtlMinutes=4320))

    assert ticket["accessTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=90))
    assert ticket["refreshTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=4320))
    claims = verified_claims(world, ticket["jwtAccessToken"])
    assert claims["exp"] == int((clock.now + timedelta(minutes=90)).timestamp())


def test_the_tenant_maximum_lifetimes_are_accepted(world: World, token: str, clock: FrozenClock) -> None:
    ticket = create_login_ok(world, token, login_body(authTicketTtlMinutes=120, refreshTokenTtlMinutes=10080))

    assert ticket["accessTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=120))
    assert ticket["refreshTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=10080))


@pytest.mark.parametrize("field", ["authTicketTtlMinutes", "refreshTokenTtlMinutes"])
def test_requesting_a_lifetime_without_the_configure_behavior_is_forbidden(world: World, field: str) -> None:
    basic = world.app_token("basic")
    account_id = new_account(world, basic)
    before = world.scan()

    result = world.create_login(account_id, login_body(**{field: 30}), token=basic)

    assert_error(result, 403, "FORBIDDEN")
    assert world.scan() == before


def test_the_basic_client_may_create_a_login_with_the_default_lifetimes(world: World) -> None:
    basic = world.app_token("basic")

    ticket = create_login_ok(world, basic)

    assert ticket["customerAccount"]["auditInfo"]["updateBy"] == client_id(world, "basic")


@pytest.mark.parametrize(
    ("field", "requested", "cap", "whose"),
    [
        ("authTicketTtlMinutes", 121, "120", "tenant"),
        ("refreshTokenTtlMinutes", 10081, "10080", "tenant"),
        ("authTicketTtlMinutes", 1441, "1440", "platform"),
        ("refreshTokenTtlMinutes", 525601, "525600", "platform"),
    ],
)
def test_a_lifetime_above_the_tenant_or_platform_maximum_is_refused_naming_it(
    world: World, token: str, field: str, requested: int, cap: str, whose: str
) -> None:
    account_id = new_account(world, token)

    result = world.create_login(account_id, login_body(**{field: requested}), token=token)

    body = assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert cap in body["message"]
    assert whose in body["message"]


@pytest.mark.parametrize("field", ["authTicketTtlMinutes", "refreshTokenTtlMinutes"])
@pytest.mark.parametrize("requested", [0, -5])
def test_a_zero_or_negative_lifetime_is_refused(world: World, token: str, field: str, requested: int) -> None:
    account_id = new_account(world, token)

    result = world.create_login(account_id, login_body(**{field: requested}), token=token)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert items_of_kind(world, "login") == []


# -- the account must exist and have no login ------------------------------------------------------
def test_an_unknown_account_is_not_found(world: World, token: str) -> None:
    before = world.scan()

    result = world.create_login(123456, login_body(), token=token)

    assert_error(result, 404, "ITEM_NOT_FOUND", "accountId")
    assert world.scan() == before


def test_another_tenants_account_is_not_found(world: World, token: str) -> None:
    other = world.app_token("other")
    foreign = world.api.call(
        "POST",
        "/api/commerce/customer/accounts",
        {"emailAddress": "far@example.com"},
        token=other,
        headers={"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"},
    )
    assert foreign.status == 200, foreign.text
    before = world.scan()

    result = world.create_login(foreign.json["id"], login_body(), token=token)

    assert_error(result, 404, "ITEM_NOT_FOUND", "accountId")
    assert world.scan() == before


def test_an_account_that_already_has_a_login_is_a_conflict(world: World, token: str) -> None:
    account_id = new_account(world, token)
    assert world.create_login(account_id, login_body(), token=token).status == 200
    before = world.scan()

    result = world.create_login(account_id, login_body("second@example.com", username="second"), token=token)

    assert_error(result, 409, "VALIDATION_CONFLICT", "accountId")
    assert world.scan() == before


def test_an_email_used_by_another_login_is_a_conflict_whatever_its_case(world: World, token: str) -> None:
    create_login_ok(world, token, login_body("Taken@Example.com"))
    account_id = new_account(world, token)
    before = world.scan()

    result = world.create_login(
        account_id, login_body("taken@EXAMPLE.COM", username="someone-else"), token=token
    )

    assert_error(result, 409, "VALIDATION_CONFLICT", "emailAddress")
    assert world.scan() == before


def test_a_username_used_by_another_login_is_a_conflict(world: World, token: str) -> None:
    create_login_ok(world, token, login_body("first@example.com", username="shopper-one"))
    account_id = new_account(world, token)
    before = world.scan()

    result = world.create_login(
        account_id, login_body("second@example.com", username="SHOPPER-ONE"), token=token
    )

    assert_error(result, 409, "VALIDATION_CONFLICT", "username")
    assert world.scan() == before


# -- imported passwords -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "external_hash", [BCRYPT_HASH, ARGON2ID_HASH, DJANGO_HASH], ids=["bcrypt", "argon2id", "django-pbkdf2"]
)
def test_an_imported_password_hash_is_kept_and_flagged(world: World, token: str, external_hash: str) -> None:
    ticket = create_login_ok(
        world, token, login_body(password=None, externalPassword=external_hash, isImport=True)
    )

    assert ticket["customerAccount"]["hasExternalPassword"] is True
    login = one_item(world, "login")
    assert login["passwordIsExternal"] is True
    assert login["passwordHash"] == external_hash


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (login_body(password=None, externalPassword="$2b$12$tooshort", isImport=True), "externalPassword"),
        (login_body(password=None, externalPassword="md5$abc$def", isImport=True), "externalPassword"),
        (login_body(password=None, externalPassword=BCRYPT_HASH), "isImport"),
        (login_body(password=None, externalPassword=BCRYPT_HASH, isImport=False), "isImport"),
        (login_body(password=None, isImport=True), "externalPassword"),
        (login_body(externalPassword=BCRYPT_HASH, isImport=True), "password"),
    ],
    ids=[
        "malformed-bcrypt",
        "unknown-format",
        "no-isImport",
        "isImport-false",
        "isImport-without-hash",
        "password-and-hash",
    ],
)
def test_inconsistent_import_fields_are_refused(
    world: World, token: str, body: dict[str, Any], field: str
) -> None:
    account_id = new_account(world, token)
    before = world.scan()

    result = world.create_login(account_id, body, token=token)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert world.scan() == before


# -- responseFields ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expression",
    ["accessToken,customerAccount(id,emailAddress)", "ACCESSTOKEN, CustomerAccount(ID,EMAILADDRESS)"],
)
def test_response_fields_keep_only_the_named_fields(world: World, token: str, expression: str) -> None:
    account_id = new_account(world, token, emailAddress=EMAIL)

    result = world.create_login(account_id, login_body(), token=token, query={"responseFields": expression})

    assert result.status == 200, result.text
    body = result.json
    assert set(body) == {"accessToken", "customerAccount"}
    assert body["customerAccount"] == {"id": account_id, "emailAddress": EMAIL}
    assert result.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("expression", ["accessToken,customerAccount(id", "accessToken)", "(id)"])
def test_unbalanced_response_fields_are_refused_and_create_nothing(
    world: World, token: str, expression: str
) -> None:
    account_id = new_account(world, token)
    before = world.scan()

    result = world.create_login(account_id, login_body(), token=token, query={"responseFields": expression})

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "responseFields")
    assert world.scan() == before


# -- the JWT ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("jwks_path", ["/.well-known/jwks.json", "/api/platform/jwks"])
def test_the_jwt_verifies_with_the_published_keys_and_carries_kibos_claims(
    world: World, token: str, clock: FrozenClock, jwks_path: str
) -> None:
    account_id = new_account(world, token, emailAddress=EMAIL)
    ticket = world.create_login(account_id, login_body(), token=token).json

    header = jwt.get_unverified_header(ticket["jwtAccessToken"])
    claims = verified_claims(world, ticket["jwtAccessToken"], jwks_path)

    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    assert header["kid"] in jwks_keys(world, jwks_path)
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == ticket["userId"]
    assert USER_ID.fullmatch(claims["sid"])
    assert claims["jti"]
    assert claims["iat"] == claims["nbf"] == int(clock.now.timestamp())
    assert claims["exp"] == int(parse_time(ticket["accessTokenExpiration"]).timestamp())
    assert claims["tenant_id"] == TENANT_ID
    assert claims["site_id"] == SITE_ID
    assert claims["account_id"] == account_id
    user_claims = claims[KIBO_USER_CLAIMS]
    assert user_claims["uid"] == ticket["userId"]
    assert user_claims["anon"] == "0"
    assert user_claims["b.TenantId"] == str(TENANT_ID)
    assert user_claims["b.SiteId"] == str(SITE_ID)
    assert one_item(world, "session")["sid"] == claims["sid"]


def test_each_login_gets_its_own_user_id_session_and_jti(world: World, token: str) -> None:
    first = create_login_ok(world, token, login_body("a@example.com"))
    second = create_login_ok(world, token, login_body("b@example.com"))

    one, two = (verified_claims(world, t["jwtAccessToken"]) for t in (first, second))
    assert first["userId"] != second["userId"]
    assert one["sid"] != two["sid"]
    assert one["jti"] != two["jti"]


# -- what is stored ---------------------------------------------------------------------------------
def test_the_password_is_stored_only_as_an_argon2id_hash(world: World, token: str) -> None:
    create_login_ok(world, token)

    login = one_item(world, "login")
    assert login["passwordHash"].startswith("$argon2id$")
    assert login["passwordIsExternal"] is False
    assert PASSWORD not in json.dumps(world.scan())


def test_no_token_is_stored_only_its_sha256_digest(world: World, token: str) -> None:
    ticket = create_login_ok(world, token)

    dumped = json.dumps(world.scan())
    for secret in (ticket["accessToken"], ticket["refreshToken"], ticket["jwtAccessToken"]):
        assert secret not in dumped
    access = one_item(world, "accessToken")
    refresh = one_item(world, "refreshToken")
    session = one_item(world, "session")
    assert access["pk"] == f"ACCESS#{sha256(ticket['accessToken'])}"
    assert refresh["pk"] == f"REFRESH#{sha256(ticket['refreshToken'])}"
    assert session["accessTokenDigest"] == sha256(ticket["accessToken"])
    assert access["sid"] == refresh["sid"] == session["sid"]


def test_token_and_session_items_expire_with_the_tokens(world: World, token: str, clock: FrozenClock) -> None:
    ticket = create_login_ok(world, token, login_body(authTicketTtlMinutes=45, refreshTokenTtlMinutes=2880))

    access_end = int(parse_time(ticket["accessTokenExpiration"]).timestamp())
    refresh_end = int(parse_time(ticket["refreshTokenExpiration"]).timestamp())
    assert access_end == int((clock.now + timedelta(minutes=45)).timestamp())
    assert refresh_end == int((clock.now + timedelta(minutes=2880)).timestamp())
    assert one_item(world, "accessToken")["expiresAt"] == access_end
    assert one_item(world, "refreshToken")["expiresAt"] == refresh_end
    assert one_item(world, "session")["expiresAt"] == refresh_end


def test_the_login_account_and_identifiers_do_not_expire(world: World, token: str) -> None:
    create_login_ok(world, token)

    for kind in ("login", "account", "loginIdentifier"):
        for item in items_of_kind(world, kind):
            assert "expiresAt" not in item, kind
