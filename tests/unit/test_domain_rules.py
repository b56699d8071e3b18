"""Pure domain rules: token policy, password rules and importable hashes, identifiers, the
production Argon2id profile, account ids, and app-client provisioning on an in-memory store."""

import base64
import hashlib
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

import argon2
import pytest

from customer_auth.domain.accounts import service as accounts
from customer_auth.domain.accounts.service import MAX_ACCOUNT_ID, random_account_id
from customer_auth.domain.apps.provisioning import create_client
from customer_auth.domain.apps.records import AppClient
from customer_auth.domain.credentials.passwords import check_importable_hash, check_password_policy
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.errors import InvalidParameter
from customer_auth.domain.kernel.identifiers import checked_email, checked_username
from customer_auth.domain.logins.login import Login
from customer_auth.domain.tenants.policies import (
    PLATFORM_MAX_ACCESS_MINUTES,
    PLATFORM_MAX_REFRESH_MINUTES,
    TokenPolicy,
)
from customer_auth.domain.tenants.tenant import Site, Tenant
from customer_auth.passwords import Argon2idHasher
from customer_auth.tokens.opaque import token_digest

DAY = 24 * 60

# -- TokenPolicy -------------------------------------------------------------------------------


def test_the_default_policy_grants_one_hour_access_and_thirty_day_refresh() -> None:
    policy = TokenPolicy()
    assert (policy.access_default_minutes, policy.access_max_minutes) == (60, DAY)
    assert (policy.refresh_default_minutes, policy.refresh_max_minutes) == (30 * DAY, 90 * DAY)
    assert policy.access_minutes(None) == 60
    assert policy.refresh_minutes(None) == 30 * DAY


def test_the_platform_caps_are_one_day_and_one_year() -> None:
    assert PLATFORM_MAX_ACCESS_MINUTES == 1_440
    assert PLATFORM_MAX_REFRESH_MINUTES == 525_600


@pytest.mark.parametrize("requested", [1, 15, 119, 120])
def test_a_requested_access_life_within_the_tenant_maximum_is_granted_as_asked(requested: int) -> None:
    assert (
        TokenPolicy(access_default_minutes=30, access_max_minutes=120).access_minutes(requested) == requested
    )


@pytest.mark.parametrize("requested", [1, 7 * DAY, 60 * DAY])
def test_a_requested_refresh_life_within_the_tenant_maximum_is_granted_as_asked(requested: int) -> None:
    policy = TokenPolicy(refresh_default_minutes=DAY, refresh_max_minutes=60 * DAY)
    assert policy.refresh_minutes(requested) == requested


def test_an_access_life_above_the_tenant_maximum_names_the_tenant_maximum() -> None:
    with pytest.raises(InvalidParameter) as refused:
        TokenPolicy(access_default_minutes=30, access_max_minutes=120).access_minutes(121)
    assert "tenant maximum of 120 minutes" in refused.value.message
    assert "platform" not in refused.value.message
    assert refused.value.field == "authTicketTtlMinutes"


def test_an_access_life_above_the_platform_cap_names_the_platform_maximum() -> None:
    with pytest.raises(InvalidParameter) as refused:
        TokenPolicy(access_default_minutes=30, access_max_minutes=120).access_minutes(1_441)
    assert "platform maximum of 1440 minutes" in refused.value.message
    assert "tenant" not in refused.value.message
    assert refused.value.field == "authTicketTtlMinutes"


def test_when_the_tenant_maximum_is_the_platform_cap_the_refusal_names_the_platform() -> None:
    with pytest.raises(InvalidParameter, match="platform maximum of 1440"):
        TokenPolicy().access_minutes(1_441)


def test_a_refresh_life_above_the_tenant_maximum_names_the_tenant_maximum() -> None:
    with pytest.raises(InvalidParameter) as refused:
        TokenPolicy(refresh_default_minutes=DAY, refresh_max_minutes=7 * DAY).refresh_minutes(7 * DAY + 1)
    assert f"tenant maximum of {7 * DAY} minutes" in refused.value.message
    assert refused.value.field == "refreshTokenTtlMinutes"


def test_a_refresh_life_above_the_platform_cap_names_the_platform_maximum() -> None:
    with pytest.raises(InvalidParameter) as refused:
        TokenPolicy().refresh_minutes(525_601)
    assert "platform maximum of 525600 minutes" in refused.value.message
    assert refused.value.field == "refreshTokenTtlMinutes"


@pytest.mark.parametrize("requested", [0, -1, -10_000])
def test_a_requested_life_that_is_not_positive_is_refused(requested: int) -> None:
    with pytest.raises(InvalidParameter, match="positive") as refused:
        TokenPolicy().access_minutes(requested)
    assert refused.value.field == "authTicketTtlMinutes"
    with pytest.raises(InvalidParameter, match="positive") as refused:
        TokenPolicy().refresh_minutes(requested)
    assert refused.value.field == "refreshTokenTtlMinutes"


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param({"access_default_minutes": 1, "access_max_minutes": 1}, id="access-default-equals-max"),
        pytest.param({"access_max_minutes": PLATFORM_MAX_ACCESS_MINUTES}, id="access-max-at-cap"),
        pytest.param({"refresh_max_minutes": PLATFORM_MAX_REFRESH_MINUTES}, id="refresh-max-at-cap"),
        pytest.param(
            {"refresh_default_minutes": PLATFORM_MAX_REFRESH_MINUTES, "refresh_max_minutes": 525_600},
            id="refresh-default-at-cap",
        ),
    ],
)
def test_a_policy_at_its_boundaries_can_be_built(policy: dict[str, int]) -> None:
    TokenPolicy(**policy)


@pytest.mark.parametrize(
    ("policy", "kind"),
    [
        pytest.param({"access_default_minutes": 0}, "access", id="access-default-zero"),
        pytest.param({"access_default_minutes": -5}, "access", id="access-default-negative"),
        pytest.param(
            {"access_default_minutes": 121, "access_max_minutes": 120},
            "access",
            id="access-default-above-max",
        ),
        pytest.param(
            {"access_max_minutes": PLATFORM_MAX_ACCESS_MINUTES + 1}, "access", id="access-max-above-cap"
        ),
        pytest.param({"refresh_default_minutes": 0}, "refresh", id="refresh-default-zero"),
        pytest.param(
            {"refresh_default_minutes": 10 * DAY, "refresh_max_minutes": DAY},
            "refresh",
            id="refresh-default-above-max",
        ),
        pytest.param(
            {"refresh_max_minutes": PLATFORM_MAX_REFRESH_MINUTES + 1}, "refresh", id="refresh-max-above-cap"
        ),
    ],
)
def test_an_inconsistent_policy_cannot_be_built(policy: dict[str, int], kind: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        TokenPolicy(**policy)
    assert refused.value.message.startswith(f"The {kind} token policy")
    assert refused.value.field == f"{kind}MaxMinutes"


# -- password policy ---------------------------------------------------------------------------

IDENTIFIERS = ["ada@example.com", "AdaLovelace"]


@pytest.mark.parametrize(
    "password",
    ["x" * 8, "x" * 1_024, "correct horse battery staple", "ada@example.com!", "é" * 8, "AdaLovelace1"],
    ids=["8-chars", "1024-chars", "passphrase", "contains-the-email", "8-non-ascii", "username-plus-digit"],
)
def test_a_password_the_policy_allows_is_accepted(password: str) -> None:
    check_password_policy(password, IDENTIFIERS)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        pytest.param("x" * 7, "at least 8", id="7-chars"),
        pytest.param("", "at least 8", id="empty"),
        pytest.param("x" * 1_025, "at most 1024", id="1025-chars"),
        pytest.param("ada@example.com", "email address or username", id="the-email"),
        pytest.param("ADA@EXAMPLE.COM", "email address or username", id="the-email-upper-case"),
        pytest.param(" Ada@Example.com ", "email address or username", id="the-email-padded"),
        pytest.param("AdaLovelace", "email address or username", id="the-username"),
        pytest.param("adalovelace", "email address or username", id="the-username-lower-case"),
        pytest.param("ADALOVELACE", "email address or username", id="the-username-upper-case"),
    ],
)
def test_a_password_the_policy_refuses_is_refused_naming_the_password(password: str, reason: str) -> None:
    with pytest.raises(InvalidParameter, match=reason) as refused:
        check_password_policy(password, IDENTIFIERS)
    assert refused.value.field == "password"


def test_a_password_equal_to_an_identifier_is_only_refused_when_that_identifier_is_given() -> None:
    check_password_policy("AdaLovelace", ["ada@example.com"])
    check_password_policy("ada@example.com", [])


# -- importable hashes -------------------------------------------------------------------------


def django_pbkdf2_sha256(password: str, salt: str, iterations: int = 600_000) -> str:
    """Django's PBKDF2PasswordHasher.encode, computed here with hashlib."""
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(derived).decode()}"


CHEAP_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.mark.parametrize(
    "external_hash",
    [
        pytest.param("$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m", id="bcrypt-2b"),
        pytest.param("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", id="bcrypt-2a"),
        pytest.param("$2y$12$" + "C" * 53, id="bcrypt-2y"),
        pytest.param(argon2.PasswordHasher().hash("imported secret"), id="argon2id-default-params"),
        pytest.param(
            argon2.PasswordHasher(**CHEAP_ARGON2, type=argon2.Type.ID).hash("imported"), id="argon2id-cheap"
        ),
        pytest.param(
            argon2.PasswordHasher(**CHEAP_ARGON2, type=argon2.Type.I).hash("imported"), id="argon2i"
        ),
        pytest.param(
            argon2.PasswordHasher(**CHEAP_ARGON2, type=argon2.Type.D).hash("imported"), id="argon2d"
        ),
        pytest.param(django_pbkdf2_sha256("imported secret", "Q5tcdNaU4xCtJ4pS3Nr9Pn"), id="django-pbkdf2"),
        pytest.param("pbkdf2_sha256$600000$salt$hash=", id="django-shape"),
    ],
)
def test_an_importable_hash_is_accepted(external_hash: str) -> None:
    check_importable_hash(external_hash)


def test_the_bcrypt_sample_is_shaped_like_a_real_bcrypt_hash() -> None:
    sample = "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m"
    assert len(sample) == 60
    assert re.fullmatch(r"\$2b\$12\$[./A-Za-z0-9]{53}", sample)


@pytest.mark.parametrize(
    "external_hash",
    [
        pytest.param("", id="empty"),
        pytest.param("plaintext password", id="plaintext"),
        pytest.param("5f4dcc3b5aa765d61d8327deb882cf99", id="md5-hex"),
        pytest.param("md5$salt$5f4dcc3b5aa765d61d8327deb882cf99", id="django-md5"),
        pytest.param("pbkdf2_sha1$600000$salt$hash=", id="django-pbkdf2-sha1"),
        pytest.param("pbkdf2_sha256$many$salt$hash=", id="django-iterations-not-a-number"),
        pytest.param("$2b$12$" + "C" * 52, id="bcrypt-too-short"),
        pytest.param("$2b$12$" + "C" * 54, id="bcrypt-too-long"),
        pytest.param("$2x$12$" + "C" * 53, id="bcrypt-unknown-variant"),
        pytest.param("$2b$1$" + "C" * 53, id="bcrypt-one-digit-cost"),
        pytest.param("$2b$12$" + "C" * 52 + "!", id="bcrypt-bad-character"),
        pytest.param(" $2b$12$" + "C" * 53, id="bcrypt-leading-space"),
        pytest.param("$2b$12$" + "C" * 53 + "\n", id="bcrypt-trailing-newline"),
        pytest.param("$argon2id$v=19$", id="argon2-prefix-only"),
        pytest.param("$argon2id$v=19$m=65536,t=3,p=4$", id="argon2-no-salt-or-hash"),
        pytest.param("$argon2x$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", id="argon2-unknown-type"),
        pytest.param("$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA", id="scrypt"),
    ],
)
def test_an_unverifiable_hash_is_refused_naming_external_password(external_hash: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        check_importable_hash(external_hash)
    assert refused.value.field == "externalPassword"


# -- identifiers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM\t", "Ada.Lovelace@Example.COM"),
        ("ada+shop@sub.example.co.uk", "ada+shop@sub.example.co.uk"),
    ],
)
def test_a_valid_email_is_returned_trimmed_as_given(given: str, kept: str) -> None:
    assert checked_email(given) == kept


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "not-an-email",
        "ada@",
        "@example.com",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada\x00@x.com",
    ],
)
def test_an_invalid_email_is_refused_naming_the_field(email: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        checked_email(email)
    assert refused.value.field == "emailAddress"
    with pytest.raises(InvalidParameter) as refused:
        checked_email(email, field="contacts.email")
    assert refused.value.field == "contacts.email"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("ada", "ada"),
        ("  Ada Lovelace  ", "Ada Lovelace"),
        ("Zoë", "Zoë"),
        ("用户", "用户"),
        ("ada\n", "ada"),
    ],
    ids=["plain", "padded-keeps-case-and-inner-space", "accented", "cjk", "trailing-newline-trimmed"],
)
def test_a_valid_username_is_returned_trimmed(given: str, kept: str) -> None:
    assert checked_username(given) == kept


@pytest.mark.parametrize(
    "username",
    [
        "ada\x00",
        "a\x07da",
        "ada\tlovelace",
        "ada\nlovelace",
        "ada\x7f",
        "ada\x1b[31m",
        "a\u200bda",
        "ada\u202e",
    ],
    ids=[
        "nul",
        "bell",
        "inner-tab",
        "inner-newline",
        "del",
        "ansi-escape",
        "zero-width-space",
        "rtl-override",
    ],
)
def test_a_username_with_control_characters_is_refused(username: str) -> None:
    with pytest.raises(InvalidParameter, match="control characters") as refused:
        checked_username(username)
    assert refused.value.field == "username"


@pytest.mark.parametrize("username", ["", "   ", "\t\n"])
def test_an_empty_username_is_refused(username: str) -> None:
    with pytest.raises(InvalidParameter, match="must not be empty") as refused:
        checked_username(username)
    assert refused.value.field == "username"


# -- Login.identifiers -------------------------------------------------------------------------


def login(username: str, email: str | None) -> Login:
    return Login(
        tenant_id=100,
        account_id=1,
        user_id="u",
        username=username,
        email=email,
        password_hash="h",
        password_is_external=False,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_an_email_used_as_username_is_one_identifier() -> None:
    assert login("ada@example.com", "ada@example.com").identifiers() == {"ada@example.com": "emailAddress"}


def test_an_email_and_a_different_username_are_two_identifiers() -> None:
    assert login("ada", "ada@example.com").identifiers() == {
        "ada@example.com": "emailAddress",
        "ada": "username",
    }


def test_email_and_username_differing_only_in_case_are_one_identifier() -> None:
    assert login("ADA@Example.com", "ada@EXAMPLE.com").identifiers() == {"ada@example.com": "emailAddress"}


def test_identifiers_are_case_folded_and_trimmed() -> None:
    assert login(" AdaLovelace ", " Ada@Example.COM ").identifiers() == {
        "ada@example.com": "emailAddress",
        "adalovelace": "username",
    }


def test_a_login_without_email_has_only_its_username() -> None:
    assert login("Ada", None).identifiers() == {"ada": "username"}


# -- Argon2id ----------------------------------------------------------------------------------


def test_the_owasp_profile_hashes_with_argon2id_m19456_t2_p1_and_verifies_with_argon2_cffi() -> None:
    hashed = Argon2idHasher("owasp").hash("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert argon2.PasswordHasher().verify(hashed, "correct horse battery staple")
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        argon2.PasswordHasher().verify(hashed, "wrong horse battery staple")


def test_owasp_is_the_default_profile() -> None:
    assert Argon2idHasher().hash("password-1").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_the_test_profile_is_cheap_argon2id() -> None:
    assert Argon2idHasher("test").hash("password-1").startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_the_same_password_hashes_differently_each_time_and_is_importable() -> None:
    hasher = Argon2idHasher("test")
    first, second = hasher.hash("password-1"), hasher.hash("password-1")
    assert first != second
    check_importable_hash(first)


# -- account ids -------------------------------------------------------------------------------


def test_account_ids_span_exactly_one_to_int32_max(monkeypatch: pytest.MonkeyPatch) -> None:
    bounds: list[int] = []

    def lowest(n: int) -> int:
        bounds.append(n)
        return 0

    monkeypatch.setattr(accounts.secrets, "randbelow", lowest)
    assert random_account_id() == 1
    monkeypatch.setattr(accounts.secrets, "randbelow", lambda n: n - 1)
    assert random_account_id() == 2**31 - 1
    assert bounds == [2**31 - 1]
    assert MAX_ACCOUNT_ID == 2**31 - 1


def test_random_account_ids_are_ints_in_range_and_vary() -> None:
    drawn = [random_account_id() for _ in range(1_000)]
    assert all(type(i) is int and 1 <= i <= 2**31 - 1 for i in drawn)
    assert len(set(drawn)) > 990


# -- provisioning: create_client ---------------------------------------------------------------


@dataclass
class FakeTenantStore:
    tenants: dict[int, Tenant] = field(default_factory=dict)
    clients: dict[str, AppClient] = field(default_factory=dict)

    def get_tenant(self, tenant_id: int) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def put_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.id] = tenant

    def put_client(self, client: AppClient) -> None:
        self.clients[client.client_id] = client


ACME = Tenant(100, "Acme", sites=(Site(200, "US"), Site(201, "EU")))
GLOBEX = Tenant(300, "Globex", sites=(Site(400, "UK"),))


def tenant_store() -> FakeTenantStore:
    return FakeTenantStore(tenants={ACME.id: ACME, GLOBEX.id: GLOBEX})


def test_a_client_is_stored_with_its_secret_only_as_a_sha256_hex_digest() -> None:
    store = tenant_store()
    client, secret = create_client(
        store, tenant_id=100, name="storefront", behaviors=[Behavior.LOGIN_CREATE.value], site_id=200
    )
    assert store.clients == {client.client_id: client}
    assert client.secret_digest == token_digest(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", client.secret_digest)
    assert all(secret not in str(getattr(client, f.name)) for f in fields(client))
    assert secret not in repr(client)


def test_a_generated_secret_has_at_least_32_characters_and_differs_per_client() -> None:
    store = tenant_store()
    made = [create_client(store, tenant_id=100, name="app", behaviors=[]) for _ in range(5)]
    secrets_given = {secret for _, secret in made}
    assert all(len(secret) >= 32 for secret in secrets_given)
    assert len(secrets_given) == 5
    assert len({client.client_id for client, _ in made}) == 5


def test_a_client_records_its_tenant_site_name_and_behaviors() -> None:
    client, _ = create_client(
        tenant_store(),
        tenant_id=100,
        name="storefront",
        behaviors=[Behavior.ACCOUNT_CREATE.value, Behavior.LOGIN_CREATE.value, Behavior.LOGIN_CREATE.value],
        site_id=201,
        client_id="storefront.fixed",
    )
    assert client.client_id == "storefront.fixed"
    assert (client.tenant_id, client.site_id, client.name) == (100, 201, "storefront")
    assert client.behaviors == frozenset({"customer:account:create", "customer-auth:login:create"})
    assert client.enabled is True


def test_a_tenant_wide_client_has_no_site() -> None:
    client, _ = create_client(tenant_store(), tenant_id=100, name="backoffice", behaviors=[])
    assert client.site_id is None
    assert client.client_id.startswith("backoffice.")


def test_every_known_behavior_can_be_granted() -> None:
    client, _ = create_client(
        tenant_store(), tenant_id=100, name="all", behaviors=[b.value for b in Behavior]
    )
    assert client.behaviors == frozenset(b.value for b in Behavior)


def test_a_given_secret_of_32_characters_is_kept_and_stored_as_its_digest() -> None:
    store = tenant_store()
    given = "s" * 32
    client, secret = create_client(store, tenant_id=100, name="app", behaviors=[], secret=given)
    assert secret == given
    assert store.clients[client.client_id].secret_digest == token_digest(given)


@pytest.mark.parametrize(
    ("arguments", "refused_field"),
    [
        pytest.param({"behaviors": ["customer:account:purge"]}, "behaviors", id="unknown-behavior"),
        pytest.param({"behaviors": ["CUSTOMER:ACCOUNT:READ"]}, "behaviors", id="behavior-wrong-case"),
        pytest.param(
            {"behaviors": [Behavior.ACCOUNT_READ.value, "admin"]}, "behaviors", id="one-unknown-among-known"
        ),
        pytest.param({"tenant_id": 999}, "tenantId", id="unknown-tenant"),
        pytest.param({"site_id": 999}, "siteId", id="unknown-site"),
        pytest.param({"site_id": 400}, "siteId", id="site-of-another-tenant"),
        pytest.param({"secret": "s" * 31}, "secret", id="secret-too-short"),
        pytest.param({"secret": ""}, "secret", id="secret-empty"),
    ],
)
def test_an_invalid_client_is_refused_and_nothing_is_stored(
    arguments: dict[str, object], refused_field: str
) -> None:
    store = tenant_store()
    request: dict[str, object] = {"tenant_id": 100, "name": "app", "behaviors": [], **arguments}
    with pytest.raises(InvalidParameter) as refused:
        create_client(store, **request)  # type: ignore[arg-type]
    assert refused.value.field == refused_field
    assert store.clients == {}


def test_the_unknown_behavior_refusal_names_the_behavior() -> None:
    with pytest.raises(InvalidParameter, match="customer:account:purge"):
        create_client(tenant_store(), tenant_id=100, name="app", behaviors=["customer:account:purge"])
