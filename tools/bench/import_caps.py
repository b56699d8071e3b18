"""The slowest hashes a tenant may import, verified on the bench's core, against the padded check.

Every password check is padded to a floor so that a login holding an imported hash cannot be told
apart from one holding ours. That holds only while the slowest accepted import verifies within the
floor, with room for a busy machine: this measures each format at its import cap (Django PBKDF2 at
1,000,000 iterations, bcrypt cost 12, Argon2 at 64 MiB x 4 passes on one lane, the most work its
caps allow on one thread) and the production hasher's padded check of an unknown user, which is
the floor as it stands.
"""

import statistics
from time import perf_counter
from typing import Any

import bcrypt
from argon2 import PasswordHasher, Type

from customer_auth.domain.credentials import passwords as caps
from customer_auth.passwords import Argon2idHasher

from .signin import django_pbkdf2

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"


def _imports() -> dict[str, str]:
    argon2 = PasswordHasher(
        time_cost=caps.MAX_ARGON2_WORK_KIB // caps.MAX_ARGON2_MEMORY_KIB,
        memory_cost=caps.MAX_ARGON2_MEMORY_KIB,
        parallelism=1,
        type=Type.ID,
    )
    return {
        f"Django PBKDF2 {caps.MAX_PBKDF2_ITERATIONS:,} iterations": django_pbkdf2(
            PASSWORD, caps.MAX_PBKDF2_ITERATIONS
        ),
        f"bcrypt cost {caps.MAX_BCRYPT_COST}": bcrypt.hashpw(
            PASSWORD.encode(), bcrypt.gensalt(caps.MAX_BCRYPT_COST)
        ).decode(),
        f"Argon2id {caps.MAX_ARGON2_MEMORY_KIB // 1024} MiB x "
        f"{caps.MAX_ARGON2_WORK_KIB // caps.MAX_ARGON2_MEMORY_KIB} passes, 1 lane": argon2.hash(PASSWORD),
    }


def _median_ms(check: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = perf_counter()
        check()
        times.append((perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(runs: int, margin_budget: float) -> dict[str, Any]:
    """Median verification time of each import at its cap (a wrong password, as the production
    hasher verifies it, unpadded), the padded check of an unknown user, and their ratio."""
    unpadded = Argon2idHasher("owasp", check_floor_seconds=0)
    padded = Argon2idHasher("owasp")
    padded.verify_dummy(WRONG)  # untimed: makes the dummy hash
    verify_ms = {}
    for name, stored in _imports().items():
        assert unpadded.verify(PASSWORD, stored, external=True), f"{name} is refused by the hasher"
        verify_ms[name] = round(
            _median_ms(lambda s=stored: unpadded.verify(WRONG, s, external=True), runs), 1
        )
    floor_ms = _median_ms(lambda: padded.verify_dummy(WRONG), runs)
    slowest = max(verify_ms, key=lambda name: verify_ms[name])
    margin = floor_ms / verify_ms[slowest]
    return {
        "runs": runs,
        "verify_ms": verify_ms,
        "slowest": slowest,
        "padded_check_ms": round(floor_ms, 1),
        "margin": round(margin, 2),
        "budget": margin_budget,
        "pass": margin >= margin_budget,
    }
