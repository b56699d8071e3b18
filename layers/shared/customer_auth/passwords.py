"""Argon2id password hashing at OWASP's parameters (imported only by functions that hash)."""

from typing import Literal

from argon2 import PasswordHasher as _Argon2
from argon2 import Type

HashProfile = Literal["owasp", "test"]

_PROFILES: dict[HashProfile, dict[str, int]] = {
    # OWASP Password Storage Cheat Sheet minimum for Argon2id: m=19 MiB, t=2, p=1.
    "owasp": {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1},
    # Cheap parameters so the test suite runs fast; never set in template.yaml.
    "test": {"memory_cost": 1024, "time_cost": 1, "parallelism": 1},
}


class Argon2idHasher:
    def __init__(self, profile: HashProfile = "owasp") -> None:
        self._hasher = _Argon2(type=Type.ID, hash_len=32, salt_len=16, **_PROFILES[profile])

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)
