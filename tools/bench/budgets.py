"""The budgets of issue 5: the bench prints PASS or FAIL beside each."""

ROUND_TRIPS = {
    "GetAccountFunction": 1,
    "CreateLoginFunction": 2,
    "AddAccountAndLoginFunction": 2,
    "RefreshFunction": 2,
    "LogOutFunction": 2,
    "SignInFunction": 3,
    "AppTokenFunction": 3,
}
"""DynamoDB round trips per request (a transaction is one); other endpoints are reported only.
The app token reads its tenant too (issue 15): the token carries the tenant's sites, so that every
route can refuse a foreign ``x-vol-site`` without a read of its own."""

WARM_RATIO = 1.5
"""The handler's warm median over the floor's."""
WARM_OVERHEAD_MS = 1.5
"""The handler's warm median minus the floor's, in milliseconds: the absolute form of the overhead
vs the floor (the issue's "<= 1.5 ms absolute")."""
COLD_RATIO = 1.35
"""A function's cold init over the floor process's (import boto3, one DynamoDB client)."""
PEAK_MIB = 110.0
"""Peak resident memory after init."""
HASH_MS = 60.0
"""One Argon2id operation at the function's Lambda memory size."""
LAMBDA_MB_PER_VCPU = 1769
"""Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion to memory below it."""

HASHING_FUNCTIONS = {
    "CreateLoginFunction": ("hash",),
    "AddAccountAndLoginFunction": ("hash",),
    "SignInFunction": ("verify",),
    "ChangePasswordFunction": ("verify", "hash"),
    "UpdateForgottenPasswordFunction": ("hash",),
    "ChangePasswordsFunction": ("verify", "hash"),
}
"""The functions that hash or verify a password, and the Argon2id operations one request makes.
Every other function must not import argon2."""


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"
