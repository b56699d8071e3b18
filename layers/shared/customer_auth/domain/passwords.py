"""Password rules and imported password hashes. Hashing itself is behind ``PasswordHasher``."""

import re
from functools import cache
from importlib import resources
from typing import Protocol

from .errors import InvalidParameter
from .records import normalize_identifier

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1_024

_IMPORTABLE_HASHES = (
    re.compile(r"\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}"),  # bcrypt
    re.compile(r"\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"),
    re.compile(r"pbkdf2_sha256\$\d+\$[A-Za-z0-9./+=_-]+\$[A-Za-z0-9+/=]+"),  # Django
)


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """Our own hash of a new password (Argon2id at the current parameters)."""

    def verify(self, password: str, stored_hash: str, *, external: bool) -> bool:
        """Whether ``password`` matches; ``external`` hashes are imported bcrypt, Argon2 or Django
        PBKDF2 ones. Never raises for a malformed hash: it simply does not match."""

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether one of our hashes was made with parameters below the current ones."""

    def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification without a stored hash (unknown user), so timing
        does not tell unknown users from wrong passwords."""


def check_password_policy(
    password: str,
    identifiers: list[str],
    *,
    require_letter_and_digit: bool = False,
    field: str = "password",
) -> None:
    """Raise ``InvalidParameter`` naming ``field`` for a password the policy refuses (NIST
    800-63B style: length, not an identifier, not a common password).
    ``require_letter_and_digit`` is Kibo's legacy tenant rule, the only composition rule we support."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidParameter(f"{field} must be at least {MIN_PASSWORD_LENGTH} characters.", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidParameter(f"{field} must be at most {MAX_PASSWORD_LENGTH} characters.", field=field)
    normalized = normalize_identifier(password)
    if normalized in {normalize_identifier(i) for i in identifiers}:
        raise InvalidParameter(f"{field} must not be the email address or username.", field=field)
    if normalized in common_passwords():
        raise InvalidParameter(f"{field} is too common; choose a less guessable one.", field=field)
    if require_letter_and_digit and not _has_letter_and_digit(password):
        raise InvalidParameter(f"{field} must contain at least one letter and one digit.", field=field)


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords (zxcvbn's list, normalized), read once per process from
    the data file next to this module, so it works from the layer's /opt/python as well."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _has_letter_and_digit(password: str) -> bool:
    # Any script's letters and decimal digits count; superscripts and the like do not.
    return any(c.isalpha() for c in password) and any(c.isdecimal() for c in password)


def check_importable_hash(external_hash: str) -> None:
    """Raise ``InvalidParameter`` unless the hash is one we can verify at first sign-in."""
    if not any(pattern.fullmatch(external_hash) for pattern in _IMPORTABLE_HASHES):
        raise InvalidParameter(
            "externalPassword must be a bcrypt ($2b$), Argon2 ($argon2id$) or Django pbkdf2_sha256$ hash.",
            field="externalPassword",
        )
