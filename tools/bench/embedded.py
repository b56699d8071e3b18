"""``make run``'s embedded backend (moto): a Create-Login's time as the table grows.

The local server runs as ``make run`` runs it (its own process, Argon2id at the production
parameters); stored accounts are written straight into its DynamoDB in the service's item format.
"""

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customer_auth.models.account import CustomerAccount
from customer_auth.store.items import account_item

from . import budgets
from .server import SEED, TABLE, LocalServer

FIRST_ACCOUNT_ID = 500_000_000
_BATCH = 25
_WARMUP = 3


@dataclass
class SizeResult:
    accounts: int
    items_before: int
    create_login_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.create_login_ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "items_before": self.items_before,
            "create_login_median_ms": round(self.median_ms, 1),
            "create_login_ms": [round(ms, 1) for ms in self.create_login_ms],
        }


def measure(sizes: list[int], creates: int) -> list[SizeResult]:
    """For each size (ascending), store that many accounts, then time ``creates`` Create-Logins
    on stored accounts, each over HTTP as a client sees it."""
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-embedded-") as temporary:
        server = LocalServer(Path(temporary))
        try:
            dynamodb = server.dynamodb()
            client = SEED["clients"][0]
            token = server.app_token(client["clientId"], client["secret"])
            # Untimed: the server's first Create-Logins load the function, argon2 and the
            # models; the budget compares table sizes, not a cold server with a warm one.
            for attempt in range(_WARMUP):
                body = {"emailAddress": f"warmup.{attempt}@example.com", "password": "a long passphrase"}
                status, account = server.call("POST", "/api/commerce/customer/accounts", body, token)
                assert status == 200, account
                status, ticket = server.call(
                    "POST", f"/api/commerce/customer/accounts/{account['id']}/Create-Login", body, token
                )
                assert status == 200, ticket
            stored = 0
            for size in sorted(sizes):
                _store_accounts(dynamodb, stored, size)
                stored = size
                result = SizeResult(size, _count(dynamodb))
                for attempt in range(creates):
                    account_id = FIRST_ACCOUNT_ID + size - 1 - attempt  # the newest: never given a login
                    body = {
                        "emailAddress": f"bench.{size}.{attempt}@example.com",
                        "password": "a long passphrase",
                    }
                    started = time.perf_counter()
                    status, ticket = server.call(
                        "POST", f"/api/commerce/customer/accounts/{account_id}/Create-Login", body, token
                    )
                    result.create_login_ms.append((time.perf_counter() - started) * 1000)
                    assert status == 200, ticket
                results.append(result)
        finally:
            server.stop()
    return results


def growth(results: list[SizeResult]) -> dict[str, Any] | None:
    """The largest size's median Create-Login over the smallest's, against its budget (None with
    fewer than two sizes)."""
    if len(results) < 2:
        return None
    smallest, largest = results[0], results[-1]
    ratio = largest.median_ms / smallest.median_ms
    return {
        "smallest": smallest.accounts,
        "largest": largest.accounts,
        "ratio": round(ratio, 2),
        "budget": budgets.EMBEDDED_GROWTH,
        "pass": ratio <= budgets.EMBEDDED_GROWTH,
    }


def _store_accounts(dynamodb: Any, start: int, stop: int) -> None:
    tenant_id = int(SEED["tenant"]["id"])
    for first in range(start, stop, _BATCH):
        writes = []
        for number in range(first, min(stop, first + _BATCH)):
            account = CustomerAccount(
                id=FIRST_ACCOUNT_ID + number,
                email_address=f"stored.{number}@example.com",
                first_name="Stored",
                last_name=f"Shopper {number}",
            )
            writes.append({"PutRequest": {"Item": account_item(tenant_id, account, 1)}})
        unprocessed: dict[str, Any] = {TABLE: writes}
        while unprocessed:
            unprocessed = dynamodb.batch_write_item(RequestItems=unprocessed).get("UnprocessedItems") or {}


def _count(dynamodb: Any) -> int:
    total, start_key = 0, None
    while True:
        page = dynamodb.scan(
            TableName=TABLE, Select="COUNT", **({"ExclusiveStartKey": start_key} if start_key else {})
        )
        total += int(page["Count"])
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return total
