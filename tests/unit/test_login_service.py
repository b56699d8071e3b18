"""Create-Login's domain logic on an in-memory store: the ports and adapters seam."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from customer_auth.domain.caller import Caller
from customer_auth.domain.errors import ConcurrentUpdate, Conflict, Forbidden, NotFound
from customer_auth.domain.logins import LoginService
from customer_auth.domain.records import LoginContext, NewLogin, StoredAccount
from customer_auth.domain.sessions import SessionStarter
from customer_auth.domain.tenants import Site, Tenant
from customer_auth.models.account import CustomerAccount
from customer_auth.models.auth import CustomerLoginInfo
from customer_auth.tokens.jwt import JwtCodec
from customer_auth.tokens.keys import key_set_from_secret

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CALLER = Caller("app", 100, None, frozenset({"customer-auth:login:create"}))
TENANT = Tenant(100, "Acme", sites=(Site(200, "US"),))


@dataclass
class InMemoryStore:
    accounts: dict[int, StoredAccount] = field(default_factory=dict)
    logins: dict[int, NewLogin] = field(default_factory=dict)
    races_to_lose: int = 0

    def load_for_login(self, tenant_id: int, account_id: int) -> LoginContext:
        return LoginContext(self.accounts.get(account_id), account_id in self.logins, TENANT)

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
    return LoginService(store, hasher, SessionStarter(JwtCodec(keys, "iss", "aud")), lambda: NOW)  # type: ignore[arg-type]


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
