"""Argon2id password hashing at OWASP's parameters (imported only by functions that hash).

Also verifies the hashes a tenant imported from another system (bcrypt, any Argon2 variant,
Django ``pbkdf2_sha256``) until the first sign-in replaces them with one of ours.
"""

import base64
import hashlib
import hmac
import re
import secrets
from typing import Literal

from argon2 import PasswordHasher as _Argon2
from argon2 import Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import pause
from .domain.credentials.passwords import importable_hash_over_cap

HashProfile = Literal["owasp", "test"]

_PROFILES: dict[HashProfile, tuple[int, int, int]] = {
    # (memory KiB, time cost, parallelism). OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1.
    "owasp": (19 * 1024, 2, 1),
    # Cheap parameters so the test suite runs fast; never set in template.yaml.
    "test": (1024, 1, 1),
}

_CHECK_FLOORS: dict[HashProfile, float] = {
    # Seconds every password check takes at least, whatever it verified: our hash, an imported
    # one or the dummy of an unknown user (issue 15). Above the slowest verification the import
    # caps allow at one vCPU (``domain.credentials.passwords``: about 250 ms), so no class of account answers
    # faster or slower than another; the rest of the wait is a sleep, not work.
    "owasp": 0.35,
    # The test suite's hashes are cheap and nothing there measures time, except the enumeration
    # test, which builds the owasp hasher.
    "test": 0.0,
}

# Real hashes are 60-120 characters; anything far longer is not one we produced or accept.
_MAX_HASH_LENGTH = 512
# The originating bcrypt implementations silently used only the first 72 bytes; bcrypt 5 raises.
_BCRYPT_MAX_PASSWORD_BYTES = 72

_BCRYPT = re.compile(r"\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}")
_ARGON2 = re.compile(
    r"\$argon2(?:id|i|d)\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)
_DJANGO_PBKDF2 = re.compile(
    r"pbkdf2_sha256\$(?P<iterations>[0-9]{1,8})\$(?P<salt>[A-Za-z0-9./+=_-]+)\$(?P<hash>[A-Za-z0-9+/=]+)"
)


class Argon2idHasher:
    """``customer_auth.domain.credentials.passwords.PasswordHasher`` with argon2-cffi, bcrypt and hashlib."""

    def __init__(self, profile: HashProfile = "owasp", *, check_floor_seconds: float | None = None) -> None:
        """``check_floor_seconds`` overrides the profile's floor: the bench sets 0 to time the work."""
        memory_cost, time_cost, parallelism = _PROFILES[profile]
        self._hasher = _Argon2(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._dummy_hash: str | None = None
        self._floor = _CHECK_FLOORS[profile] if check_floor_seconds is None else check_floor_seconds

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password: str, stored_hash: str, *, external: bool, padded: bool = True) -> bool:
        """Whether ``password`` matches; malformed, unsupported or over-cap hashes never match.
        A ``padded`` check takes at least the profile's floor, whatever the hash (a refused one too)."""
        with pause.no_sooner_than(self._floor if padded else 0):
            return self._verify(password, stored_hash, external=external)

    def _verify(self, password: str, stored_hash: str, *, external: bool) -> bool:
        try:
            secret = password.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: no system could have hashed this password
            return False
        if len(stored_hash) > _MAX_HASH_LENGTH or importable_hash_over_cap(stored_hash) is not None:
            return False  # over the caps the equal-cost floor covers (the domain's one judgement)
        if not external:
            return self._verify_argon2(secret, stored_hash, allowed={Type.ID})
        if _ARGON2.fullmatch(stored_hash):
            return self._verify_argon2(secret, stored_hash, allowed={Type.ID, Type.I, Type.D})
        if _BCRYPT.fullmatch(stored_hash):
            return _verify_bcrypt(secret, stored_hash)
        if django_hash := _DJANGO_PBKDF2.fullmatch(stored_hash):
            return _verify_django_pbkdf2(
                secret, int(django_hash["iterations"]), django_hash["salt"], django_hash["hash"]
            )
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether one of our hashes differs from the current profile (weaker parameters, another
        Argon2 variant, or not an Argon2 hash at all)."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except ValueError:  # InvalidHashError
            return True

    def verify_dummy(self, password: str) -> None:
        """The work and the time of a padded check, for a login that does not exist."""
        self.verify(password, self._dummy(), external=False)

    def _dummy(self) -> str:
        # Made on first use with this instance's parameters, so it costs what a real verify costs.
        if self._dummy_hash is None:
            self._dummy_hash = self.hash(secrets.token_urlsafe(24))
        return self._dummy_hash

    def _verify_argon2(self, secret: bytes, stored_hash: str, *, allowed: set[Type]) -> bool:
        if not _ARGON2.fullmatch(stored_hash):
            return False
        try:
            parameters = extract_parameters(stored_hash)
        except InvalidHashError:
            return False
        if parameters.type not in allowed:
            return False
        try:
            return self._hasher.verify(stored_hash, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _verify_bcrypt(secret: bytes, stored_hash: str) -> bool:
    import bcrypt  # only imported hashes need it

    try:
        return bcrypt.checkpw(secret[:_BCRYPT_MAX_PASSWORD_BYTES], stored_hash.encode("ascii"))
    except ValueError:  # invalid salt or cost
        return False


def _verify_django_pbkdf2(secret: bytes, iterations: int, salt: str, encoded: str) -> bool:
    # As Django's PBKDF2PasswordHasher: base64 of the 32-byte derived key, compared as text.
    derived = hashlib.pbkdf2_hmac("sha256", secret, salt.encode("ascii"), iterations)
    return hmac.compare_digest(base64.b64encode(derived), encoded.encode("ascii"))
