"""The password policy: length, identifiers, the common-password list and Kibo's legacy rule."""

from importlib import resources

import pytest

from customer_auth.domain.credentials.passwords import check_password_policy, common_passwords
from customer_auth.domain.kernel.errors import InvalidParameter
from tools import common_passwords as generator

IDENTIFIERS = ["ada@example.com", "AdaLovelace"]
TOO_COMMON = "too common"


# -- the common-password list -------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("password", id="rank-2"),
        pytest.param("12345678", id="rank-3"),
        pytest.param("PASSWORD1", id="rank-189-upper-case"),
        pytest.param(" Trustno1 ", id="rank-36-padded-mixed-case"),
        pytest.param("passw0rd", id="rank-220"),
        pytest.param("lizaveta", id="rank-9999"),
    ],
)
def test_a_common_password_is_refused_without_echoing_it(password: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        check_password_policy(password, IDENTIFIERS)
    assert refused.value.field == "password"
    assert refused.value.message == "password is too common; choose a less guessable one."


def test_a_password_just_past_the_top_ten_thousand_is_accepted() -> None:
    # Rank 10,001 is "cathy1", which the length rule refuses; "08154711" is rank 10,002.
    assert "08154711" not in common_passwords()
    check_password_policy("08154711", IDENTIFIERS)


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "password-but-longer", "Tr0ub4dor&3x", "AdaLovelace1"],
)
def test_an_uncommon_password_is_accepted(password: str) -> None:
    check_password_policy(password, IDENTIFIERS)


def test_the_list_holds_the_ten_thousand_entries_and_not_its_header() -> None:
    listed = common_passwords()
    assert len(listed) == 10_000
    assert {"123456", "password", "lizaveta", "qqqqqq1"} <= listed
    assert not any(entry.startswith("#") for entry in listed)
    assert common_passwords() is listed  # loaded once per process


def test_the_committed_list_is_what_zxcvbn_generates() -> None:
    committed = resources.files("customer_auth.domain.credentials").joinpath("common_passwords.txt")
    assert committed.read_text(encoding="utf-8") == generator.render(), (
        "common_passwords.txt drifted: run python -m tools.common_passwords"
    )


# -- Kibo's legacy letter-and-digit rule ---------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "8675309421", "éèêëàâäô"],
    ids=["letters-only", "digits-only", "non-ascii-letters-only"],
)
def test_a_password_without_a_letter_or_a_digit_is_accepted_unless_the_legacy_rule_is_on(
    password: str,
) -> None:
    check_password_policy(password, IDENTIFIERS)
    with pytest.raises(InvalidParameter, match="one letter and one digit") as refused:
        check_password_policy(password, IDENTIFIERS, require_letter_and_digit=True)
    assert refused.value.field == "password"


@pytest.mark.parametrize(
    "password",
    ["correct horse battery 9", "8675309421a", "é" * 7 + "٣"],
    ids=["ascii", "one-letter-at-the-end", "non-ascii-letters-and-arabic-indic-digit"],
)
def test_a_password_with_a_letter_and_a_digit_meets_the_legacy_rule(password: str) -> None:
    check_password_policy(password, IDENTIFIERS, require_letter_and_digit=True)


def test_a_superscript_is_not_a_digit_for_the_legacy_rule() -> None:
    with pytest.raises(InvalidParameter, match="one letter and one digit"):
        check_password_policy("correct horse battery²", IDENTIFIERS, require_letter_and_digit=True)


def test_the_legacy_rule_does_not_let_a_common_password_through() -> None:
    with pytest.raises(InvalidParameter, match=TOO_COMMON):
        check_password_policy("password1", IDENTIFIERS, require_letter_and_digit=True)


# -- length and identifiers still apply ---------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        pytest.param("a1" * 3 + "b", "at least 8", id="7-chars"),
        pytest.param("cathy1", "at least 8", id="rank-10001-too-short"),
        pytest.param("a1" * 512 + "b", "at most 1024", id="1025-chars"),
        pytest.param("AdaLovelace", "email address or username", id="the-username"),
        pytest.param("ADA@example.com", "email address or username", id="the-email"),
    ],
)
def test_length_and_identifier_rules_hold_with_the_legacy_rule_on(password: str, reason: str) -> None:
    with pytest.raises(InvalidParameter, match=reason) as refused:
        check_password_policy(password, IDENTIFIERS, require_letter_and_digit=True)
    assert refused.value.field == "password"


@pytest.mark.parametrize("password", ["q7" * 4, "q7" * 512], ids=["8-chars", "1024-chars"])
def test_the_length_bounds_are_inclusive(password: str) -> None:
    check_password_policy(password, IDENTIFIERS, require_letter_and_digit=True)


def test_an_identifier_that_is_also_a_common_password_is_refused_as_the_identifier() -> None:
    with pytest.raises(InvalidParameter, match="email address or username"):
        check_password_policy("Password", ["password"])
