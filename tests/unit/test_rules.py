"""Pure rules of the domain and the API edge: responseFields, token policy, passwords, identifiers."""

import argon2
import pytest

from customer_auth.api.response_fields import parse_response_fields, project
from customer_auth.domain.errors import InvalidParameter
from customer_auth.domain.identity import checked_email, checked_username
from customer_auth.domain.passwords import check_importable_hash, check_password_policy
from customer_auth.domain.records import Login
from customer_auth.domain.tenants import TokenPolicy
from customer_auth.passwords import Argon2idHasher

TICKET = {
    "accessToken": "a",
    "refreshToken": "r",
    "customerAccount": {"id": 1, "emailAddress": "e", "contacts": [{"id": 7, "email": "c", "label": "x"}]},
}


def test_response_fields_keep_the_named_fields_at_any_depth_and_in_every_list_element() -> None:
    selection = parse_response_fields("ACCESSTOKEN, customerAccount(id, contacts(email)), unknownField")
    assert project(TICKET, selection) == {
        "accessToken": "a",
        "customerAccount": {"id": 1, "contacts": [{"email": "c"}]},
    }


@pytest.mark.parametrize("expression", [None, "", "  ", " , "])
def test_absent_or_empty_response_fields_mean_the_whole_body(expression: str | None) -> None:
    assert project(TICKET, parse_response_fields(expression)) == TICKET


def test_a_field_named_twice_merges_its_selections() -> None:
    selection = parse_response_fields("customerAccount(id),customerAccount(emailAddress)")
    assert project(TICKET, selection) == {"customerAccount": {"id": 1, "emailAddress": "e"}}


@pytest.mark.parametrize("expression", ["a(b", "a)", "(a)", "a(b))", "a(b)c", "x" * 2001])
def test_malformed_response_fields_name_the_parameter(expression: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_response_fields(expression)
    assert refused.value.field == "responseFields"


def test_token_policy_grants_the_default_or_what_is_asked_within_both_caps() -> None:
    policy = TokenPolicy(access_default_minutes=30, access_max_minutes=120)
    assert policy.access_minutes(None) == 30
    assert policy.access_minutes(120) == 120
    with pytest.raises(InvalidParameter, match="tenant maximum of 120"):
        policy.access_minutes(121)
    with pytest.raises(InvalidParameter, match="platform maximum of 1440"):
        policy.access_minutes(1441)
    with pytest.raises(InvalidParameter, match="positive"):
        policy.refresh_minutes(0)


@pytest.mark.parametrize(
    "policy",
    [
        {"access_default_minutes": 0},
        {"access_default_minutes": 200, "access_max_minutes": 100},
        {"refresh_max_minutes": 365 * 24 * 60 + 1},
    ],
    ids=["zero-default", "default-above-max", "max-above-platform-cap"],
)
def test_an_inconsistent_token_policy_cannot_be_built(policy: dict[str, int]) -> None:
    with pytest.raises(InvalidParameter):
        TokenPolicy(**policy)


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("1234567", False),
        ("12345678", True),
        ("x" * 1024, True),
        ("x" * 1025, False),
        ("ADA@example.com", False),
    ],
    ids=["7-chars", "8-chars", "1024-chars", "1025-chars", "the-email"],
)
def test_password_policy_length_and_not_an_identifier(password: str, accepted: bool) -> None:
    if accepted:
        check_password_policy(password, ["ada@example.com", "ada"])
    else:
        with pytest.raises(InvalidParameter):
            check_password_policy(password, ["ada@example.com", "ada"])


@pytest.mark.parametrize(
    "external_hash",
    [
        "$2b$12$" + "C" * 53,
        argon2.PasswordHasher().hash("imported"),
        "pbkdf2_sha256$600000$salt123$2ZkWvEGCoG4Q7ujsQuQW7mLtvv9vFlV0aUKgNPKMA1s=",
    ],
    ids=["bcrypt", "argon2id", "django-pbkdf2"],
)
def test_importable_password_hashes_are_accepted(external_hash: str) -> None:
    check_importable_hash(external_hash)


@pytest.mark.parametrize("external_hash", ["plaintext", "$2b$12$short", "md5$abc$def", "$argon2id$v=19$"])
def test_other_password_hashes_are_refused(external_hash: str) -> None:
    with pytest.raises(InvalidParameter, match="externalPassword"):
        check_importable_hash(external_hash)


def test_emails_are_syntax_checked_and_usernames_refuse_control_characters() -> None:
    assert checked_email("  ada@example.com ") == "ada@example.com"
    with pytest.raises(InvalidParameter):
        checked_email("not-an-email")
    with pytest.raises(InvalidParameter):
        checked_username("ada\x00")
    with pytest.raises(InvalidParameter):
        checked_username("   ")


def test_a_login_reserves_its_email_and_username_case_insensitively_once_each() -> None:
    def login(username: str, email: str | None) -> Login:
        return Login(1, 2, "u", username, email, "h", False, created_at=None)  # type: ignore[arg-type]

    assert login("Ada@Example.com", "ada@example.COM").identifiers() == {"ada@example.com": "emailAddress"}
    assert login("ada", "ada@example.com").identifiers() == {
        "ada@example.com": "emailAddress",
        "ada": "username",
    }


def test_the_production_hash_profile_is_argon2id_at_owasp_minimum() -> None:
    hashed = Argon2idHasher("owasp").hash("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert argon2.PasswordHasher().verify(hashed, "correct horse")
