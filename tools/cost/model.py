"""What the service costs a month: the bench's per-request figures, each function's MemorySize from
template.yaml, and AWS's list prices (``prices.json``).

A request's billed Lambda time is worked out, not measured on AWS:

- its CPU work: the bench's warm median (CPU time, AWS answered at no cost, hashing left out),
  times the function's slowdown (1,769 MB / MemorySize, at least 1: Lambda gives a function that
  share of one vCPU, and one core here stands for one vCPU);
- its waits on AWS: each DynamoDB round trip and each other AWS call (EventBridge) the bench
  recorded, at ``aws_call_ms`` each (an assumption: the bench answers AWS at no cost, and
  DynamoDB's in-region latency is a few milliseconds);
- its password work: each Argon2id operation the bench's hashing figures measured, times the
  slowdown; a shopper's password check (sign-in, Change-Password) takes at least the padded check
  the bench measured, since it waits out the floor (billed, though it is a sleep);
- the routes that answer no sooner than ``RECOVERY_ANSWER_MS`` are billed at least that;
- a share of invocations (``cold_share``) also pays the function's cold init, the bench's CPU
  time of it: Lambda bills the init phase since August 2025, and runs it at full speed whatever
  the memory (observed, not documented; at the memory's share of a vCPU a 512 MB function's init
  would cost 3.5 times as much).

Each invocation is billed to the next millisecond. DynamoDB is billed by the request units the
bench worked out from each call and the sizes of the items it touched; storage by the bytes a
shopper and a sign-in's session keep (with DynamoDB's 100 bytes per item).
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customer_auth.api.settings import Settings

from .. import sam_template
from ..bench import environment
from ..bench.budgets import HASHING_FUNCTIONS

HERE = Path(__file__).resolve().parent
FIGURES = HERE / "bench-figures.json"
PRICES = HERE / "prices.json"

ACTIONS = {
    "sign_ins": ("SignInFunction",),
    "refreshes": ("RefreshFunction",),
    "account_reads": ("GetAccountFunction",),
    "two_factor_codes": ("TwoFactorRequestFunction", "TwoFactorAuthFunction"),
    "resets": ("ResetPasswordFunction", "UpdateForgottenPasswordFunction"),
}
"""What one shopper action calls: a 2FA code is its request and its answer, a reset its request
and the new password."""
EMAILS = ("two_factor_codes", "resets")
"""Actions that mail a code (one email each, sent by the tenant's mailer from the event)."""
DEFAULTS: dict[str, float] = {
    "sign_ins": 4,
    "refreshes": 10,
    "account_reads": 10,
    "two_factor_codes": 0.2,
    "resets": 0.05,
}
"""Per shopper and month: a few visits a month, each a sign-in or a refresh of a kept session and
an account read or two; one shopper in five asked for a 2FA code, one in twenty resetting."""
APP_TOKENS = 730
"""App tokens a month: one storefront backend renewing its token every hour (730 hours)."""
AWS_CALL_MS = 5.0
COLD_SHARE = 0.01
"""AWS reports cold starts in under 1% of invocations for most production functions."""
MONTH_SECONDS = 730 * 3600

PADDED_CHECK_FUNCTIONS = frozenset({"SignInFunction", "ChangePasswordFunction"})
"""Functions whose password check waits out the padded floor (a shopper's sign-in and
Change-Password; an administrator's Change-Passwords is not padded)."""
ANSWER_FLOOR_FUNCTIONS = frozenset(
    {"ResetPasswordFunction", "UpdateForgottenPasswordFunction", "OtpRequestFunction", "OtpAuthFunction"}
)
"""Functions that answer no sooner than RECOVERY_ANSWER_MS."""


def figures(results: dict[str, Any]) -> dict[str, Any]:
    """The bench's per-request figures that ``make cost`` prices (bench-results.json's shape in,
    bench-figures.json's out)."""
    functions = {}
    for endpoint in results["endpoints"]:
        cold = endpoint["cold"]
        functions[endpoint["function"]] = {
            "round_trips": endpoint["round_trips"]["count"],
            "other_aws_calls": len(endpoint["round_trips"]["other_aws_calls"]),
            "read_units": endpoint["capacity"]["read_units"],
            "write_units": endpoint["capacity"]["write_units"],
            "events": endpoint["capacity"]["events"],
            "warm_cpu_ms": endpoint["warm"]["median_ms"],
            "cold_init_cpu_ms": cold["init_cpu_ms"] if cold else None,
        }
    return {
        "measured": {
            "mode": results["mode"],
            "machine": results["machine"],
            "settings": results["settings"],
        },
        "functions": functions,
        "argon2": {"hash_ms": results["hashing"]["hash_ms"], "verify_ms": results["hashing"]["verify_ms"]},
        "padded_check_ms": results["import_caps"]["padded_check_ms"],
        "storage": results["storage"],
    }


def load_json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@dataclass(frozen=True)
class Usage:
    mau: int
    per_shopper: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))
    app_tokens: float = APP_TOKENS
    aws_call_ms: float = AWS_CALL_MS
    cold_share: float = COLD_SHARE
    stored_shoppers: int | None = None
    """Shoppers with an account in the table (default: the MAU)."""

    def invocations(self) -> dict[str, float]:
        counts: dict[str, float] = {"AppTokenFunction": self.app_tokens}
        for action, functions in ACTIONS.items():
            for function in functions:
                counts[function] = counts.get(function, 0) + self.mau * self.per_shopper[action]
        return counts


def _setting(function: str, name: str) -> int:
    """A function's setting as template.yaml sets it, else the code's default."""
    field_info = Settings.model_fields[name]
    value = environment.function_environment(function).get(str(field_info.alias))
    return int(value) if value is not None else int(field_info.default)


def per_request(figures: dict[str, Any], function: str, usage: Usage) -> dict[str, Any]:
    """One invocation of ``function`` on Lambda: what it is billed, and why."""
    measured = figures["functions"][function]
    memory = environment.memory_size(function)
    slowdown = environment.slowdown(memory)
    compute_ms = measured["warm_cpu_ms"] * slowdown
    aws_ms = (measured["round_trips"] + measured["other_aws_calls"]) * usage.aws_call_ms
    password_ms = 0.0
    for operation in HASHING_FUNCTIONS.get(function, ()):
        work = figures["argon2"][f"{operation}_ms"] * slowdown
        if operation == "verify" and function in PADDED_CHECK_FUNCTIONS:
            work = max(work, figures["padded_check_ms"])
        password_ms += work
    duration_ms = compute_ms + aws_ms + password_ms
    if function in ANSWER_FLOOR_FUNCTIONS:
        duration_ms = max(duration_ms, _setting(function, "recovery_answer_ms"))
    cold_ms = measured["cold_init_cpu_ms"] or 0.0
    billed_ms = math.ceil(duration_ms) + usage.cold_share * math.ceil(cold_ms)
    return {
        "function": function,
        "memory_mb": memory,
        "slowdown": round(slowdown, 3),
        "compute_ms": compute_ms,
        "aws_ms": aws_ms,
        "password_ms": password_ms,
        "duration_ms": duration_ms,
        "cold_init_ms": cold_ms,
        "billed_ms": billed_ms,
        "gb_seconds": billed_ms / 1000 * memory / 1024,
        "round_trips": measured["round_trips"],
        "read_units": measured["read_units"],
        "write_units": measured["write_units"],
        "events": measured["events"],
    }


def cognito_price(maus: int, plan: dict[str, Any]) -> float:
    """A Cognito plan's monthly price for ``maus``: its free MAUs, then each tier's rate."""
    total, floor = 0.0, plan["free_maus"]
    for tier in plan["tiers"]:
        ceiling = tier["up_to"] if tier["up_to"] is not None else math.inf
        if maus > floor:
            total += (min(maus, ceiling) - floor) * tier["usd_per_mau"]
        floor = max(floor, ceiling)
    return total


def _keyed_functions() -> list[str]:
    """Functions that read the signing keys from Secrets Manager (they hold its read policy)."""
    keyed = []
    for name, resource in sam_template.resources().items():
        policies = resource.get("Properties", {}).get("Policies", [])
        if any(isinstance(p, dict) and "AWSSecretsManagerGetSecretValuePolicy" in p for p in policies):
            keyed.append(name)
    return keyed


def monthly(figures: dict[str, Any], prices: dict[str, Any], usage: Usage) -> dict[str, Any]:
    """Each component's monthly quantity and cost in USD, the total, and Cognito beside it."""
    price = {name: entry["usd"] for name, entry in prices["prices"].items()}
    invocations = usage.invocations()
    requests = {f: per_request(figures, f, usage) for f in invocations}
    total_invocations = sum(invocations.values())
    gb_seconds = sum(invocations[f] * requests[f]["gb_seconds"] for f in invocations)
    read_units = sum(invocations[f] * requests[f]["read_units"] for f in invocations)
    write_units = sum(invocations[f] * requests[f]["write_units"] for f in invocations)
    events = sum(invocations[f] * requests[f]["events"] for f in invocations)
    emails = sum(usage.mau * usage.per_shopper[action] for action in EMAILS)

    storage = figures["storage"]
    shoppers = usage.mau if usage.stored_shoppers is None else usage.stored_shoppers
    # A sign-in's session lives for the refresh lifetime (30 days by default): a month's sign-ins.
    stored_bytes = (
        shoppers * storage["shopper_bytes"] + invocations["SignInFunction"] * storage["sign_in_bytes"]
    )
    stored_gb = stored_bytes / 1024**3

    keyed = [f for f in _keyed_functions() if f in invocations]
    cold_starts = sum(invocations[f] * usage.cold_share for f in keyed)
    # Each busy function keeps at least one environment warm, and re-reads the keys when its cache
    # ends; more environments when its requests overlap (busy seconds over the month's seconds).
    environments = {
        f: max(1, math.ceil(invocations[f] * requests[f]["duration_ms"] / 1000 / MONTH_SECONDS))
        for f in keyed
    }
    key_reads = cold_starts + sum(
        environments[f] * MONTH_SECONDS / max(1, _setting(f, "keys_cache_seconds")) for f in keyed
    )
    secrets = sum(1 for r in sam_template.resources().values() if r["Type"] == "AWS::SecretsManager::Secret")

    components = [
        (
            "Lambda requests",
            f"{total_invocations:,.0f} requests",
            total_invocations * price["lambda_request"],
        ),
        ("Lambda duration (arm64)", f"{gb_seconds:,.0f} GB-s", gb_seconds * price["lambda_arm64_gb_second"]),
        ("HTTP API", f"{total_invocations:,.0f} requests", total_invocations * price["http_api_request"]),
        ("DynamoDB reads", f"{read_units:,.0f} RRU", read_units * price["dynamodb_read_request_unit"]),
        ("DynamoDB writes", f"{write_units:,.0f} WRU", write_units * price["dynamodb_write_request_unit"]),
        (
            "DynamoDB storage and PITR",
            f"{stored_gb:,.2f} GB",
            stored_gb * (price["dynamodb_storage_gb_month"] + price["dynamodb_pitr_gb_month"]),
        ),
        (
            "Secrets Manager",
            f"{secrets} secret, {key_reads:,.0f} reads",
            secrets * price["secrets_manager_secret_month"] + key_reads * price["secrets_manager_api_call"],
        ),
        ("EventBridge", f"{events:,.0f} events", events * price["eventbridge_custom_event"]),
        ("SES (the tenant's mailer)", f"{emails:,.0f} emails", emails * price["ses_email"]),
    ]
    total = sum(usd for _, _, usd in components)
    free = prices["lambda_free_tier"]
    free_usd = (
        min(total_invocations, free["requests"]) * price["lambda_request"]
        + min(gb_seconds, free["gb_seconds"]) * price["lambda_arm64_gb_second"]
    )
    return {
        "usage": {
            "mau": usage.mau,
            "per_shopper": usage.per_shopper,
            "app_tokens": usage.app_tokens,
            "aws_call_ms": usage.aws_call_ms,
            "cold_share": usage.cold_share,
            "stored_shoppers": shoppers,
        },
        "invocations": invocations,
        "per_request": requests,
        "components": [{"component": n, "quantity": q, "usd": usd} for n, q, usd in components],
        "total_usd": total,
        "usd_per_1000_mau": total / usage.mau * 1000 if usage.mau else 0.0,
        "lambda_free_tier_usd": free_usd,
        "cognito": {
            "essentials_usd": cognito_price(usage.mau, prices["cognito"]["essentials"]),
            "lite_usd": cognito_price(usage.mau, prices["cognito"]["lite"]),
        },
    }
