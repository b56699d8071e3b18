"""Regression tests for the independent security review (issue 15), each driven through the
handlers as the reviewer drove ``make run``: what an attacker sends, what the service answers,
and what it stores."""

import json
import logging
from dataclasses import replace
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import create_client, provision_tenant
from customer_auth.domain.kernel.identifiers import normalize_identifier
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from customer_auth.domain.tenants.tenant import Site
from tests.security.forge import DROP, resigned
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import ALL_BEHAVIORS, SITE_ID, TENANT_ID, Client, FrozenClock, HttpResult, World
from tools import operator

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "incorrect horse battery staple"
NEW_PASSWORD = "a brand new passphrase"
EMAIL = "review@example.com"
OAUTH = "/api/platform/applications/authtickets/oauth"
ACCOUNTS = "/api/commerce/customer/accounts"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = "/api/commerce/customer/authtickets/refresh"
CURRENT = "/api/commerce/customer/accounts/current"
ERROR_FIELDS = {"message", "applicationName", "errorCode", "additionalErrorData", "items", "correlationId"}


# -- helpers ----------------------------------------------------------------------------------------
@pytest.fixture
def app(world: World) -> str:
    return world.app_token("full")


def registered(world: World, app: str, email: str = EMAIL, **login: Any) -> int:
    account_id: int = world.add_account(app, emailAddress=email)["id"]
    body = {"emailAddress": email, **login}
    if "externalPassword" not in login:
        body.setdefault("password", PASSWORD)
    ok(world.create_login(account_id, body, token=app))
    return account_id


def sign_in(world: World, app: str, username: str = EMAIL, password: str = PASSWORD, **kw: Any) -> HttpResult:
    return world.api.call("POST", SIGN_IN, {"username": username, "password": password}, token=app, **kw)


def kibo_400(result: HttpResult, field: str) -> None:
    body = assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert set(body) == ERROR_FIELDS


def oauth_body(world: World) -> dict[str, str]:
    client = world.clients["full"]
    return {"client_id": client.client_id, "client_secret": client.secret, "grant_type": "client_credentials"}


# -- 2. no 500 for anything a client can send -------------------------------------------------------
UNICODE_DIGITS = ["²", "¹", "١٠٠", "１００", "100²"]
"""A superscript, Arabic-Indic and fullwidth digits: ``str.isdigit`` takes them all, and ``int``
takes some (``١٠٠`` is 100): none is an ASCII integer."""


@pytest.mark.parametrize("header", ["x-vol-tenant", "x-vol-site"])
@pytest.mark.parametrize("value", UNICODE_DIGITS)
@pytest.mark.parametrize("route", ["get account", "current account by jwt", "sign in"])
def test_a_unicode_digit_in_a_tenant_or_site_header_is_a_400_on_every_route(
    world: World, app: str, header: str, value: str, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    account_id = registered(world, app)
    ticket = ok(sign_in(world, app))
    before = world.scan()
    headers = {header: value}

    with caplog.at_level(logging.INFO):
        if route == "get account":
            result = world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app, headers=headers)
        elif route == "current account by jwt":
            result = world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"], headers=headers)
        else:
            result = sign_in(world, app, headers=headers)

    kibo_400(result, header)
    assert world.scan() == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_unicode_digit_tenant_with_any_bearer_is_a_400_not_a_500(world: World) -> None:
    result = world.api.call("GET", CURRENT, token="not-a-token", headers={"x-vol-tenant": "²"})

    assert result.status in (400, 401), result.text
    assert set(result.json) == ERROR_FIELDS


def nested(depth: int) -> bytes:
    return b'{"a":' + b"[" * depth + b"]" * depth + b"}"


def huge_integer(digits: int) -> bytes:
    return b'{"grant_type":"client_credentials","client_id":' + b"9" * digits + b"}"


@pytest.mark.parametrize(
    "body",
    [nested(50_000), nested(5_000), nested(40), huge_integer(5_000)],
    ids=["50k deep", "5k deep", "40 deep", "5k digits"],
)
def test_a_body_python_cannot_parse_is_a_400_on_the_open_oauth_route(
    world: World, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    before = world.scan()

    with caplog.at_level(logging.INFO):
        result = world.api.call("POST", OAUTH, raw_body=body)

    kibo_400(result, "body")
    assert world.scan() == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("body", [nested(50_000), huge_integer(5_000)], ids=["50k deep", "5k digits"])
@pytest.mark.parametrize("route", ["sign in", "add account", "change password", "refresh"])
def test_a_body_python_cannot_parse_is_a_400_on_every_route(
    world: World, app: str, body: bytes, route: str
) -> None:
    account_id = registered(world, app)
    before = world.scan()
    method, path = {
        "sign in": ("POST", SIGN_IN),
        "add account": ("POST", ACCOUNTS),
        "change password": ("POST", f"{ACCOUNTS}/{account_id}/Change-Password"),
        "refresh": ("PUT", REFRESH),
    }[route]

    result = world.api.call(method, path, token=app, raw_body=body)

    kibo_400(result, "body")
    assert world.scan() == before


def test_a_deep_but_sane_body_still_works(world: World) -> None:
    body = oauth_body(world)

    result = world.api.call("POST", OAUTH, body)

    assert ok(result)["access_token"]


def test_a_body_nested_to_the_limit_is_read(world: World) -> None:
    """The depth limit refuses only what is deeper than it: 32 levels still reach validation."""
    body = oauth_body(world)
    deep: Any = {}
    for _ in range(30):
        deep = {"x": deep}
    body_with_extra = {**body, "extra": deep}  # 32 levels with the outer object

    result = world.api.call("POST", OAUTH, body_with_extra)

    assert result.status != 400 or "nested" not in result.json["message"], result.text


# -- 1. Change-Password during a lock is no password oracle -----------------------------------------
def change_password(world: World, app: str, account_id: int, old: str, unlock: bool | None) -> HttpResult:
    query = {"unlockAccount": str(unlock).lower()} if unlock is not None else None
    body = {"oldPassword": old, "newPassword": NEW_PASSWORD}
    return world.api.call("POST", f"{ACCOUNTS}/{account_id}/Change-Password", body, token=app, query=query)


def without_correlation(result: HttpResult) -> tuple[int, dict[str, Any]]:
    body = {name: value for name, value in result.json.items() if name != "correlationId"}
    return result.status, body


def locked_by(world: World, app: str, account_id: int, how: str) -> None:
    if how == "operator":
        result = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", True, token=app)
        assert result.status == 204, result.text
    else:
        for _ in range(5):
            assert_error(sign_in(world, app, password=WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")
    state = ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))
    assert state["isLocked"] is True


@pytest.mark.parametrize("how", ["five failed sign-ins", "operator"])
@pytest.mark.parametrize("unlock", [None, False, True], ids=["no-unlockAccount", "false", "true"])
def test_during_a_lock_the_right_and_a_wrong_old_password_get_the_same_answer(
    world: World, app: str, how: str, unlock: bool | None
) -> None:
    account_id = registered(world, app)
    locked_by(world, app, account_id, how)
    before = world.scan()

    wrong = change_password(world, app, account_id, WRONG_PASSWORD, unlock)
    right = change_password(world, app, account_id, PASSWORD, unlock)

    assert without_correlation(wrong) == without_correlation(right)
    assert_error(right, 403, "FORBIDDEN")
    assert world.scan() == before


def test_guessing_through_change_password_with_unlock_account_never_lifts_an_operator_lock(
    world: World, app: str
) -> None:
    account_id = registered(world, app)
    locked_by(world, app, account_id, "operator")

    for attempt in range(20):
        assert_error(
            change_password(world, app, account_id, f"guess number {attempt}", True), 403, "FORBIDDEN"
        )
    result = change_password(world, app, account_id, PASSWORD, True)

    assert_error(result, 403, "FORBIDDEN")
    assert_error(sign_in(world, app), 401, "INVALID_CREDENTIALS")
    assert_error(sign_in(world, app, password=NEW_PASSWORD), 401, "INVALID_CREDENTIALS")


def test_a_wrong_old_password_outside_a_lock_counts_as_a_failed_sign_in_and_locks_at_the_limit(
    world: World, app: str
) -> None:
    account_id = registered(world, app)

    for _ in range(4):
        assert_error(
            change_password(world, app, account_id, WRONG_PASSWORD, True), 401, "INVALID_CREDENTIALS"
        )
    assert_error(sign_in(world, app, password=WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")  # the fifth

    state = ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))
    assert state["isLocked"] is True
    assert_error(change_password(world, app, account_id, PASSWORD, True), 403, "FORBIDDEN")


# -- 3. log out with a rotated refresh token is a reuse ---------------------------------------------
def refresh(world: World, app: str, refresh_token: str) -> HttpResult:
    return world.api.call("PUT", REFRESH, {"refreshToken": refresh_token}, token=app)


def log_out(world: World, app: str, refresh_token: str, scope: str) -> HttpResult:
    body = {"refreshToken": refresh_token}
    return world.api.call("DELETE", SIGN_IN, body, token=app, query={"scope": scope})


def current(world: World, app: str, access_token: str) -> HttpResult:
    return world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": access_token})


@pytest.mark.parametrize("scope", ["global", "local"])
def test_log_out_with_a_rotated_refresh_token_past_the_grace_window_is_a_reuse(
    world: World, app: str, clock: FrozenClock, scope: str
) -> None:
    registered(world, app)
    phone, laptop = ok(sign_in(world, app)), ok(sign_in(world, app))
    rotated = ok(refresh(world, app, phone["refreshToken"]))  # T1 -> T2
    clock.advance(seconds=11)  # past the default 10 s grace window

    result = log_out(world, app, phone["refreshToken"], scope)

    assert_error(result, 401, "INVALID_TOKEN")
    assert_error(refresh(world, app, rotated["refreshToken"]), 401, "INVALID_TOKEN")  # family revoked
    assert ok(current(world, app, laptop["accessToken"]))["emailAddress"] == EMAIL  # the other lives
    assert ok(refresh(world, app, laptop["refreshToken"]))["refreshToken"]


def test_log_out_with_the_parent_inside_the_grace_window_still_works(
    world: World, app: str, clock: FrozenClock
) -> None:
    """A client that lost the refresh's answer may still log out with the token it holds."""
    registered(world, app)
    ticket = ok(sign_in(world, app))
    rotated = ok(refresh(world, app, ticket["refreshToken"]))
    clock.advance(seconds=5)

    assert log_out(world, app, ticket["refreshToken"], "local").status == 204
    assert_error(refresh(world, app, rotated["refreshToken"]), 401, "INVALID_TOKEN")


# -- 5. site scope after sign-in --------------------------------------------------------------------
SECOND_SITE = 201
AT_SECOND_SITE = {"x-vol-site": str(SECOND_SITE)}


@pytest.fixture
def second_site(world: World) -> str:
    """The tenant gets a second site and a client scoped to it; that client's app token."""
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, sites=(*tenant.sites, Site(SECOND_SITE, "Acme CA"))))
    client, secret = create_client(
        store, tenant_id=TENANT_ID, name="site-two", behaviors=ALL_BEHAVIORS, site_id=SECOND_SITE
    )
    world.clients["site-two"] = Client(client.client_id, secret)
    return world.app_token("site-two")


def test_a_client_of_another_site_cannot_refresh_log_out_or_read_a_session(
    world: World, app: str, second_site: str
) -> None:
    registered(world, app)
    ticket = ok(sign_in(world, app))  # a session of site 200
    before = world.scan()

    refreshed = world.api.call(
        "PUT", REFRESH, {"refreshToken": ticket["refreshToken"]}, token=second_site, headers=AT_SECOND_SITE
    )
    logged_out = world.api.call(
        "DELETE",
        SIGN_IN,
        {"refreshToken": ticket["refreshToken"]},
        token=second_site,
        headers=AT_SECOND_SITE,
        query={"scope": "global"},
    )
    read = world.api.call(
        "GET",
        CURRENT,
        token=second_site,
        headers={**AT_SECOND_SITE, "x-vol-user-claims": ticket["accessToken"]},
    )
    read_without_header = world.api.call(
        "GET",
        CURRENT,
        token=second_site,
        headers={"x-vol-site": "", "x-vol-user-claims": ticket["accessToken"]},
    )

    assert_error(refreshed, 401, "INVALID_TOKEN")
    assert_error(logged_out, 401, "INVALID_TOKEN")
    assert_error(read, 401, "UNAUTHORIZED")
    assert_error(read_without_header, 401, "UNAUTHORIZED")
    assert world.scan() == before  # nothing revoked: the session is simply out of this client's reach
    assert ok(refresh(world, app, ticket["refreshToken"]))["refreshToken"]  # its own site still can


def test_a_client_acts_on_its_own_sites_sessions(world: World, app: str, second_site: str) -> None:
    registered(world, app)
    ticket = ok(sign_in(world, second_site, headers=AT_SECOND_SITE))

    read = world.api.call(
        "GET",
        CURRENT,
        token=second_site,
        headers={**AT_SECOND_SITE, "x-vol-user-claims": ticket["accessToken"]},
    )
    refreshed = world.api.call(
        "PUT", REFRESH, {"refreshToken": ticket["refreshToken"]}, token=second_site, headers=AT_SECOND_SITE
    )

    assert ok(read)["emailAddress"] == EMAIL
    assert ok(refreshed)["refreshToken"]


def test_a_tenant_wide_client_naming_a_site_acts_only_on_that_sites_sessions(
    world: World, app: str, second_site: str
) -> None:
    account_id = registered(world, app)
    ticket = ok(sign_in(world, app))  # site 200
    old_token_new_site = world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app, headers=AT_SECOND_SITE)
    app = world.app_token("full")  # the tenant's sites as they are now: 201 is one of them

    other_site = world.api.call(
        "PUT", REFRESH, {"refreshToken": ticket["refreshToken"]}, token=app, headers=AT_SECOND_SITE
    )
    no_site = world.api.call(
        "PUT", REFRESH, {"refreshToken": ticket["refreshToken"]}, token=app, headers={"x-vol-site": ""}
    )

    assert_error(old_token_new_site, 403, "FORBIDDEN")  # minted before the site was added
    assert_error(other_site, 401, "INVALID_TOKEN")
    assert ok(no_site)["refreshToken"]  # without a site, a tenant-wide client acts in the whole tenant


@pytest.mark.parametrize("site", ["400", "9999"], ids=["another tenant's site", "no such site"])
@pytest.mark.parametrize("route", ["get account", "add account", "login state", "current account", "sign in"])
def test_a_site_header_that_is_no_site_of_the_tenant_is_403_on_every_route(
    world: World, app: str, site: str, route: str
) -> None:
    account_id = registered(world, app)
    ticket = ok(sign_in(world, app))
    before = world.scan()
    headers = {"x-vol-site": site}

    if route == "get account":
        result = world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app, headers=headers)
    elif route == "add account":
        result = world.api.call(
            "POST", ACCOUNTS, {"emailAddress": "new@example.com"}, token=app, headers=headers
        )
    elif route == "login state":
        result = world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app, headers=headers)
    elif route == "current account":
        result = world.api.call(
            "GET", CURRENT, token=app, headers={**headers, "x-vol-user-claims": ticket["accessToken"]}
        )
    else:
        result = sign_in(world, app, headers=headers)

    assert_error(result, 403, "FORBIDDEN")
    assert world.scan() == before


@pytest.mark.parametrize("site", ["400", "9999", str(SECOND_SITE)])
def test_a_shopper_jwt_with_a_site_header_that_is_not_its_sessions_is_403(
    world: World, app: str, second_site: str, site: str
) -> None:
    registered(world, app)
    ticket = ok(sign_in(world, app))

    result = world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"], headers={"x-vol-site": site})
    same_site = world.api.call(
        "GET", CURRENT, token=ticket["jwtAccessToken"], headers={"x-vol-site": str(SITE_ID)}
    )

    assert_error(result, 403, "FORBIDDEN")
    assert ok(same_site)["emailAddress"] == EMAIL


# -- 4. identifiers under one normalisation ---------------------------------------------------------
COMPOSED = "jos\u00e9.review@example.com"  # é as one code point (NFC)
DECOMPOSED = "jose\u0301.review@example.com"  # e + combining acute (NFD): renders the same


def new_account(world: World, app: str) -> int:
    account_id: int = world.add_account(app, emailAddress="guest@example.com")["id"]
    return account_id


@pytest.mark.parametrize(
    ("first", "second"),
    [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED), ("JOS\u00c9.Review@Example.com", DECOMPOSED)],
    ids=["nfc then nfd", "nfd then nfc", "upper nfc then nfd"],
)
def test_an_email_spelled_composed_or_decomposed_is_one_login(
    world: World, app: str, first: str, second: str
) -> None:
    account_id = registered(world, app, email=first)
    other = new_account(world, app)
    before = world.scan()

    duplicate = world.create_login(other, {"emailAddress": second, "password": PASSWORD}, token=app)

    assert_error(duplicate, 409, "VALIDATION_CONFLICT", "emailAddress")
    assert world.scan() == before
    assert ok(sign_in(world, app, username=second))["customerAccount"]["id"] == account_id


@pytest.mark.parametrize(
    "look_alike",
    ["\uff41\uff44\uff4d\uff49\uff4e.review", "\uff21\uff24\uff2d\uff29\uff2e.REVIEW", "admin.review\u3000"],
    ids=["fullwidth", "fullwidth upper", "ideographic space"],
)
def test_a_fullwidth_username_is_the_same_username(world: World, app: str, look_alike: str) -> None:
    account_id = registered(world, app, username="admin.review")
    other = new_account(world, app)
    body = {"emailAddress": "second@example.com", "username": look_alike, "password": PASSWORD}

    duplicate = world.create_login(other, body, token=app)

    assert_error(duplicate, 409, "VALIDATION_CONFLICT", "username")
    assert ok(sign_in(world, app, username=look_alike))["customerAccount"]["id"] == account_id


def test_a_decomposed_email_is_kept_composed(world: World, app: str) -> None:
    account_id = registered(world, app, email=DECOMPOSED)

    account = ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))

    assert account["userName"] == COMPOSED  # the login's username, which defaults to its email


@pytest.mark.parametrize(
    "username", ["admin\u200b.review", "\u202eweiver.nimda", "admin\u200d.review", "admin\u2066.review"]
)
def test_zero_width_and_bidi_controls_are_still_refused(world: World, app: str, username: str) -> None:
    account_id = new_account(world, app)
    before = world.scan()

    result = world.create_login(
        account_id,
        {"emailAddress": "third@example.com", "username": username, "password": PASSWORD},
        token=app,
    )

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "username")
    assert world.scan() == before


# -- 6. imported hashes within the work the equal-cost floor covers ---------------------------------
@pytest.mark.parametrize(
    ("external", "cap"),
    [
        ("pbkdf2_sha256$1000001$seasalt$" + "A" * 43 + "=", "1,000,000 iterations"),
        ("$2b$13$" + "a" * 53, "cost at most 12"),
        ("$argon2id$v=19$m=131072,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "64 MiB"),
        ("$argon2id$v=19$m=65536,t=5,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "256 MiB x passes"),
    ],
    ids=["django above 1,000,000", "bcrypt above 12", "argon2 above 64 MiB", "argon2 above 64 MiB x 4"],
)
def test_an_import_costlier_than_the_floor_covers_is_refused_naming_the_cap(
    world: World, app: str, external: str, cap: str
) -> None:
    account_id = new_account(world, app)
    before = world.scan()

    result = world.create_login(
        account_id, {"emailAddress": EMAIL, "externalPassword": external, "isImport": True}, token=app
    )

    body = assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "externalPassword")
    assert cap in body["message"]
    assert world.scan() == before


def report_of(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The operator's JSON report (the handlers' one-line metric records may precede it)."""
    out = capsys.readouterr().out
    report: dict[str, Any] = json.loads(out[out.index("{\n") :])
    return report


def legacy_keyed(world: World, account_id: int, identifier: str) -> None:
    """Re-key the login's reservation as the code before issue 15 made it: strip().casefold()."""
    new, old = (
        f"LOGINID#{TENANT_ID}#{normalize_identifier(identifier)}",
        f"LOGINID#{TENANT_ID}#{identifier.strip().casefold()}",
    )
    key = {"pk": {"S": new}, "sk": {"S": "LOGINID"}}
    item = world.dynamodb.get_item(TableName=world.table_name, Key=key)["Item"]
    assert item["accountId"] == {"N": str(account_id)}
    world.dynamodb.delete_item(TableName=world.table_name, Key=key)
    world.dynamodb.put_item(TableName=world.table_name, Item={**item, "pk": {"S": old}})


def test_the_operator_re_keys_identifiers_stored_before_normalization(
    world: World, app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fullwidth = "\uff41\uff44\uff4d\uff49\uff4e.legacy"
    legacy = registered(world, app, email="legacy@example.com", username=fullwidth)
    ascii_only = registered(world, app, email="plain@example.com")
    legacy_keyed(world, legacy, fullwidth)
    assert_error(sign_in(world, app, username=fullwidth), 401, "INVALID_CREDENTIALS")  # after deploy

    code = operator.main(
        ["--table", world.table_name, "identifiers", "renormalize", "--tenant-id", str(TENANT_ID)]
    )

    report = report_of(capsys)
    assert code == 0
    assert (report["rekeyed"], report["conflicts"]) == (1, [])
    assert ok(sign_in(world, app, username=fullwidth))["customerAccount"]["id"] == legacy
    assert ok(sign_in(world, app, username="ADMIN.legacy"))["customerAccount"]["id"] == legacy
    assert ok(sign_in(world, app, username="plain@example.com"))["customerAccount"]["id"] == ascii_only
    capsys.readouterr()
    again = operator.main(["--table", world.table_name, "identifiers", "renormalize"])
    assert again == 0
    assert report_of(capsys)["rekeyed"] == 0  # nothing left to move


def test_the_operator_reports_look_alike_pairs_and_leaves_them(
    world: World, app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = registered(world, app, email=COMPOSED)
    other = registered(world, app, email="other.review@example.com", username="placeholder.user")
    # Before issue 15 the decomposed spelling was a second login: make it one, keyed the old way.
    world.dynamodb.update_item(
        TableName=world.table_name,
        Key={"pk": {"S": f"ACCOUNT#{TENANT_ID}#{other}"}, "sk": {"S": "LOGIN"}},
        UpdateExpression="SET email = :email",
        ExpressionAttributeValues={":email": {"S": DECOMPOSED}},
    )
    old_key = {"pk": {"S": f"LOGINID#{TENANT_ID}#{DECOMPOSED.casefold()}"}, "sk": {"S": "LOGINID"}}
    world.dynamodb.put_item(
        TableName=world.table_name,
        Item={
            **old_key,
            "kind": {"S": "loginIdentifier"},
            "accountId": {"N": str(other)},
            "field": {"S": "emailAddress"},
        },
    )

    code = operator.main(["--table", world.table_name, "identifiers", "renormalize"])

    report = report_of(capsys)
    assert code == 3
    assert report["conflicts"] == [
        {"tenantId": TENANT_ID, "accountId": other, "field": "emailAddress", "heldByAccountId": holder}
    ]
    assert ok(sign_in(world, app, username=DECOMPOSED))["customerAccount"]["id"] == holder
    assert ok(sign_in(world, app, username="placeholder.user"))["customerAccount"]["id"] == other


def test_a_client_of_another_site_cannot_run_a_waiting_sessions_second_factor(
    world: World, app: str, second_site: str
) -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(always=True)))
    registered(world, app)
    waiting = ok(sign_in(world, app))  # site 200, waiting for its code
    assert waiting["requires2FA"] is True
    claims = {"x-vol-user-claims": waiting["accessToken"], **AT_SECOND_SITE}
    before = world.scan()

    requested = world.api.call("POST", f"{SIGN_IN}/2fa/request", token=second_site, headers=claims)
    verified = world.api.call(
        "POST",
        f"{SIGN_IN}/2fa/auth",
        {"userId": waiting["userId"], "otpCode": "123456"},
        token=second_site,
        headers=claims,
    )

    assert_error(requested, 401, "UNAUTHORIZED")
    assert_error(verified, 401, "UNAUTHORIZED")
    assert world.scan() == before
    assert world.mailer.codes() == []


def test_an_app_token_without_the_tenants_sites_is_refused(world: World, app: str) -> None:
    """Tokens minted before the sites were carried: the client is sent back for a new one."""
    account_id = registered(world, app)
    stale = resigned(app, claim_changes={"sites": DROP})

    result = world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=stale)

    assert_error(result, 401, "UNAUTHORIZED")
    assert ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=resigned(app)))["id"] == account_id
