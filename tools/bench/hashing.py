"""Argon2id at the production parameters, and what it costs at each hashing function's memory."""

import statistics
from dataclasses import dataclass
from time import perf_counter

from customer_auth.passwords import Argon2idHasher

from . import budgets, environment

PASSWORD = "correct horse battery staple"


@dataclass
class HashTimes:
    hash_ms: float
    verify_ms: float
    runs: int


def measure(runs: int) -> HashTimes:
    """Median single-thread times of one hash and one verification (``owasp``: m=19 MiB, t=2, p=1):
    the work, without the floor every production check is padded to (a sleep, not CPU)."""
    hasher = Argon2idHasher("owasp", check_floor_seconds=0)
    stored = hasher.hash(PASSWORD)  # untimed: the first allocation of the 19 MiB
    hashes, verifications = [], []
    for _ in range(runs):
        started = perf_counter()
        hasher.hash(PASSWORD)
        hashed = perf_counter()
        assert hasher.verify(PASSWORD, stored, external=False)
        verified = perf_counter()
        hashes.append((hashed - started) * 1000)
        verifications.append((verified - hashed) * 1000)
    return HashTimes(statistics.median(hashes), statistics.median(verifications), runs)


def on_lambda(times: HashTimes) -> list[dict[str, object]]:
    """Each hashing function's Argon2id work at its MemorySize. Argon2id with p=1 uses one thread,
    so more memory than a vCPU's adds nothing; taking one core of this machine as one Lambda vCPU,
    an operation's time there is the measured time x the slowdown. The slowdown is judged; the
    times are this machine's."""
    rows: list[dict[str, object]] = []
    for function, operations in budgets.HASHING_FUNCTIONS.items():
        memory = environment.memory_size(function)
        scale = environment.slowdown(memory)
        per_operation = {"hash": times.hash_ms * scale, "verify": times.verify_ms * scale}
        rows.append(
            {
                "function": function,
                "memory_mb": memory,
                "vcpu_share": min(1.0, memory / budgets.LAMBDA_MB_PER_VCPU),
                "slowdown": round(scale, 2),
                "operations": list(operations),
                "lambda_ms_per_operation": {op: round(per_operation[op], 1) for op in operations},
                "lambda_ms_per_request": round(sum(per_operation[op] for op in operations), 1),
                "pass": scale <= budgets.HASH_SLOWDOWN,
            }
        )
    return rows
