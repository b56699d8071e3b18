"""Sign-in over HTTP on ``make run``'s server: what each class of login costs a shopper, against
what the work needs, and how far apart the classes answer.

Two tenants on one server: the seed tenant, which stores no imported hash, and a second one that
holds a login imported with Django PBKDF2 at 1,000,000 iterations (the import cap). In each, four
logins are asked to sign in with a wrong password, as someone probing for accounts would: a known
login, an unknown username, a locked login and a login that must change its password; in the
second tenant the imported login too. Each answers 401 and must not be told apart by its timing.
The known login also signs in with its right password (200): what a shopper waits for.

The reference is what the work needs: GetAccount's median on the same server (a request that
reads one item, over the same HTTP, framework and app-token check) plus one Argon2id verification
measured in the same run. Rounds interleave every class and GetAccount, each round starting at
the next class, so a load that drifts during the run reaches them all alike.
"""

import base64
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from customer_auth.domain.apps.provisioning import TenantChange, change_tenant
from customer_auth.store.dynamodb import DynamoStore

from ..operator import seed
from .server import SEED, TABLE, LocalServer

PASSWORD = "correct horse battery staple 28"
WRONG_PASSWORD = "not the password at all"
PBKDF2_ITERATIONS = 1_000_000
"""The import cap (``customer_auth.domain.credentials.passwords.MAX_PBKDF2_ITERATIONS``): the slowest hash a
tenant can hold."""

KNOWN, UNKNOWN, LOCKED, MUST_CHANGE, IMPORTED = (
    "known",
    "unknown",
    "locked",
    "must change password",
    "imported PBKDF2 1,000,000",
)
SIGNED_IN = "signed in (right password)"
GET_ACCOUNT = "GetAccount"
PROBES = (KNOWN, UNKNOWN, LOCKED, MUST_CHANGE)
"""The classes a wrong password must not tell apart (the spread is judged over them)."""

IMPORTS_TENANT: dict[str, Any] = {
    "id": 1100,
    "name": "Bench tenant holding an imported hash",
    "sites": [{"id": 2100, "name": "Bench storefront"}],
    "signInPolicy": {"maxFailedAttempts": 100},
}
IMPORTS_CLIENT: dict[str, Any] = {
    "clientId": "bench.imports",
    "name": "Bench imports",
    "secret": "bench-only-imports-secret-0123456789abcdef",
    "behaviors": SEED["clients"][0]["behaviors"],
}


def django_pbkdf2(password: str, iterations: int = PBKDF2_ITERATIONS, salt: str = "benchSalt2800") -> str:
    """A Django ``pbkdf2_sha256`` hash, as a shop migrating from Django would import it."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


class _Tenant:
    """One tenant's app token and logins on the server, and its request for each class."""

    def __init__(self, server: LocalServer, tenant: int, site: int, client: dict[str, Any]) -> None:
        self.server, self.tenant, self.site = server, tenant, site
        self.token = server.app_token(client["clientId"], client["secret"], tenant=tenant)
        self.usernames: dict[str, str] = {UNKNOWN: f"nobody.{tenant}@example.com"}
        self.account_id = 0

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.server.call(method, path, body, self.token, tenant=self.tenant, site=self.site)

    def login(self, kind: str, **create: Any) -> int:
        email = f"{kind.split()[0]}.{self.tenant}@example.com"
        status, account = self.call("POST", "/api/commerce/customer/accounts", {"emailAddress": email})
        assert status == 200, account
        body = {"emailAddress": email, **(create or {"password": PASSWORD})}
        status, ticket = self.call(
            "POST", f"/api/commerce/customer/accounts/{account['id']}/Create-Login", body
        )
        assert status == 200, ticket
        self.usernames[kind] = email
        return int(account["id"])

    def flag(self, account_id: int, action: str) -> None:
        status, body = self.call("POST", f"/api/commerce/customer/accounts/{account_id}/{action}", True)
        assert status == 204, body

    def requests(self, kinds: list[str]) -> dict[str, Callable[[], None]]:
        def sign_in(kind: str, password: str, expected: int) -> Callable[[], None]:
            def send() -> None:
                body = {"username": self.usernames[kind], "password": password}
                status, answer = self.call("POST", "/api/commerce/customer/authtickets", body)
                assert status == expected, (kind, status, answer)

            return send

        def get_account() -> None:
            status, answer = self.call("GET", f"/api/commerce/customer/accounts/{self.account_id}")
            assert status == 200, answer

        sends = {GET_ACCOUNT: get_account}
        for kind in kinds:
            right = kind == SIGNED_IN  # the known login, with its password
            sends[kind] = sign_in(KNOWN, PASSWORD, 200) if right else sign_in(kind, WRONG_PASSWORD, 401)
        return sends


def _prepare(server: LocalServer) -> dict[str, _Tenant]:
    """Both tenants, their clients and their logins; the seed tenant's lockout raised, so that a
    run's wrong passwords (fewer than 100 per login) never lock the known login."""
    store = DynamoStore(server.dynamodb(), TABLE)
    # The server has seeded its tenant already, and a seed never overwrites: change it as an operator does.
    change_tenant(store, int(SEED["tenant"]["id"]), TenantChange(sign_in_policy={"max_failed_attempts": 100}))
    seed(store, {"tenant": IMPORTS_TENANT, "clients": [IMPORTS_CLIENT]})
    for spec in (SEED["tenant"], IMPORTS_TENANT):
        stored = store.get_tenant(int(spec["id"]))
        assert stored is not None
        assert stored.sign_in_policy.max_failed_attempts == 100, stored

    tenants = {
        "native": _Tenant(server, SEED["tenant"]["id"], SEED["tenant"]["sites"][0]["id"], SEED["clients"][0]),
        "imported": _Tenant(server, IMPORTS_TENANT["id"], IMPORTS_TENANT["sites"][0]["id"], IMPORTS_CLIENT),
    }
    for name, tenant in tenants.items():
        tenant.account_id = tenant.login(KNOWN)
        tenant.flag(tenant.login(LOCKED), "Set-Login-Locked")
        tenant.flag(tenant.login(MUST_CHANGE), "Set-Password-Change-Required")
        if name == "imported":
            tenant.login(IMPORTED, isImport=True, externalPassword=django_pbkdf2(PASSWORD))
    return tenants


def measure(rounds: int, warmup: int) -> dict[str, Any]:
    """Medians (ms, wall clock as the client sees it) per tenant and class, from ``rounds``
    interleaved rounds after ``warmup`` untimed ones."""
    with tempfile.TemporaryDirectory(prefix="bench-signin-") as temporary:
        server = LocalServer(Path(temporary))
        try:
            tenants = _prepare(server)
            plans = {
                "native": tenants["native"].requests([*PROBES, SIGNED_IN]),
                "imported": tenants["imported"].requests([*PROBES, IMPORTED]),
            }
            order = [(name, kind) for name, sends in plans.items() for kind in sends]
            samples: dict[tuple[str, str], list[float]] = {step: [] for step in order}
            for number in range(warmup + rounds):
                start = number % len(order)
                for name, kind in order[start:] + order[:start]:
                    started = time.perf_counter()
                    plans[name][kind]()
                    elapsed = (time.perf_counter() - started) * 1000
                    if number >= warmup:
                        samples[(name, kind)].append(elapsed)
        finally:
            server.stop()
    return {
        name: {
            kind: {"median_ms": round(statistics.median(times), 1), "runs_ms": [round(t, 1) for t in times]}
            for (tenant, kind), times in samples.items()
            if tenant == name
        }
        for name in plans
    }


def judged(
    measured: dict[str, Any], verify_ms: float, ratio_budget: float, spread_budget: float
) -> dict[str, Any]:
    """The figures against their budgets: each native class (and the right password) within
    ``ratio_budget`` of GetAccount + one Argon2id verification, and each tenant's probed classes
    within ``spread_budget`` of each other."""
    native, imported = measured["native"], measured["imported"]
    reference = native[GET_ACCOUNT]["median_ms"] + verify_ms
    ratios = {
        kind: round(figures["median_ms"] / reference, 2)
        for kind, figures in native.items()
        if kind != GET_ACCOUNT
    }

    def spread(figures: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, Any]:
        medians = [figures[kind]["median_ms"] for kind in kinds]
        ratio = max(medians) / min(medians)
        return {
            "classes": list(kinds),
            "ratio": round(ratio, 3),
            "budget": spread_budget,
            "pass": ratio <= spread_budget,
        }

    return {
        "tenants": measured,
        "reference_ms": round(reference, 1),
        "reference": {
            "get_account_ms": native[GET_ACCOUNT]["median_ms"],
            "argon2id_verify_ms": round(verify_ms, 1),
        },
        "vs_reference": {
            "ratios": ratios,
            "budget": ratio_budget,
            "pass": max(ratios.values()) <= ratio_budget,
        },
        "spread_native": spread(native, PROBES),
        "spread_imported": spread(imported, (*PROBES, IMPORTED)),
    }
