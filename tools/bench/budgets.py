"""The bench's budgets: it prints PASS or FAIL beside each.

Every judged figure is a ratio of two figures measured in the same run, a count, or a size in
memory. A time in milliseconds measures the machine as much as the code: the report prints times
as absolute figures and never judges them, so the same budgets hold on a slower or a faster
machine.
"""

import math

from . import environment

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

WARM_RATIOS_MEASURED = {
    "AppTokenFunction": 2.05,
    "AddAccountFunction": 2.60,
    "GetAccountFunction": 2.00,
    "CreateLoginFunction": 2.01,
    "AddAccountAndLoginFunction": 2.05,
    "SignInFunction": 1.88,
    "RefreshFunction": 1.95,
    "UpdateAccountFunction": 1.96,
    "DeleteAccountFunction": 1.50,
    "AnonymousShopperFunction": 1.77,
    "LogOutFunction": 2.18,
    "CurrentAccountFunction": 2.10,
    "ChangePasswordFunction": 2.16,
    "SetLoginLockedFunction": 2.01,
    "LoginStateFunction": 2.02,
    "TenantDataFunction": 2.02,
    "JwksFunction": 8.15,
    "ApiDocsFunction": 0.11,
    "NotFoundFunction": 12.69,
    "TwoFactorRequestFunction": 1.96,
    "ResetPasswordFunction": 1.90,
    "UpdateForgottenPasswordFunction": 1.92,
    "SetPasswordChangeRequiredFunction": 1.95,
    "ChangePasswordsFunction": 2.10,
    "LoginStateByUserNameFunction": 1.87,
    "LoginStateByEmailAddressFunction": 1.94,
    "TwoFactorAuthFunction": 1.93,
    "OtpRequestFunction": 1.99,
    "OtpAuthFunction": 1.92,
    "AppTicketFunction": 2.08,
    "RefreshAppTicketFunction": 1.84,
    "DeleteAppTicketFunction": 1.89,
}
"""Each route's warm ratio (the handler's median CPU time over its floor's) when the budgets were
set: the highest of three runs of 300 requests on the 2-core machine (Intel Xeon, Python 3.13.0,
load average 2 to 4 from other work), whose runs agreed within 5%."""
WARM_MARGIN = 1.25
"""The budget over today's ratio on most routes. The run-to-run spread is under 5%; the rest is for
another machine or Python, where the framework's pure-Python work and the floor's (botocore's
serialization, pyjwt, OpenSSL's ECDSA) need not speed up alike. A quarter is about what the old
absolute budgets allowed (0.4 ms over a 0.3 ms floor on a read route) and still catches a route
that starts doing a third more work than its floor."""
WARM_MARGIN_TINY_FLOOR = 1.5
"""The margin where the floor is a few microseconds or the handler serves a cached body: JWKS and
the 404 (a floor of 6 us, a json.dumps of a small body, where a clock read is a tenth of it) and
the API document (the floor serializes the whole document, which the handler keeps serialized)."""
TINY_FLOOR_FUNCTIONS = frozenset({"JwksFunction", "NotFoundFunction", "ApiDocsFunction"})


def _ratio_budget(function: str, measured: float) -> float:
    margin = WARM_MARGIN_TINY_FLOOR if function in TINY_FLOOR_FUNCTIONS else WARM_MARGIN
    return math.ceil(measured * margin * 10) / 10


WARM_RATIO = {function: _ratio_budget(function, ratio) for function, ratio in WARM_RATIOS_MEASURED.items()}
"""Each route's budget: its handler's median CPU time at most this many times its floor's."""
COLD_RATIO = 1.15
"""A function's cold init over the stack floor process's: boto3 and a DynamoDB client, pyjwt
signing with a loaded ES256 key, one pydantic model, powertools' Logger and Metrics, and the
validating resolver with one route. The ratio to the boto3-only floor is reported beside it."""
PEAK_MIB = 110.0
"""Peak resident memory after init: a size, not a time (the smallest functions have 128 MB)."""
LAMBDA_MB_PER_VCPU = environment.LAMBDA_MB_PER_VCPU
HASH_SLOWDOWN = 1.0
"""Argon2id at a hashing function's MemorySize over its time on one full vCPU (1,769 MB / memory,
at least 1): every function that hashes gets a whole vCPU, so a sign-in's hash costs what it
costs on one core. The hash's time in ms is printed beside it and not judged."""
EMBEDDED_GROWTH = 1.3
"""The embedded backend's Create-Login at the largest size over its time at the smallest (make
run's server; the full run's sizes are 100 and 10,000 stored accounts)."""

SIGN_IN_RATIO = 1.5
"""Sign-in over HTTP on make run's server, for a tenant that stores no imported hash: each class's
median (known, unknown, locked, must change its password, and a right password) at most this many
times GetAccount's median on the same server plus one Argon2id verification."""
SIGN_IN_SPREAD = 1.05
"""The slowest of a tenant's probed classes (a wrong password for a known, unknown, locked and
must-change login, and an imported one where the tenant holds it) over the fastest."""
IMPORT_MARGIN = 1.5
"""The padded password check over the slowest accepted import's verification on the bench's core
(one core standing for the vCPU Lambda gives a 1,769 MB function)."""
FLOOR_WORK = frozenset({"sign_in_ratio", "sign_in_spread_native", "sign_in_spread_imported", "import_margin"})
"""The budgets of the per-tenant password-check floor: every check padded to what the tenant's
slowest stored hash costs instead of one 350 ms floor for all."""
PENDING = FLOOR_WORK
"""Budgets of FLOOR_WORK that cannot hold until that work lands: judged and printed with their
figures, listed apart, and not counted in the exit status. Today all four: every check waits out
the 350 ms floor (sign-in is about 12x its reference), and the capped imports verify in 300 ms or
more on this machine, so under load the imported login answers later than the others. Take a
name out when its work is merged."""

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
