"""Sign-in (docs/contract.md §7) through its Lambda handler: the ticket, one answer for every failure,
imported and weaker hashes upgraded, nothing written on failure, and no timing oracle."""

import base64
import hashlib
import statistics
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import bcrypt
import pytest
from argon2 import PasswordHasher

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import SignInPolicy
from customer_auth.passwords import Argon2idHasher
from tests.support.assertions import assert_error, kibo_time, ok
from tests.support.fixtures import OTHER_TENANT_ID, TENANT_ID, FrozenClock, HttpResult, World

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "incorrect horse battery staple"
EMAIL = "shopper@example.com"
USERNAME = "Shopper.Name"
SIGN_IN = "/api/commerce/customer/authtickets"
ACCOUNTS = "/api/commerce/customer/accounts"
CURRENT = "/api/commerce/customer/accounts/current"
OUR_HASH_PREFIX = "$argon2id$v=19$m=1024,t=1,p=1$"  # the test profile's parameters
FAILURE_FIELDS = {"failedAttempts", "firstFailedAt", "version", "updatedAt"}


# -- helpers ----------------------------------------------------------------------------------------
def registered(world: World, app: str, email: str = EMAIL, **login: Any) -> int:
    """A new account with a login (the password unless the body says otherwise); its id."""
    account_id: int = world.add_account(app, emailAddress=email)["id"]
    body = {"emailAddress": email, **login}
    if "externalPassword" not in login:
        body.setdefault("password", PASSWORD)
    ok(world.create_login(account_id, body, token=app))
    return account_id


def sign_in(
    world: World,
    app: str | None,
    username: Any = EMAIL,
    password: Any = PASSWORD,
    **extra: Any,
) -> HttpResult:
    headers = extra.pop("headers", None)
    query = extra.pop("query", None)
    body = {"username": username, "password": password, **extra}
    return world.api.call("POST", SIGN_IN, body, token=app, headers=headers, query=query)


def get_account(world: World, app: str, account_id: int) -> dict[str, Any]:
    return ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))


def set_locked(world: World, app: str, account_id: int, locked: bool) -> None:
    result = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", locked, token=app)
    assert result.status == 204, result.text


def login_key(account_id: int) -> dict[str, Any]:
    return {"pk": {"S": f"ACCOUNT#{TENANT_ID}#{account_id}"}, "sk": {"S": "LOGIN"}}


def stored_login(world: World, account_id: int) -> dict[str, Any]:
    item: dict[str, Any] = world.dynamodb.get_item(TableName=world.table_name, Key=login_key(account_id))[
        "Item"
    ]
    return item


def stored_hash(world: World, account_id: int) -> str:
    value: str = stored_login(world, account_id)["passwordHash"]["S"]
    return value


def store_hash(world: World, account_id: int, password_hash: str) -> None:
    world.dynamodb.update_item(
        TableName=world.table_name,
        Key=login_key(account_id),
        UpdateExpression="SET passwordHash = :hash",
        ExpressionAttributeValues={":hash": {"S": password_hash}},
    )


def without_correlation(result: HttpResult) -> dict[str, Any]:
    body: dict[str, Any] = result.json
    return {name: value for name, value in body.items() if name != "correlationId"}


def django_hash(password: str, iterations: int = 1000, salt: str = "pepperSalt42") -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def bcrypt_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()


def argon2id_hash(password: str) -> str:
    return PasswordHasher(time_cost=2, memory_cost=512, parallelism=1).hash(password)


def set_sign_in_policy(**policy: Any) -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, sign_in_policy=SignInPolicy(**policy)))


@pytest.fixture
def app(world: World) -> str:
    return world.app_token("full")


# -- the ticket -------------------------------------------------------------------------------------
def test_sign_in_with_the_email_returns_a_full_ticket_with_the_tenant_default_lifetimes(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id = registered(world, app)
    clock.advance(minutes=3)
    account = get_account(world, app, account_id)

    result = sign_in(world, app)

    ticket = ok(result)
    assert isinstance(ticket["accessToken"], str)
    assert len(ticket["accessToken"]) >= 43
    assert isinstance(ticket["refreshToken"], str)
    assert len(ticket["refreshToken"]) >= 43
    assert ticket["jwtAccessToken"].count(".") == 2
    assert ticket["accessTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=30))
    assert ticket["refreshTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=1440))
    assert ticket["requires2FA"] is False
    assert ticket["userId"] == account["userId"]
    assert ticket["customerAccount"] == account
    assert result.headers["cache-control"] == "no-store"
    assert result.headers["pragma"] == "no-cache"
    current = world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": ticket["accessToken"]})
    assert ok(current)["id"] == account_id


def test_sign_in_with_the_username_of_a_login_that_has_a_distinct_username(world: World, app: str) -> None:
    account_id = registered(world, app, username=USERNAME)

    ticket = ok(sign_in(world, app, username=USERNAME))

    assert ticket["customerAccount"]["id"] == account_id
    assert ticket["customerAccount"]["userName"] == USERNAME
    assert ok(sign_in(world, app, username=EMAIL))["customerAccount"]["id"] == account_id


@pytest.mark.parametrize(
    "identifier",
    ["SHOPPER@EXAMPLE.COM", "  Shopper@Example.com\t", "shopper.name", " SHOPPER.NAME  ", "\nShopper.Name"],
)
def test_identifiers_are_case_insensitive_and_trimmed(world: World, app: str, identifier: str) -> None:
    account_id = registered(world, app, username=USERNAME)

    ticket = ok(sign_in(world, app, username=identifier))

    assert ticket["customerAccount"]["id"] == account_id


def test_the_password_is_not_trimmed_nor_case_folded(world: World, app: str) -> None:
    registered(world, app)

    for password in (f" {PASSWORD}", f"{PASSWORD} ", PASSWORD.upper()):
        assert_error(sign_in(world, app, password=password), 401, "INVALID_CREDENTIALS")
    ok(sign_in(world, app))


def test_the_account_id_of_the_login_itself_is_accepted(world: World, app: str) -> None:
    account_id = registered(world, app)

    ticket = ok(sign_in(world, app, accountId=account_id))

    assert ticket["customerAccount"]["id"] == account_id


def test_response_fields_trim_the_ticket(world: World, app: str) -> None:
    account_id = registered(world, app)

    result = sign_in(world, app, query={"responseFields": "accessToken,customerAccount(id,emailAddress)"})

    ticket = ok(result)
    assert set(ticket) == {"accessToken", "customerAccount"}
    assert ticket["customerAccount"] == {"id": account_id, "emailAddress": EMAIL}
    assert result.headers["cache-control"] == "no-store"


# -- one answer for every failure -------------------------------------------------------------------
def test_unknown_user_wrong_password_and_locked_login_get_byte_identical_401s(world: World, app: str) -> None:
    registered(world, app)
    locked = registered(world, app, email="locked@example.com")
    set_locked(world, app, locked, True)
    headers = {"x-vol-correlation": "one-correlation-id"}

    unknown = sign_in(world, app, username="nobody@example.com", headers=headers)
    wrong = sign_in(world, app, password=WRONG_PASSWORD, headers=headers)
    locked_out = sign_in(world, app, username="locked@example.com", headers=headers)

    body = assert_error(unknown, 401, "INVALID_CREDENTIALS")
    assert body["correlationId"] == "one-correlation-id"
    assert wrong.status == locked_out.status == 401
    assert wrong.text == unknown.text
    assert locked_out.text == unknown.text
    assert "accessToken" not in unknown.text


def test_failures_differ_only_in_their_generated_correlation_ids(world: World, app: str) -> None:
    registered(world, app)
    locked = registered(world, app, email="locked@example.com")
    set_locked(world, app, locked, True)

    failures = [
        sign_in(world, app, username="nobody@example.com"),
        sign_in(world, app, password=WRONG_PASSWORD),
        sign_in(world, app, username="locked@example.com"),
    ]

    assert {failure.status for failure in failures} == {401}
    assert len({failure.json["correlationId"] for failure in failures}) == 3
    assert without_correlation(failures[1]) == without_correlation(failures[0])
    assert without_correlation(failures[2]) == without_correlation(failures[0])
    assert without_correlation(failures[0])["errorCode"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize(
    "which", ["another account with a login", "an account without a login", "no account"]
)
def test_an_account_id_that_is_not_the_logins_gets_the_same_401(world: World, app: str, which: str) -> None:
    registered(world, app)
    headers = {"x-vol-correlation": "corr-account-id"}
    if which == "another account with a login":
        account_id = registered(world, app, email="someone.else@example.com")
    elif which == "an account without a login":
        account_id = world.add_account(app, emailAddress="guest@example.com")["id"]
    else:
        account_id = 2_000_000_000
    reference = sign_in(world, app, username="nobody@example.com", headers=headers)

    result = sign_in(world, app, accountId=account_id, headers=headers)

    assert_error(result, 401, "INVALID_CREDENTIALS")
    assert result.text == reference.text


# -- bad requests -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "", "password": PASSWORD}, "username"),
        ({"username": None, "password": PASSWORD}, "username"),
        ({"username": EMAIL}, "password"),
        ({"username": EMAIL, "password": None}, "password"),
        ({}, "username"),
    ],
    ids=["no-username", "empty-username", "null-username", "no-password", "null-password", "empty-body"],
)
def test_a_missing_username_or_password_is_a_400_naming_it(
    world: World, app: str, body: dict[str, Any], field: str
) -> None:
    registered(world, app)

    result = world.api.call("POST", SIGN_IN, body, token=app)

    error = assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert field in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"username": 42, "password": PASSWORD},
        {"username": [EMAIL], "password": PASSWORD},
        {"username": EMAIL, "password": 12345678},
        {"username": EMAIL, "password": True},
        {"username": EMAIL, "password": PASSWORD, "accountId": "12"},
        {"username": EMAIL, "password": PASSWORD, "accountId": 1.5},
        {"username": EMAIL, "password": PASSWORD, "authTicketTtlMinutes": "30"},
        {"username": EMAIL, "password": PASSWORD, "refreshTokenTtlMinutes": 0},
        [EMAIL, PASSWORD],
        "username",
    ],
    ids=[
        "number-username",
        "list-username",
        "number-password",
        "boolean-password",
        "string-account-id",
        "float-account-id",
        "string-ttl",
        "zero-ttl",
        "list-body",
        "string-body",
    ],
)
def test_wrong_types_are_400(world: World, app: str, body: Any) -> None:
    registered(world, app)

    result = world.api.call("POST", SIGN_IN, body, token=app)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert "accessToken" not in result.text


def test_malformed_json_is_400(world: World, app: str) -> None:
    result = world.api.call("POST", SIGN_IN, token=app, raw_body=b'{"username": "x", ')

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")


# -- requested lifetimes ----------------------------------------------------------------------------
@pytest.mark.parametrize("ttl", [{"authTicketTtlMinutes": 60}, {"refreshTokenTtlMinutes": 60}])
def test_lifetimes_need_the_configure_token_durations_behavior(
    world: World, app: str, ttl: dict[str, int]
) -> None:
    registered(world, app)

    result = sign_in(world, world.app_token("basic"), **ttl)

    assert_error(result, 403, "FORBIDDEN")
    assert "accessToken" not in result.text


@pytest.mark.parametrize(
    ("ttl", "field", "cap"),
    [
        ({"authTicketTtlMinutes": 121}, "authTicketTtlMinutes", "120"),
        ({"refreshTokenTtlMinutes": 10081}, "refreshTokenTtlMinutes", "10080"),
    ],
)
def test_lifetimes_above_the_tenant_maximum_are_400_naming_the_cap(
    world: World, app: str, ttl: dict[str, int], field: str, cap: str
) -> None:
    registered(world, app)

    result = sign_in(world, app, **ttl)

    error = assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert cap in error["message"]


def test_requested_lifetimes_are_granted_to_a_client_that_may_configure_them(
    world: World, app: str, clock: FrozenClock
) -> None:
    registered(world, app)

    ticket = ok(sign_in(world, app, authTicketTtlMinutes=120, refreshTokenTtlMinutes=90))

    assert ticket["accessTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=120))
    assert ticket["refreshTokenExpiration"] == kibo_time(clock.now + timedelta(minutes=90))


# -- callers ----------------------------------------------------------------------------------------
def test_a_client_without_the_ticket_create_behavior_is_403(world: World, app: str) -> None:
    registered(world, app)

    result = sign_in(world, world.app_token("reader"))

    assert_error(result, 403, "FORBIDDEN")
    assert "accessToken" not in result.text


@pytest.mark.parametrize("token", [None, "not-a-jwt", "a.b.c"], ids=["none", "garbage", "fake-jwt"])
def test_no_valid_app_token_is_401(world: World, app: str, token: str | None) -> None:
    registered(world, app)

    result = sign_in(world, token)

    assert_error(result, 401, "UNAUTHORIZED")


def test_another_tenants_app_token_with_this_tenants_header_is_403(world: World, app: str) -> None:
    registered(world, app)

    result = sign_in(world, world.app_token("other"))

    assert_error(result, 403, "FORBIDDEN")


def test_another_tenants_client_cannot_sign_in_this_tenants_login(world: World, app: str) -> None:
    account_id = registered(world, app)
    other_tenant = {"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"}

    result = sign_in(world, world.app_token("other"), headers=other_tenant)
    with_account_id = sign_in(world, world.app_token("other"), accountId=account_id, headers=other_tenant)

    assert_error(result, 401, "INVALID_CREDENTIALS")
    assert_error(with_account_id, 401, "INVALID_CREDENTIALS")
    assert stored_login(world, account_id)["failedAttempts"]["N"] == "0"


# -- imported and weaker hashes ---------------------------------------------------------------------
IMPORTED = {"bcrypt": bcrypt_hash, "argon2id": argon2id_hash, "django-pbkdf2": django_hash}


@pytest.mark.parametrize("kind", list(IMPORTED))
def test_the_first_sign_in_replaces_an_imported_hash_with_ours(world: World, app: str, kind: str) -> None:
    imported = IMPORTED[kind](PASSWORD)
    account_id = registered(world, app, isImport=True, externalPassword=imported)
    assert stored_hash(world, account_id) == imported
    assert get_account(world, app, account_id)["hasExternalPassword"] is True

    ticket = ok(sign_in(world, app))

    login = stored_login(world, account_id)
    assert login["passwordHash"]["S"].startswith(OUR_HASH_PREFIX)
    assert login["passwordIsExternal"]["BOOL"] is False
    assert ticket["customerAccount"]["hasExternalPassword"] is False
    assert get_account(world, app, account_id)["hasExternalPassword"] is False
    assert ok(sign_in(world, app))["customerAccount"]["id"] == account_id  # with our hash now
    assert_error(sign_in(world, app, password=WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize("kind", list(IMPORTED))
def test_a_wrong_password_leaves_an_imported_hash_as_it_was(world: World, app: str, kind: str) -> None:
    imported = IMPORTED[kind](PASSWORD)
    account_id = registered(world, app, isImport=True, externalPassword=imported)

    result = sign_in(world, app, password=WRONG_PASSWORD)

    assert_error(result, 401, "INVALID_CREDENTIALS")
    login = stored_login(world, account_id)
    assert login["passwordHash"]["S"] == imported
    assert login["passwordIsExternal"]["BOOL"] is True
    assert get_account(world, app, account_id)["hasExternalPassword"] is True


def test_a_hash_made_with_weaker_parameters_is_rehashed_on_sign_in(world: World, app: str) -> None:
    account_id = registered(world, app)
    weak = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PASSWORD)
    assert weak.startswith("$argon2id$v=19$m=256,t=1,p=1$")
    store_hash(world, account_id, weak)

    ok(sign_in(world, app))

    upgraded = stored_hash(world, account_id)
    assert upgraded.startswith(OUR_HASH_PREFIX)
    assert stored_login(world, account_id)["passwordIsExternal"]["BOOL"] is False
    ok(sign_in(world, app))
    assert stored_hash(world, account_id) == upgraded  # current parameters: not hashed again


def test_a_wrong_password_leaves_a_weaker_hash_as_it_was(world: World, app: str) -> None:
    account_id = registered(world, app)
    weak = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PASSWORD)
    store_hash(world, account_id, weak)

    assert_error(sign_in(world, app, password=WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")

    assert stored_hash(world, account_id) == weak


# -- nothing written on failure ---------------------------------------------------------------------
@pytest.mark.parametrize("failure", ["unknown user", "account id of another account", "locked login"])
def test_a_failure_that_names_no_usable_login_writes_nothing(
    world: World, app: str, clock: FrozenClock, failure: str
) -> None:
    account_id = registered(world, app)
    other = registered(world, app, email="other@example.com")
    if failure == "locked login":
        set_locked(world, app, account_id, True)
    clock.advance(seconds=5)
    before = world.scan()

    if failure == "unknown user":
        result = sign_in(world, app, username="nobody@example.com")
    elif failure == "account id of another account":
        result = sign_in(world, app, password=WRONG_PASSWORD, accountId=other)
    else:
        result = sign_in(world, app, password=WRONG_PASSWORD)

    assert_error(result, 401, "INVALID_CREDENTIALS")
    assert world.scan() == before


def test_a_wrong_password_writes_only_the_logins_failure_count(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id = registered(world, app)
    clock.advance(seconds=5)
    before = {(item["pk"]["S"], item["sk"]["S"]): item for item in world.scan()}

    assert_error(sign_in(world, app, password=WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")

    after = {(item["pk"]["S"], item["sk"]["S"]): item for item in world.scan()}
    assert after.keys() == before.keys()
    changed = [key for key in after if after[key] != before[key]]
    assert changed == [(f"ACCOUNT#{TENANT_ID}#{account_id}", "LOGIN")]
    old, new = before[changed[0]], after[changed[0]]
    assert {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)} == FAILURE_FIELDS
    assert new["failedAttempts"] == {"N": "1"}


# -- timing -----------------------------------------------------------------------------------------
TIMING_ROUNDS = 6


def test_known_locked_imported_and_unknown_users_take_the_same_time_padded_to_one_floor(
    world: World, app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: every class of account answers a wrong password in the same time, whatever
    format it was imported in (Django PBKDF2 at 1,000,000 iterations took 250 ms against 35 ms),
    because every check is padded to one floor. The production floor (350 ms) covers the caps at
    one vCPU, as a Lambda function of 1,769 MB has; this machine's cores are shared, so the test
    sets the floor above what the slowest import costs here and now, and checks that the padding
    leaves no class apart. Interleaved rounds, medians."""
    imported = {
        "imported bcrypt (cost 10)": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(10)).decode(),
        "imported argon2id (argon2-cffi defaults)": PasswordHasher().hash(PASSWORD),
        "imported django (1,000,000 iterations)": django_hash(PASSWORD, iterations=1_000_000),
    }
    unpadded = Argon2idHasher("owasp", check_floor_seconds=0)
    slowest = 0.0
    for imported_hash in imported.values():
        started = time.perf_counter()
        assert not unpadded.verify(WRONG_PASSWORD, imported_hash, external=True)
        slowest = max(slowest, time.perf_counter() - started)
    production = Argon2idHasher("owasp", check_floor_seconds=max(0.35, 1.5 * slowest))
    monkeypatch.setattr(runtime, "_password_hasher", lambda: production)
    # Issue 16's refusal classes: a login whose untrusted clients are in a cooldown, and one whose
    # trusted fingerprint is (each locked by a single failure under a limit of 1).
    set_sign_in_policy(max_failed_attempts=1)
    registered(world, app, email="cooling@example.com")
    assert_error(sign_in(world, app, "cooling@example.com", WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")
    registered(world, app, email="device@example.com", fingerprint="trusted-device")
    device_failure = sign_in(world, app, "device@example.com", WRONG_PASSWORD, fingerprint="trusted-device")
    assert_error(device_failure, 401, "INVALID_CREDENTIALS")
    set_sign_in_policy(max_failed_attempts=100)
    known = registered(world, app)
    assert stored_hash(world, known).startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    locked = registered(world, app, email="locked@example.com")
    set_locked(world, app, locked, True)
    usernames = {
        "known": EMAIL,
        "locked": "locked@example.com",
        "unknown": "nobody@example.com",
        "untrusted cooldown": "cooling@example.com",
        "trusted device cooldown": "device@example.com",
    }
    fingerprints = {"trusted device cooldown": "trusted-device"}
    accounts = {"known": known}
    for n, (kind, imported_hash) in enumerate(imported.items()):
        usernames[kind] = f"imported{n}@example.com"
        accounts[kind] = registered(
            world, app, email=usernames[kind], isImport=True, externalPassword=imported_hash
        )

    def timed(kind: str) -> float:
        extra = {"fingerprint": fingerprints[kind]} if kind in fingerprints else {}
        started = time.perf_counter()
        result = sign_in(world, app, username=usernames[kind], password=WRONG_PASSWORD, **extra)
        elapsed = time.perf_counter() - started
        assert_error(result, 401, "INVALID_CREDENTIALS")
        return elapsed

    for kind in usernames:  # warm up every path (the dummy hash is made on first use)
        timed(kind)
    samples: dict[str, list[float]] = {kind: [] for kind in usernames}
    for _ in range(TIMING_ROUNDS):
        for kind in usernames:
            samples[kind].append(timed(kind))

    medians = {kind: statistics.median(times) * 1000 for kind, times in samples.items()}
    print(f"sign-in timing, floor {max(0.35, 1.5 * slowest) * 1000:.0f} ms (median ms): ", medians)
    ratio = max(medians.values()) / min(medians.values())
    assert ratio <= 1.2, f"the slowest class takes {ratio:.2f} times as long as the fastest: {medians}"
    for account_id in accounts.values():  # every wrong password counted; none locked a login
        state = ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))
        assert (state["failedLoginAttemptCount"], state["isLocked"]) == (TIMING_ROUNDS + 1, False)
