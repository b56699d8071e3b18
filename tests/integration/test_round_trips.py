"""DynamoDB round trips per request, counted at the botocore level (a transaction is one)."""

from collections import Counter
from collections.abc import Iterator

import pytest

from customer_auth.api import runtime
from tests.support.fixtures import World


@pytest.fixture
def dynamodb_calls(world: World) -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()

    def count(model: object, **_: object) -> None:
        calls[getattr(model, "name", "?")] += 1

    events = runtime.store()._db.meta.events
    events.register("before-call.dynamodb", count)
    yield calls
    events.unregister("before-call.dynamodb", count)


def test_create_login_reads_once_and_writes_once_in_a_single_transaction(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    account_id = world.add_account(token)["id"]
    dynamodb_calls.clear()

    result = world.create_login(
        account_id, {"emailAddress": "count@example.com", "password": "a long passphrase"}, token=token
    )

    assert result.status == 200
    assert dynamodb_calls == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


def test_get_account_is_one_read_and_add_account_one_conditional_put(
    world: World, dynamodb_calls: Counter[str]
) -> None:
    token = world.app_token()
    dynamodb_calls.clear()
    account_id = world.add_account(token)["id"]
    assert dynamodb_calls == Counter({"PutItem": 1})

    dynamodb_calls.clear()
    assert world.api.call("GET", f"/api/commerce/customer/accounts/{account_id}", token=token).status == 200
    assert dynamodb_calls == Counter({"GetItem": 1})


def test_app_token_is_one_read_and_one_write(world: World, dynamodb_calls: Counter[str]) -> None:
    world.app_token()
    assert dynamodb_calls == Counter({"GetItem": 1, "PutItem": 1})
