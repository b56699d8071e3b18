"""Create-Login's domain logic on an in-memory store: the ports and adapters seam."""

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from customer_auth.domain.accounts.records import LoginContext, StoredAccount
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.kernel.errors import (
    ConcurrentUpdate,
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    Unavailable,
)
from customer_auth.domain.logins.login import Login
from customer_auth.domain.sessions.records import RefreshToken, Session
from customer_auth.domain.sessions.starter import SessionStarter
from customer_auth.domain.signin.records import NewLogin
from customer_auth.domain.signin.registration import LoginService
from customer_auth.domain.tenants.policies import TokenPolicy
from customer_auth.domain.tenants.tenant import Site, Tenant
from customer_auth.models.account import AuditInfo, CustomerAccount
from customer_auth.models.auth import CustomerLoginInfo
from customer_auth.tokens.jwt import JwtCodec
from customer_auth.tokens.keys import key_set_from_secret
from customer_auth.tokens.opaque import token_digest

DAY = 24 * 60
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CALLER = Caller("app", 100, None, frozenset({"customer-auth:login:create"}))
TENANT = Tenant(100, "Acme", sites=(Site(200, "US"),))


@dataclass
class InMemoryStore:
    accounts: dict[int, StoredAccount] = field(default_factory=dict)
    logins: dict[int, NewLogin] = field(default_factory=dict)
    races_to_lose: int = 0

    def load_login(self, tenant_id: int, account_id: int) -> LoginContext:
        written = self.logins.get(account_id)
        return LoginContext(self.accounts.get(account_id), written.login if written else None, TENANT)

    def get_tenant(self, tenant_id: int) -> Tenant | None:
        return TENANT

    def create_login(self, new_login: NewLogin) -> None:
        if self.races_to_lose:
            self.races_to_lose -= 1
            raise ConcurrentUpdate()
        if new_login.login.account_id in self.logins:
            raise Conflict("exists", field="accountId")
        self.logins[new_login.login.account_id] = new_login


class CountingHasher:
    calls = 0

    def hash(self, password: str) -> str:
        self.calls += 1
        return f"hashed:{len(password)}"


def service(store: InMemoryStore, hasher: CountingHasher) -> LoginService:
    keys = key_set_from_secret(json.dumps({"seed": "s" * 40}))
    return LoginService(store, store, hasher, SessionStarter(JwtCodec(keys, "iss", "aud")), lambda: NOW)  # type: ignore[arg-type]


def guest(account_id: int = 1) -> StoredAccount:
    return StoredAccount(100, CustomerAccount(id=account_id, email_address="guest@example.com"), version=1)


INFO = CustomerLoginInfo(email_address="ada@example.com", password="a long passphrase")


def test_a_guest_becomes_registered_and_its_first_session_starts() -> None:
    store, hasher = InMemoryStore({1: guest()}), CountingHasher()
    ticket = service(store, hasher).create_login(CALLER, 200, 1, INFO)
    assert ticket.customer_account.is_anonymous is False
    assert ticket.customer_account.user_name == "ada@example.com"
    assert ticket.customer_account.email_address == "guest@example.com"
    assert store.logins[1].login.password_hash == "hashed:17"
    assert store.logins[1].session.site_id == 200
    assert ticket.access_token_expiration == NOW.replace(hour=13)


def test_a_lost_race_on_the_account_version_is_retried_and_hashes_once() -> None:
    store, hasher = InMemoryStore({1: guest()}, races_to_lose=2), CountingHasher()
    service(store, hasher).create_login(CALLER, None, 1, INFO)
    assert 1 in store.logins
    assert hasher.calls == 1


@pytest.mark.parametrize(
    ("store", "site_id", "error"),
    [
        (InMemoryStore(), None, NotFound),
        (InMemoryStore({1: guest()}), 999, Forbidden),
    ],
    ids=["unknown-account", "site-of-another-tenant"],
)
def test_refusals_happen_before_the_password_is_hashed(
    store: InMemoryStore, site_id: int | None, error: type[Exception]
) -> None:
    hasher = CountingHasher()
    with pytest.raises(error):
        service(store, hasher).create_login(CALLER, site_id, 1, INFO)
    assert hasher.calls == 0
    assert store.logins == {}


def test_an_account_that_has_a_login_is_a_conflict_before_hashing() -> None:
    store, hasher = InMemoryStore({1: guest()}), CountingHasher()
    service(store, hasher).create_login(CALLER, None, 1, INFO)
    with pytest.raises(Conflict):
        service(store, hasher).create_login(CALLER, None, 1, INFO)
    assert hasher.calls == 1


def test_asking_for_durations_without_the_behavior_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        service(InMemoryStore({1: guest()}), CountingHasher()).create_login(
            CALLER, None, 1, INFO.model_copy(update={"auth_ticket_ttl_minutes": 5})
        )


# -- Create-Login against a fake store that honours the atomic-write rules of AccountStore -----

FIXED_NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
EARLIER = FIXED_NOW - timedelta(days=3)
CODEC = JwtCodec(
    key_set_from_secret(json.dumps({"seed": "login-service-tests-" + "k" * 48})),
    "https://customer-auth.test",
    "customer-auth",
)
ACME = Tenant(
    100,
    "Acme",
    sites=(Site(200, "US"), Site(201, "EU")),
    token_policy=TokenPolicy(
        access_default_minutes=60,
        access_max_minutes=120,
        refresh_default_minutes=DAY,
        refresh_max_minutes=7 * DAY,
    ),
)
GLOBEX = Tenant(300, "Globex", sites=(Site(400, "UK"),))
STOREFRONT = Caller("storefront", ACME.id, None, frozenset({Behavior.LOGIN_CREATE.value}))
BACKOFFICE = Caller(
    "backoffice",
    ACME.id,
    None,
    frozenset({Behavior.LOGIN_CREATE.value, Behavior.CONFIGURE_TOKEN_DURATIONS.value}),
)
BCRYPT_HASH = "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m"

Interleaved = Callable[["FakeAccountStore"], None]


@dataclass
class FakeAccountStore:
    """The AccountStore protocol in memory, with DynamoStore's all-or-nothing Create-Login rules."""

    tenants: dict[int, Tenant] = field(default_factory=lambda: {ACME.id: ACME, GLOBEX.id: GLOBEX})
    accounts: dict[tuple[int, int], StoredAccount] = field(default_factory=dict)
    logins: dict[tuple[int, int], Login] = field(default_factory=dict)
    identifiers: dict[tuple[int, str], int] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    interleaved: list[Interleaved] = field(default_factory=list)
    """Other writers that run, one per attempt, between this request's read and its write."""
    write_attempts: int = 0

    def get_tenant(self, tenant_id: int) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def insert_account(self, tenant_id: int, account: CustomerAccount) -> bool:
        if (tenant_id, account.id) in self.accounts:
            return False
        self.accounts[(tenant_id, account.id)] = StoredAccount(tenant_id, account, version=1)
        return True

    def get_account(self, tenant_id: int, account_id: int) -> StoredAccount | None:
        return self.accounts.get((tenant_id, account_id))

    def load_login(self, tenant_id: int, account_id: int) -> LoginContext:
        return LoginContext(
            account=self.accounts.get((tenant_id, account_id)),
            login=self.logins.get((tenant_id, account_id)),
            tenant=self.tenants.get(tenant_id),
        )

    def create_login(self, new_login: NewLogin) -> None:
        self.write_attempts += 1
        if self.interleaved:
            self.interleaved.pop(0)(self)
        login = new_login.login
        key = (login.tenant_id, login.account_id)
        if key in self.logins:
            raise Conflict(f"Account {login.account_id} already has a login.", field="accountId")
        for normalized, identifier_field in new_login.identifier_fields.items():
            if (login.tenant_id, normalized) in self.identifiers:
                raise Conflict(f"The {identifier_field} is already used.", field=identifier_field)
        current = self.accounts.get(key)
        if current is None or current.version != new_login.account_before.version:
            raise ConcurrentUpdate()
        # Every condition holds: the whole write lands at once.
        self.accounts[key] = StoredAccount(login.tenant_id, new_login.account_after, current.version + 1)
        self.logins[key] = login
        for normalized in new_login.identifier_fields:
            self.identifiers[(login.tenant_id, normalized)] = login.account_id
        self.sessions[new_login.session.sid] = new_login.session
        self.refresh_tokens[new_login.refresh_token.digest] = new_login.refresh_token

    # -- seeding and observing --
    def add_guest(self, account_id: int, tenant_id: int = ACME.id, **fields: Any) -> None:
        account = CustomerAccount(
            id=account_id,
            first_name="Grace",
            audit_info=AuditInfo(
                create_date=EARLIER, create_by="storefront", update_date=EARLIER, update_by="storefront"
            ),
            **fields,
        )
        assert self.insert_account(tenant_id, account)

    def stored(self, account_id: int, tenant_id: int = ACME.id) -> StoredAccount:
        return self.accounts[(tenant_id, account_id)]

    def nothing_written_for(self, account_id: int, tenant_id: int = ACME.id) -> bool:
        stored = self.accounts.get((tenant_id, account_id))
        return (
            (tenant_id, account_id) not in self.logins
            and account_id not in self.identifiers.values()
            and all(s.account_id != account_id for s in self.sessions.values())
            and (stored is None or (stored.version == 1 and stored.account.is_anonymous))
        )


class RecordingHasher:
    def __init__(self) -> None:
        self.passwords: list[str] = []

    @property
    def calls(self) -> int:
        return len(self.passwords)

    def hash(self, password: str) -> str:
        self.passwords.append(password)
        return f"fake-argon2id:{len(self.passwords)}"


def login_service(store: FakeAccountStore, hasher: RecordingHasher | None = None) -> LoginService:
    return LoginService(store, store, hasher or RecordingHasher(), SessionStarter(CODEC), lambda: FIXED_NOW)


def login_info(**fields: Any) -> CustomerLoginInfo:
    return CustomerLoginInfo(
        **{"email_address": "ada@example.com", "password": "correct horse battery", **fields}
    )


def store_with_guest(**fields: Any) -> FakeAccountStore:
    store = FakeAccountStore()
    store.add_guest(1, **fields)
    return store


def concurrent_update(account_id: int, **changes: Any) -> Interleaved:
    """Another request updating the account (say, its name) after we read it."""

    def update(store: FakeAccountStore) -> None:
        current = store.stored(account_id)
        store.accounts[(current.tenant_id, account_id)] = StoredAccount(
            current.tenant_id, current.account.model_copy(update=changes), current.version + 1
        )

    return update


def concurrent_create_login(account_id: int, info: CustomerLoginInfo) -> Interleaved:
    """Another Create-Login for the same account that commits first."""

    def create(store: FakeAccountStore) -> None:
        login_service(store).create_login(STOREFRONT, None, account_id, info)

    return create


# guest upgrade


def test_create_login_turns_a_guest_without_email_into_a_registered_account() -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    ticket = login_service(store, hasher).create_login(
        STOREFRONT, 200, 1, login_info(email_address="Ada@Example.com", username="AdaL")
    )
    account = ticket.customer_account
    login = store.logins[(100, 1)]
    assert account.is_anonymous is False
    assert re.fullmatch(r"[0-9a-f]{32}", account.user_id or "")
    assert account.user_id == ticket.user_id == login.user_id
    assert account.user_name == "AdaL"
    assert account.email_address == "Ada@Example.com"
    assert account.has_external_password is False
    assert account.audit_info.update_by == "storefront"
    assert account.audit_info.update_date == FIXED_NOW
    assert (account.audit_info.create_by, account.audit_info.create_date) == ("storefront", EARLIER)
    assert (account.id, account.first_name) == (1, "Grace")
    assert store.stored(1) == StoredAccount(100, account, version=2)


def test_a_guest_that_has_an_email_keeps_it_and_the_login_uses_it_when_none_is_given() -> None:
    store = store_with_guest(email_address="grace@example.com")
    ticket = login_service(store).create_login(
        STOREFRONT, None, 1, login_info(email_address=None, username="grace")
    )
    assert ticket.customer_account.email_address == "grace@example.com"
    assert store.logins[(100, 1)].email == "grace@example.com"
    assert store.identifiers == {(100, "grace@example.com"): 1, (100, "grace"): 1}


def test_without_a_username_the_email_is_the_username_and_one_identifier() -> None:
    store = store_with_guest()
    ticket = login_service(store).create_login(STOREFRONT, None, 1, login_info())
    assert ticket.customer_account.user_name == "ada@example.com"
    assert store.identifiers == {(100, "ada@example.com"): 1}


def test_the_login_holds_the_hash_and_the_ticket_holds_tokens_of_the_stored_session() -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    ticket = login_service(store, hasher).create_login(STOREFRONT, 200, 1, login_info())
    login = store.logins[(100, 1)]
    assert hasher.passwords == ["correct horse battery"]
    assert (login.password_hash, login.password_is_external) == ("fake-argon2id:1", False)
    assert login.created_at == FIXED_NOW
    assert ticket.access_token_expiration == FIXED_NOW + timedelta(minutes=60)
    assert ticket.refresh_token_expiration == FIXED_NOW + timedelta(days=1)
    assert ticket.requires_2fa is False
    [session] = store.sessions.values()
    assert session.access_token_digest == token_digest(ticket.access_token)
    assert (session.tenant_id, session.site_id, session.account_id) == (100, 200, 1)
    assert (session.user_id, session.client_id) == (login.user_id, "storefront")
    assert list(store.refresh_tokens) == [token_digest(ticket.refresh_token or "")]
    claims = CODEC.verify(ticket.jwt_access_token or "", "shopper", FIXED_NOW)
    assert (claims["sub"], claims["sid"], claims["account_id"]) == (login.user_id, session.sid, 1)
    assert (claims["tenant_id"], claims["site_id"], claims["client_id"]) == (100, 200, "storefront")


def test_the_fingerprint_is_kept_only_as_a_digest_keyed_by_the_user_and_the_region_case_folded() -> None:
    store = store_with_guest()
    login_service(store).create_login(STOREFRONT, None, 1, login_info(fingerprint="device-123", region="EU"))
    login = store.logins[(100, 1)]
    keyed = hmac.new(login.user_id.encode(), b"device-123", hashlib.sha256).hexdigest()
    assert login.trusted_fingerprint_digests == (keyed,)
    assert keyed != hashlib.sha256(b"device-123").hexdigest()
    assert login.trusted_regions == ("eu",)
    assert "device-123" not in repr(login)


def test_an_imported_hash_is_stored_as_given_without_hashing() -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    ticket = login_service(store, hasher).create_login(
        STOREFRONT, None, 1, login_info(password=None, external_password=BCRYPT_HASH, is_import=True)
    )
    login = store.logins[(100, 1)]
    assert (login.password_hash, login.password_is_external) == (BCRYPT_HASH, True)
    assert ticket.customer_account.has_external_password is True
    assert hasher.calls == 0


# token durations


@pytest.mark.parametrize("ttl_field", ["auth_ticket_ttl_minutes", "refresh_token_ttl_minutes"])
def test_a_caller_without_the_duration_behavior_asking_for_a_ttl_is_forbidden(ttl_field: str) -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    with pytest.raises(Forbidden, match="customer-auth:configure-token-durations"):
        login_service(store, hasher).create_login(STOREFRONT, None, 1, login_info(**{ttl_field: 30}))
    assert hasher.calls == 0
    assert store.write_attempts == 0
    assert store.nothing_written_for(1)


def test_a_caller_with_the_duration_behavior_gets_the_lifetimes_it_asks_for() -> None:
    store = store_with_guest()
    ticket = login_service(store).create_login(
        BACKOFFICE, None, 1, login_info(auth_ticket_ttl_minutes=15, refresh_token_ttl_minutes=2 * DAY)
    )
    assert ticket.access_token_expiration == FIXED_NOW + timedelta(minutes=15)
    assert ticket.refresh_token_expiration == FIXED_NOW + timedelta(days=2)
    assert CODEC.verify(ticket.jwt_access_token or "", "shopper", FIXED_NOW)["exp"] == int(
        (FIXED_NOW + timedelta(minutes=15)).timestamp()
    )


def test_a_ttl_above_the_tenant_maximum_is_refused_before_hashing() -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    with pytest.raises(InvalidParameter, match="tenant maximum of 120") as refused:
        login_service(store, hasher).create_login(
            BACKOFFICE, None, 1, login_info(auth_ticket_ttl_minutes=121)
        )
    assert refused.value.field == "authTicketTtlMinutes"
    assert hasher.calls == 0
    assert store.nothing_written_for(1)


# concurrency


def test_a_concurrent_update_on_the_first_write_is_retried_on_a_fresh_read_and_succeeds() -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    store.interleaved.append(concurrent_update(1, first_name="Changed meanwhile"))
    ticket = login_service(store, hasher).create_login(STOREFRONT, None, 1, login_info())
    assert store.write_attempts == 2
    assert hasher.calls == 1
    assert ticket.customer_account.first_name == "Changed meanwhile"
    assert ticket.customer_account.is_anonymous is False
    assert store.stored(1).version == 3
    assert store.stored(1).account == ticket.customer_account
    [session] = store.sessions.values()
    assert session.access_token_digest == token_digest(ticket.access_token)


def test_an_account_that_keeps_changing_makes_create_login_unavailable_after_three_attempts() -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    store.interleaved.extend(concurrent_update(1, first_name=f"v{n}") for n in range(3))
    with pytest.raises(Unavailable):
        login_service(store, hasher).create_login(STOREFRONT, None, 1, login_info())
    assert store.write_attempts == 3
    assert hasher.calls == 1
    assert (100, 1) not in store.logins
    assert store.sessions == {}


def test_losing_the_race_to_another_create_login_for_the_account_is_a_conflict() -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    store.interleaved.append(concurrent_create_login(1, login_info(email_address="winner@example.com")))
    with pytest.raises(Conflict) as refused:
        login_service(store, hasher).create_login(STOREFRONT, None, 1, login_info())
    assert refused.value.field == "accountId"
    assert store.logins[(100, 1)].email == "winner@example.com"
    assert len(store.sessions) == 1


# site and tenant


@pytest.mark.parametrize("site_id", [999, 400], ids=["unknown-site", "site-of-another-tenant"])
def test_a_site_not_in_the_callers_tenant_is_forbidden_before_hashing(site_id: int) -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    with pytest.raises(Forbidden, match=f"Site {site_id}"):
        login_service(store, hasher).create_login(STOREFRONT, site_id, 1, login_info())
    assert hasher.calls == 0
    assert store.write_attempts == 0
    assert store.nothing_written_for(1)


def test_an_unprovisioned_tenant_is_forbidden_before_hashing() -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    del store.tenants[ACME.id]
    with pytest.raises(Forbidden):
        login_service(store, hasher).create_login(STOREFRONT, None, 1, login_info())
    assert hasher.calls == 0


# 404 and 409


def test_an_unknown_account_is_not_found_and_the_password_is_not_hashed() -> None:
    store, hasher = FakeAccountStore(), RecordingHasher()
    with pytest.raises(NotFound) as refused:
        login_service(store, hasher).create_login(STOREFRONT, None, 1, login_info())
    assert refused.value.field == "accountId"
    assert hasher.calls == 0
    assert store.write_attempts == 0


def test_another_tenants_account_is_not_found_and_the_password_is_not_hashed() -> None:
    store, hasher = FakeAccountStore(), RecordingHasher()
    store.add_guest(1, tenant_id=GLOBEX.id)
    with pytest.raises(NotFound):
        login_service(store, hasher).create_login(STOREFRONT, None, 1, login_info())
    assert hasher.calls == 0
    assert store.nothing_written_for(1, tenant_id=GLOBEX.id)


def test_an_account_that_already_has_a_login_is_a_conflict_and_the_password_is_not_hashed() -> None:
    store = store_with_guest()
    login_service(store).create_login(STOREFRONT, None, 1, login_info())
    hasher = RecordingHasher()
    with pytest.raises(Conflict) as refused:
        login_service(store, hasher).create_login(
            STOREFRONT, None, 1, login_info(email_address="b@example.com")
        )
    assert refused.value.field == "accountId"
    assert hasher.calls == 0
    assert store.write_attempts == 1


@pytest.mark.parametrize(
    ("first", "second", "conflicting_field"),
    [
        pytest.param({}, {}, "emailAddress", id="same-email"),
        pytest.param({}, {"email_address": "ADA@EXAMPLE.COM"}, "emailAddress", id="same-email-other-case"),
        pytest.param(
            {"username": "ada"},
            {"email_address": "b@example.com", "username": "Ada"},
            "username",
            id="same-username",
        ),
        pytest.param(
            {},
            {"email_address": "b@example.com", "username": "ada@example.com"},
            "username",
            id="username-is-an-email",
        ),
    ],
)
def test_an_identifier_of_another_login_is_a_conflict_naming_its_field(
    first: dict[str, Any], second: dict[str, Any], conflicting_field: str
) -> None:
    store = FakeAccountStore()
    store.add_guest(1)
    store.add_guest(2)
    login_service(store).create_login(STOREFRONT, None, 1, login_info(**first))
    with pytest.raises(Conflict) as refused:
        login_service(store).create_login(STOREFRONT, None, 2, login_info(**second))
    assert refused.value.field == conflicting_field
    assert store.nothing_written_for(2)


# requests refused before any read


@pytest.mark.parametrize(
    ("fields", "refused_field"),
    [
        pytest.param({"email_address": None}, "emailAddress", id="no-email-no-username"),
        pytest.param({"email_address": "not-an-email"}, "emailAddress", id="bad-email"),
        pytest.param({"username": "ada\x00"}, "username", id="control-character-username"),
        pytest.param({"password": "short"}, "password", id="short-password"),
        pytest.param({"password": "ADA@example.com"}, "password", id="password-is-the-email"),
        pytest.param({"password": None}, "password", id="no-password"),
        pytest.param({"external_password": BCRYPT_HASH}, "isImport", id="external-without-import"),
        pytest.param({"password": None, "is_import": True}, "externalPassword", id="import-without-hash"),
        pytest.param(
            {"password": None, "external_password": "md5$x$y", "is_import": True},
            "externalPassword",
            id="bad-hash",
        ),
    ],
)
def test_an_invalid_request_is_refused_without_hashing_or_writing(
    fields: dict[str, Any], refused_field: str
) -> None:
    store, hasher = store_with_guest(), RecordingHasher()
    with pytest.raises(InvalidParameter) as refused:
        login_service(store, hasher).create_login(STOREFRONT, None, 1, login_info(**fields))
    assert refused.value.field == refused_field
    assert hasher.calls == 0
    assert store.nothing_written_for(1)
