"""Create-Login is one atomic write (docs/contract.md §4): races produce one login, failures nothing."""

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from customer_auth.api import runtime
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.kernel.errors import Conflict
from customer_auth.models.auth import CustomerAuthTicket, CustomerLoginInfo
from tests.support.fixtures import DYNAMODB_BACKEND, TENANT_ID, World
from tests.support.races import SerializedClient, race

WORKERS = 8
PASSWORD = "correct horse battery staple"
EMAIL = "racer@example.com"


# -- helpers ----------------------------------------------------------------------------------------
class FailingTransactions:
    """The store's client whose TransactWriteItems fails with ``error``; everything else is real."""

    def __init__(self, client: Any, error: ClientError) -> None:
        self._client = client
        self._error = error
        self.attempts = 0

    def transact_write_items(self, **_: Any) -> Any:
        self.attempts += 1
        raise self._error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


Outcome = CustomerAuthTicket | Conflict
RACER = Caller("racing-app", TENANT_ID, None, frozenset({Behavior.LOGIN_CREATE.value}))


def create_login_call(account_id: int, body: dict[str, Any]) -> Callable[[], Outcome]:
    info = CustomerLoginInfo.model_validate(body)

    def call() -> Outcome:
        try:
            return runtime.login_service().create_login(RACER, None, account_id, info)
        except Conflict as conflict:
            return conflict

    return call


def kinds(world: World) -> Counter[str]:
    return Counter(item["kind"]["S"] for item in world.scan())


def items_of_kind(world: World, kind: str) -> list[dict[str, Any]]:
    return [item for item in world.scan() if item["kind"]["S"] == kind]


def outcomes(results: list[Outcome]) -> Counter[str]:
    return Counter("created" if isinstance(result, CustomerAuthTicket) else "conflict" for result in results)


def conflict_fields(results: list[Outcome]) -> set[str | None]:
    return {result.field for result in results if isinstance(result, Conflict)}


def winner_of(results: list[Outcome]) -> CustomerAuthTicket:
    return next(result for result in results if isinstance(result, CustomerAuthTicket))


def body(email: str, **extra: Any) -> dict[str, Any]:
    return {"emailAddress": email, "password": PASSWORD, **extra}


# -- races ------------------------------------------------------------------------------------------
INTERLEAVINGS = ["free-running", "all-reads-before-any-write"]
ONE_WINNER = Counter({"created": 1, "conflict": WORKERS - 1})


def arrange(db: SerializedClient, interleaving: str) -> None:
    if interleaving == "all-reads-before-any-write":
        db.hold_transactions_until(WORKERS)


def check_arranged(db: SerializedClient, interleaving: str) -> None:
    """In the worst interleaving every caller saw no login and tried its transaction."""
    if interleaving == "all-reads-before-any-write":
        assert db.transactions == WORKERS
    assert db.transactions >= 1


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_concurrent_create_logins_for_one_account_create_exactly_one_login(
    world: World, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    token = world.app_token()
    account_id = world.add_account(token, emailAddress=EMAIL)["id"]
    before = kinds(world)
    calls = [
        create_login_call(account_id, body(f"racer{n}@example.com", username=f"racer-{n}"))
        for n in range(WORKERS)
    ]
    arrange(serialized_dynamodb, interleaving)

    results = race(calls)

    assert outcomes(results) == ONE_WINNER, results
    check_arranged(serialized_dynamodb, interleaving)
    assert conflict_fields(results) == {"accountId"}
    winner = winner_of(results)
    assert kinds(world) - before == Counter(
        {"login": 1, "session": 1, "accessToken": 1, "refreshToken": 1, "loginIdentifier": 2}
    )
    login = items_of_kind(world, "login")[0]
    assert login["userId"]["S"] == winner.user_id
    identifiers = items_of_kind(world, "loginIdentifier")
    assert {item["pk"]["S"] for item in identifiers} == {
        f"LOGINID#{TENANT_ID}#{login['email']['S']}",
        f"LOGINID#{TENANT_ID}#{login['username']['S']}",
    }
    assert all(item["userId"]["S"] == winner.user_id for item in identifiers)
    assert items_of_kind(world, "session")[0]["userId"]["S"] == winner.user_id
    account = world.api.call("GET", f"/api/commerce/customer/accounts/{account_id}", token=token).json
    assert account["userId"] == winner.user_id
    assert account["userName"] == winner.customer_account.user_name


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_accounts_racing_for_one_email_get_exactly_one_login(
    world: World, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    token = world.app_token()
    account_ids = [
        world.add_account(token, emailAddress=f"owner{n}@example.com")["id"] for n in range(WORKERS)
    ]
    before = kinds(world)
    calls = [
        create_login_call(account_id, body("Shared@Example.com" if n % 2 else "shared@example.com"))
        for n, account_id in enumerate(account_ids)
    ]
    arrange(serialized_dynamodb, interleaving)

    results = race(calls)

    assert outcomes(results) == ONE_WINNER, results
    check_arranged(serialized_dynamodb, interleaving)
    assert conflict_fields(results) == {"emailAddress"}
    assert kinds(world) - before == Counter(
        {"login": 1, "session": 1, "accessToken": 1, "refreshToken": 1, "loginIdentifier": 1}
    )
    identifier = items_of_kind(world, "loginIdentifier")[0]
    assert identifier["pk"]["S"] == f"LOGINID#{TENANT_ID}#shared@example.com"
    winner = winner_of(results)
    assert identifier["accountId"]["N"] == str(winner.customer_account.id)
    for account_id in account_ids:
        account = world.api.call("GET", f"/api/commerce/customer/accounts/{account_id}", token=token).json
        won = account_id == winner.customer_account.id
        assert account["isAnonymous"] is not won
        assert (account["userId"] is not None) is won


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_accounts_racing_for_one_username_get_exactly_one_login(
    world: World, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    token = world.app_token()
    account_ids = [world.add_account(token)["id"] for _ in range(WORKERS)]
    before = kinds(world)
    calls = [
        create_login_call(account_id, body(f"user{n}@example.com", username="the-one"))
        for n, account_id in enumerate(account_ids)
    ]
    arrange(serialized_dynamodb, interleaving)

    results = race(calls)

    assert outcomes(results) == ONE_WINNER, results
    check_arranged(serialized_dynamodb, interleaving)
    assert conflict_fields(results) == {"username"}
    assert kinds(world) - before == Counter(
        {"login": 1, "session": 1, "accessToken": 1, "refreshToken": 1, "loginIdentifier": 2}
    )


# -- failures ---------------------------------------------------------------------------------------
def throttling() -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "TransactWriteItems",
    )


def cancelled_by_throttling() -> ClientError:
    reasons = [
        {"Code": "None"},
        {"Code": "None"},
        {"Code": "ThrottlingError", "Message": "Throughput exceeds"},
        {"Code": "None"},
        {"Code": "None"},
        {"Code": "None"},
    ]
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": reasons,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "TransactWriteItems",
    )


def internal_error() -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "InternalServerError", "Message": "Internal failure"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        },
        "TransactWriteItems",
    )


@pytest.mark.parametrize(
    "error",
    [throttling, cancelled_by_throttling, internal_error],
    ids=["throttling", "transaction-cancelled-by-throttling", "internal-error"],
)
def test_a_failed_write_is_a_503_with_retry_after_and_leaves_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, error: Callable[[], ClientError]
) -> None:
    token = world.app_token()
    account_id = world.add_account(token, emailAddress=EMAIL)["id"]
    before = world.scan()
    store = runtime.store()
    failing = FailingTransactions(store._db, error())
    monkeypatch.setattr(store, "_db", failing)

    result = world.create_login(
        account_id, body(EMAIL), token=token, headers={"x-vol-correlation": "corr-503"}
    )

    assert result.status == 503, result.text
    assert result.json["errorCode"] == "SERVICE_UNAVAILABLE"
    assert result.json["applicationName"] == "customer-auth"
    assert result.json["correlationId"] == "corr-503"
    assert int(result.headers["retry-after"]) > 0
    assert "accessToken" not in result.text
    assert failing.attempts == 1
    assert world.scan() == before
    monkeypatch.undo()
    retried = world.create_login(account_id, body(EMAIL), token=token)
    assert retried.status == 200, retried.text


def test_a_throttled_read_is_a_503_with_retry_after(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    token = world.app_token()
    account_id = world.add_account(token, emailAddress=EMAIL)["id"]
    before = world.scan()
    store = runtime.store()

    class ThrottledReads(FailingTransactions):
        def batch_get_item(self, **_: Any) -> Any:
            raise ClientError(
                {
                    "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "BatchGetItem",
            )

    monkeypatch.setattr(store, "_db", ThrottledReads(store._db, throttling()))

    result = world.create_login(account_id, body(EMAIL), token=token)

    assert result.status == 503, result.text
    assert result.json["errorCode"] == "SERVICE_UNAVAILABLE"
    assert "retry-after" in result.headers
    assert world.scan() == before


@pytest.mark.skipif(
    DYNAMODB_BACKEND != "dynamodb-local",
    reason="moto's backend is not thread-safe, so the races above serialize its calls",
)
def test_truly_concurrent_create_logins_on_dynamodb_local_give_one_account_and_one_email_one_login(
    world: World,
) -> None:
    """No lock between the racers: DynamoDB Local settles the transactions, and a loser may see
    TransactionConflict rather than a failed condition; it must still be a 409 and write nothing."""
    token = world.app_token()
    account_id = world.add_account(token, emailAddress=EMAIL)["id"]
    others = [world.add_account(token, emailAddress=f"owner{n}@example.com")["id"] for n in range(WORKERS)]
    before = kinds(world)

    one_account = race(
        [
            create_login_call(account_id, body(f"racer{n}@example.com", username=f"racer-{n}"))
            for n in range(WORKERS)
        ]
    )
    one_email = race([create_login_call(other, body("shared@example.com")) for other in others])

    assert outcomes(one_account) == ONE_WINNER, one_account
    assert conflict_fields(one_account) == {"accountId"}
    assert outcomes(one_email) == ONE_WINNER, one_email
    assert conflict_fields(one_email) == {"emailAddress"}
    assert kinds(world) - before == Counter(
        {"login": 2, "session": 2, "accessToken": 2, "refreshToken": 2, "loginIdentifier": 3}
    )
