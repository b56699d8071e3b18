"""Argon2id password hashing at OWASP's parameters (imported only by functions that hash)."""

from typing import Literal

from argon2 import PasswordHasher as _Argon2
from argon2 import Type

HashProfile = Literal["owasp", "test"]

_PROFILES: dict[HashProfile, tuple[int, int, int]] = {
    # (memory KiB, time cost, parallelism). OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1.
    "owasp": (19 * 1024, 2, 1),
    # Cheap parameters so the test suite runs fast; never set in template.yaml.
    "test": (1024, 1, 1),
}


class Argon2idHasher:
    def __init__(self, profile: HashProfile = "owasp") -> None:
        memory_cost, time_cost, parallelism = _PROFILES[profile]
        self._hasher = _Argon2(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)
