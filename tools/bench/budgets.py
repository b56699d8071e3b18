"""The budgets of issue 13 (replacing issue 5's): the bench prints PASS or FAIL beside each."""

ROUND_TRIPS = {
    "GetAccountFunction": 1,
    "CreateLoginFunction": 2,
    "AddAccountAndLoginFunction": 2,
    "RefreshFunction": 2,
    "LogOutFunction": 2,
    "SignInFunction": 3,
    "AppTokenFunction": 3,
    "OtpRequestFunction": 3,
    "OtpAuthFunction": 3,
}
"""DynamoDB round trips per request (a transaction is one); other endpoints are reported only.
The app token reads its tenant too (issue 15): the token carries the tenant's sites, so that every
route can refuse a foreign ``x-vol-site`` without a read of its own. Passwordless sign-in's two
routes (issue 17) read twice and write once whether or not the email has a login."""

WARM_OVERHEAD_MS = 1.0
"""The handler's warm median minus the floor's, in milliseconds, on every route."""
WARM_READ_OVERHEAD_MS = 0.4
"""The same on the read routes, which do little besides the framework's work."""
READ_FUNCTIONS = frozenset(
    {
        "GetAccountFunction",
        "CurrentAccountFunction",
        "LoginStateFunction",
        "TenantDataFunction",
        "AppTokenFunction",
    }
)
"""The routes held to WARM_READ_OVERHEAD_MS."""
COLD_RATIO = 1.15
"""A function's cold init over the stack floor process's: boto3 and a DynamoDB client, pyjwt
signing with a loaded ES256 key, one pydantic model, powertools' Logger and Metrics, and the
validating resolver with one route. The ratio to the boto3-only floor is reported beside it."""
PEAK_MIB = 110.0
"""Peak resident memory after init."""
HASH_MS = 60.0
"""One Argon2id operation at the function's Lambda memory size."""
LAMBDA_MB_PER_VCPU = 1769
"""Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion to memory below it."""
EMBEDDED_GROWTH = 1.3
"""The embedded backend's Create-Login at the largest size over its time at the smallest (make
run's server; the full run's sizes are 100 and 10,000 stored accounts)."""

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


def warm_overhead_budget(function: str) -> float:
    return WARM_READ_OVERHEAD_MS if function in READ_FUNCTIONS else WARM_OVERHEAD_MS


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"
