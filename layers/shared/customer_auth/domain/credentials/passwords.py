"""Password rules and imported password hashes. Hashing itself is behind ``PasswordHasher``."""

import re
from functools import cache
from importlib import resources
from typing import Protocol

from ..kernel.errors import InvalidParameter
from ..kernel.identifiers import normalize_identifier
from ..logins.login import Login

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1_024

_BCRYPT = re.compile(r"\$2[aby]\$(?P<cost>\d{2})\$[./A-Za-z0-9]{53}")
_ARGON2 = re.compile(
    r"\$argon2(?:id|i|d)\$v=\d+\$m=(?P<m>\d{1,10}),t=(?P<t>\d{1,10}),p=(?P<p>\d{1,10})"
    r"\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)
_DJANGO_PBKDF2 = re.compile(r"pbkdf2_sha256\$(?P<iterations>\d{1,10})\$[A-Za-z0-9./+=_-]+\$[A-Za-z0-9+/=]+")

# The most work an imported hash may ask for. Every password check is padded to one floor
# (``customer_auth.passwords``: 350 ms at one vCPU), so that known, locked, imported and unknown
# users answer alike; each cap keeps its format's verification under that floor with room to
# spare at Lambda's 1,769 MB (one vCPU): about 250 ms for PBKDF2 at 1,000,000 iterations (Django
# 5.2's default), 240 ms for bcrypt cost 12 and 150 ms for Argon2 at 64 MiB x 4 passes.
MAX_PBKDF2_ITERATIONS = 1_000_000
MAX_BCRYPT_COST = 12
MAX_ARGON2_MEMORY_KIB = 64 * 1024
MAX_ARGON2_TIME_COST = 10
MAX_ARGON2_WORK_KIB = 64 * 1024 * 4
"""Memory x passes: what an Argon2 verification's time grows with (lanes only split the work)."""
MAX_ARGON2_PARALLELISM = 16


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """Our own hash of a new password (Argon2id at the current parameters)."""

    def verify(self, password: str, stored_hash: str, *, external: bool, padded: bool = True) -> bool:
        """Whether ``password`` matches; ``external`` hashes are imported bcrypt, Argon2 or Django
        PBKDF2 ones. Never raises for a malformed hash: it simply does not match. ``padded``
        checks take at least the equal-cost floor; only a caller who may read every login's state
        anyway (an administrator) gains nothing from it and may skip it."""

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
    """Raise ``InvalidParameter`` unless the hash is one we can verify at first sign-in, within the
    work the equal-cost floor covers."""
    over = importable_hash_over_cap(external_hash)
    if over is not None:
        raise InvalidParameter(f"externalPassword {over}.", field="externalPassword")


def importable_hash_over_cap(external_hash: str) -> str | None:
    """Why an imported hash cannot be verified within the caps (a phrase), or ``None``."""
    if bcrypt_hash := _BCRYPT.fullmatch(external_hash):
        over = int(bcrypt_hash["cost"]) > MAX_BCRYPT_COST
        return f"must be a bcrypt hash of cost at most {MAX_BCRYPT_COST}" if over else None
    if argon2_hash := _ARGON2.fullmatch(external_hash):
        memory, passes, lanes = int(argon2_hash["m"]), int(argon2_hash["t"]), int(argon2_hash["p"])
        if (
            memory > MAX_ARGON2_MEMORY_KIB
            or passes > MAX_ARGON2_TIME_COST
            or memory * passes > MAX_ARGON2_WORK_KIB
            or lanes > MAX_ARGON2_PARALLELISM
        ):
            return (
                f"must be an Argon2 hash of at most {MAX_ARGON2_MEMORY_KIB // 1024} MiB, "
                f"{MAX_ARGON2_TIME_COST} passes, {MAX_ARGON2_WORK_KIB // 1024} MiB x passes "
                f"and {MAX_ARGON2_PARALLELISM} lanes"
            )
        return None
    if django_hash := _DJANGO_PBKDF2.fullmatch(external_hash):
        if not 1 <= int(django_hash["iterations"]) <= MAX_PBKDF2_ITERATIONS:
            return f"must be a Django pbkdf2_sha256 hash of at most {MAX_PBKDF2_ITERATIONS:,} iterations"
        return None
    return "must be a bcrypt ($2b$), Argon2 ($argon2id$) or Django pbkdf2_sha256$ hash"


class PasswordCheck:
    """Verifies a password once per stored hash, however often a write is retried."""

    def __init__(self, hasher: PasswordHasher, password: str, *, padded: bool = True) -> None:
        self._hasher = hasher
        self._password = password
        self._padded = padded
        self._verdicts: dict[str, bool] = {}
        self._new_hash: str | None = None

    def matches(self, login: Login) -> bool:
        if login.password_hash not in self._verdicts:
            self._verdicts[login.password_hash] = self._hasher.verify(
                self._password, login.password_hash, external=login.password_is_external, padded=self._padded
            )
        return self._verdicts[login.password_hash]

    def burn(self) -> None:
        self._hasher.verify_dummy(self._password)

    def upgraded_hash(self, login: Login) -> str | None:
        """Our hash of the password when the stored one is imported or made with weaker parameters."""
        if not (login.password_is_external or self._hasher.needs_rehash(login.password_hash)):
            return None
        self._new_hash = self._new_hash or self._hasher.hash(self._password)
        return self._new_hash
