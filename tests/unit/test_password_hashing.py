"""Argon2idHasher: our own hashes, imported (external) hashes, rehash checks and the dummy verify."""

import base64
import hashlib
import time

import argon2
import bcrypt
import pytest

from customer_auth import passwords
from customer_auth.passwords import Argon2idHasher

PASSWORD = "correct horse battery staple"
HASHER = Argon2idHasher("test")


def argon2_hash(password: str, variant: argon2.Type, *, memory_cost: int = 1024, time_cost: int = 1) -> str:
    return argon2.PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=1, type=variant
    ).hash(password)


def django_pbkdf2(password: str, salt: str, iterations: int) -> str:
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(derived).decode()}"


# -- our own hashes ----------------------------------------------------------------------------


def test_the_owasp_profile_makes_argon2id_m19456_t2_p1_hashes() -> None:
    assert Argon2idHasher("owasp").hash(PASSWORD).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_password_verifies_against_its_own_hash() -> None:
    assert HASHER.verify(PASSWORD, HASHER.hash(PASSWORD), external=False) is True


def test_a_wrong_password_does_not_verify() -> None:
    assert HASHER.verify(PASSWORD + "!", HASHER.hash(PASSWORD), external=False) is False


def test_a_hash_made_by_another_profile_still_verifies() -> None:
    assert HASHER.verify(PASSWORD, Argon2idHasher("owasp").hash(PASSWORD), external=False) is True


def test_our_own_hashes_must_be_argon2id() -> None:
    assert HASHER.verify(PASSWORD, argon2_hash(PASSWORD, argon2.Type.I), external=False) is False
    assert (
        HASHER.verify(PASSWORD, bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(), external=False)
        is False
    )


MALFORMED = [
    "",
    "not a hash",
    "$argon2id$",
    "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ",
    "$argon2id$v=19$m=abc,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
    "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",  # well formed, wrong hash
    "$argon2id$v=99$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
    "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",  # memory below Argon2's minimum
    "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",  # salt too short
    "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaé",
    "$argon2x$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
    "$2b$04$" + "!" * 53,
    "$2b$03$" + "a" * 53,
    "$2b$99$" + "a" * 53,
    "$2x$04$" + "a" * 53,
    "$2b$04$short",
    "pbkdf2_sha256$0$salt$aGFzaA==",
    "pbkdf2_sha256$1000$salt$",
    "pbkdf2_sha256$1000$sa$lt$aGFzaA==",
    "pbkdf2_sha256$１０００$salt$aGFzaA==",  # full-width digits
    "pbkdf2_sha256$" + "9" * 5000 + "$salt$aGFzaA==",
    "pbkdf2_sha1$1000$salt$aGFzaA==",
    "$argon2id$v=19$m=1024,t=1,p=1$" + "A" * 1000 + "$" + "B" * 1000,
]


@pytest.mark.parametrize("external", [False, True])
@pytest.mark.parametrize("stored_hash", MALFORMED)
def test_a_malformed_stored_hash_does_not_verify_and_does_not_raise(stored_hash: str, external: bool) -> None:
    assert HASHER.verify(PASSWORD, stored_hash, external=external) is False


@pytest.mark.parametrize("external", [False, True])
def test_a_password_no_system_could_have_hashed_does_not_verify(external: bool) -> None:
    assert HASHER.verify("lone \ud800 surrogate", HASHER.hash(PASSWORD), external=external) is False


# -- imported hashes ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_an_imported_bcrypt_hash_verifies(prefix: str) -> None:
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", prefix, 1)
    assert HASHER.verify(PASSWORD, stored, external=True) is True
    assert HASHER.verify(PASSWORD + "!", stored, external=True) is False


def test_an_imported_bcrypt_hash_is_not_one_of_ours() -> None:
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    assert HASHER.verify(PASSWORD, stored, external=False) is False


def test_bcrypt_compares_a_long_password_on_its_first_72_bytes_like_the_originating_system() -> None:
    long_password = "é" * 36 + "tail that bcrypt never saw"  # 72 bytes of UTF-8, then more
    stored = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
    assert HASHER.verify(long_password, stored, external=True) is True
    assert HASHER.verify("é" * 36, stored, external=True) is True
    assert HASHER.verify("e" + "é" * 35 + "tail that bcrypt never saw", stored, external=True) is False


@pytest.mark.parametrize(("cost", "attempted"), [(12, True), (13, False), (31, False)])
def test_bcrypt_costs_above_12_are_refused_without_hashing(
    monkeypatch: pytest.MonkeyPatch, cost: int, attempted: bool
) -> None:
    calls: list[bytes] = []

    def checkpw(password: bytes, hashed_password: bytes) -> bool:
        calls.append(hashed_password)
        return True

    monkeypatch.setattr(bcrypt, "checkpw", checkpw)
    stored = f"$2b${cost:02d}$" + "a" * 53
    assert HASHER.verify(PASSWORD, stored, external=True) is attempted
    assert bool(calls) is attempted


@pytest.mark.parametrize("variant", [argon2.Type.I, argon2.Type.D, argon2.Type.ID])
def test_an_imported_argon2_hash_of_any_variant_verifies(variant: argon2.Type) -> None:
    stored = argon2_hash(PASSWORD, variant, memory_cost=512, time_cost=3)
    assert HASHER.verify(PASSWORD, stored, external=True) is True
    assert HASHER.verify(PASSWORD + "!", stored, external=True) is False


@pytest.mark.parametrize("external", [False, True])
def test_argon2_time_costs_above_10_are_refused(external: bool) -> None:
    # Cheap in memory, so computing it would be fast: only the cap can make it fail.
    assert HASHER.verify(
        PASSWORD, argon2_hash(PASSWORD, argon2.Type.ID, memory_cost=8, time_cost=10), external=external
    )
    over_cap = argon2_hash(PASSWORD, argon2.Type.ID, memory_cost=8, time_cost=11)
    assert HASHER.verify(PASSWORD, over_cap, external=external) is False


@pytest.mark.parametrize(
    "stored_hash",
    [
        "$argon2id$v=19$m=65537,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=32768,t=9,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2i$v=19$m=4194304,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=1024,t=1,p=17$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
    ],
)
def test_argon2_above_64_mib_or_64_mib_x_4_passes_or_16_lanes_is_refused(stored_hash: str) -> None:
    assert HASHER.verify(PASSWORD, stored_hash, external=True) is False


def test_an_imported_django_pbkdf2_hash_verifies() -> None:
    stored = django_pbkdf2(PASSWORD, "Xb3kU9aQpL2mZ7rT", 1_000)
    assert HASHER.verify(PASSWORD, stored, external=True) is True
    assert HASHER.verify(PASSWORD + "!", stored, external=True) is False
    assert HASHER.verify(PASSWORD, stored, external=False) is False


@pytest.mark.parametrize(
    ("password", "stored_hash"),
    [
        # Django's own test vectors (auth_tests test_pkbdf2, Django 1.4-1.5), recomputed with hashlib.
        ("letmein", "pbkdf2_sha256$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y="),
        ("lètmein", "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY="),
    ],
)
def test_django_pbkdf2_known_vectors_verify(password: str, stored_hash: str) -> None:
    assert django_pbkdf2(password, "seasalt", 10_000) == stored_hash
    assert HASHER.verify(password, stored_hash, external=True) is True
    assert HASHER.verify(password + "z", stored_hash, external=True) is False


@pytest.mark.parametrize(
    ("iterations", "attempted"), [(1_000_000, True), (1_000_001, False), (99_999_999, False)]
)
def test_django_pbkdf2_iterations_above_one_million_are_refused_without_hashing(
    monkeypatch: pytest.MonkeyPatch, iterations: int, attempted: bool
) -> None:
    calls: list[int] = []

    def pbkdf2_hmac(name: str, password: bytes, salt: bytes, rounds: int) -> bytes:
        calls.append(rounds)
        return b"\0" * 32

    monkeypatch.setattr(passwords.hashlib, "pbkdf2_hmac", pbkdf2_hmac)
    stored = f"pbkdf2_sha256${iterations}$seasalt${base64.b64encode(b'\0' * 32).decode()}"
    assert HASHER.verify(PASSWORD, stored, external=True) is attempted
    assert calls == ([iterations] if attempted else [])


# -- rehash and dummy --------------------------------------------------------------------------


def test_a_hash_made_at_the_current_profile_needs_no_rehash() -> None:
    assert HASHER.needs_rehash(HASHER.hash(PASSWORD)) is False
    owasp = Argon2idHasher("owasp")
    assert owasp.needs_rehash(owasp.hash(PASSWORD)) is False


def test_a_hash_made_with_weaker_parameters_needs_a_rehash() -> None:
    assert Argon2idHasher("owasp").needs_rehash(HASHER.hash(PASSWORD)) is True


@pytest.mark.parametrize(
    "stored_hash",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=abc,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
        "$argon2id$v=19$m=1024,t=1,p=1$é$é",
        "pbkdf2_sha256$1000$salt$aGFzaA==",
    ],
)
def test_an_unparsable_hash_needs_a_rehash(stored_hash: str) -> None:
    assert HASHER.needs_rehash(stored_hash) is True


def test_another_argon2_variant_or_bcrypt_needs_a_rehash() -> None:
    assert HASHER.needs_rehash(argon2_hash(PASSWORD, argon2.Type.I)) is True
    assert HASHER.needs_rehash(bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()) is True


def test_the_dummy_verification_runs_and_makes_its_hash_once_per_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = Argon2idHasher("test")
    made: list[str] = []
    real_hash = hasher.hash

    def counting_hash(password: str) -> str:
        hashed = real_hash(password)
        made.append(hashed)
        return hashed

    monkeypatch.setattr(hasher, "hash", counting_hash)
    hasher.verify_dummy(PASSWORD)
    hasher.verify_dummy("another password")
    hasher.verify_dummy("lone \ud800 surrogate")
    assert len(made) == 1
    assert made[0].startswith("$argon2id$v=19$m=1024,t=1,p=1$")


# -- the equal-cost floor ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "check",
    ["our hash", "an imported bcrypt hash", "an over-cap hash", "a malformed hash", "the dummy"],
)
def test_every_owasp_check_takes_at_least_the_floor_whatever_it_verified(check: str) -> None:
    owasp = Argon2idHasher("owasp")
    stored = {
        "our hash": HASHER.hash(PASSWORD),  # a cheap one: only the floor makes it slow
        "an imported bcrypt hash": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
        "an over-cap hash": f"$2b$13${'a' * 53}",
        "a malformed hash": "not a hash",
    }.get(check)
    started = time.perf_counter()
    if stored is None:
        owasp.verify_dummy(PASSWORD)
    else:
        owasp.verify(PASSWORD + "!", stored, external=check != "our hash")
    assert time.perf_counter() - started >= 0.35


def test_the_test_profile_has_no_floor() -> None:
    started = time.perf_counter()
    HASHER.verify(PASSWORD, "not a hash", external=True)
    assert time.perf_counter() - started < 0.35
