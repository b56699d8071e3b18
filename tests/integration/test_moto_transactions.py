"""The embedded backend's TransactWriteItems shim (tools/moto_transactions.py): it is what the
suite and ``make run`` run, it behaves as moto's own method on every outcome, a cancelled
transaction leaves the table exactly as it was, and it never copies the table."""

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from tests.support.fixtures import DYNAMODB_BACKEND
from tools import local_env, moto_transactions

pytestmark = pytest.mark.skipif(
    DYNAMODB_BACKEND != "moto", reason="the shim patches moto's in-memory backend, never DynamoDB Local"
)

TABLE = "shim-test"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _item(pk: str, sk: str, **attributes: Any) -> dict[str, Any]:
    return {"pk": _s(pk), "sk": _s(sk), **{k: _s(str(v)) for k, v in attributes.items()}}


SEED = [
    _item("ACCOUNT#1", "ACCOUNT", version="1", email="ada@example.com"),
    _item("ACCOUNT#1", "SESSION#a", head="h1"),
    _item("EMAIL#ada@example.com", "EMAIL", account="1"),
    _item("ACCOUNT#2", "ACCOUNT", version="4"),
]


def _put(item: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": TABLE, "Item": item}
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": _s(pk), "sk": _s(sk)}


CREATE_LOGIN_LIKE = [
    {
        "Update": {
            "TableName": TABLE,
            "Key": _key("ACCOUNT#1", "ACCOUNT"),
            "UpdateExpression": "SET version = :new, userName = :u",
            "ConditionExpression": "version = :old",
            "ExpressionAttributeValues": {":old": _s("1"), ":new": _s("2"), ":u": _s("ada")},
        }
    },
    _put(_item("ACCOUNT#1", "LOGIN", user="ada"), "attribute_not_exists(pk)"),
    _put(_item("USERNAME#ada", "USERNAME", account="1"), "attribute_not_exists(pk)"),
    _put(_item("NEWPARTITION#9", "SESSION#b", head="h2")),
    {"Delete": {"TableName": TABLE, "Key": _key("ACCOUNT#1", "SESSION#a")}},
]

SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "all applied": CREATE_LOGIN_LIKE,
    "the last condition fails": [
        *CREATE_LOGIN_LIKE,
        _put(_item("EMAIL#ada@example.com", "EMAIL", account="7"), "attribute_not_exists(pk)"),
    ],
    "a condition check fails with ALL_OLD": [
        *CREATE_LOGIN_LIKE,
        {
            "ConditionCheck": {
                "TableName": TABLE,
                "Key": _key("ACCOUNT#2", "ACCOUNT"),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": _s("5")},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
    ],
    "the first condition fails": [
        {
            "Update": {
                "TableName": TABLE,
                "Key": _key("ACCOUNT#1", "ACCOUNT"),
                "UpdateExpression": "SET version = :new",
                "ConditionExpression": "version = :old",
                "ExpressionAttributeValues": {":old": _s("0"), ":new": _s("2")},
            }
        },
        *CREATE_LOGIN_LIKE[1:],
    ],
    "one item twice (a validation error after writes)": [
        *CREATE_LOGIN_LIKE,
        _put(_item("NEWPARTITION#9", "SESSION#b", head="again")),
    ],
    "an item too large for its key (a validation error mid-way)": [
        *CREATE_LOGIN_LIKE[:3],
        _put(_item("P" * 3000, "S")),
        *CREATE_LOGIN_LIKE[3:],
    ],
    "an unknown table among writes": [
        *CREATE_LOGIN_LIKE,
        {"Put": {"TableName": "no-such-table", "Item": _item("X", "Y")}},
    ],
}


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        local_env.create_table(client, TABLE)
        for item in SEED:
            client.put_item(TableName=TABLE, Item=item)
        yield client


def _state(client: Any) -> tuple[list[dict[str, Any]], list[tuple[str, list[str]]]]:
    """Every stored item, and moto's partitions with their sort keys (no empty leftovers)."""
    items = sorted(client.scan(TableName=TABLE)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    table = dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]
    partitions = sorted((h.value, sorted(r.value for r in rows)) for h, rows in table.items.items())
    return items, partitions


def _outcome(client: Any, transaction: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        client.transact_write_items(TransactItems=transaction)
    except ClientError as error:
        response = error.response
        return {
            "code": response["Error"]["Code"],
            "message": response["Error"]["Message"],
            "reasons": response.get("CancellationReasons"),
        }
    return {"code": None}


@pytest.fixture
def moto_original() -> Iterator[Callable[[], None]]:
    """Runs a block on moto's own method, then puts the shim back."""

    def use_original() -> None:
        moto_transactions.uninstall()

    try:
        yield use_original
    finally:
        moto_transactions.install()


def test_the_suite_runs_on_the_shim_of_the_pinned_moto() -> None:
    assert moto.__version__ == moto_transactions.MOTO_VERSION
    assert moto_transactions.installed()


def test_install_refuses_a_moto_whose_method_changed(
    monkeypatch: pytest.MonkeyPatch, moto_original: Callable[[], None]
) -> None:
    moto_original()
    monkeypatch.setattr(moto_transactions, "ORIGINAL_SOURCE_SHA256", "0" * 16)
    with pytest.raises(RuntimeError, match="update the copy"):
        moto_transactions.install()
    assert not moto_transactions.installed()
    monkeypatch.undo()


def test_install_refuses_another_moto_version(
    monkeypatch: pytest.MonkeyPatch, moto_original: Callable[[], None]
) -> None:
    moto_original()
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(RuntimeError, match=r"this is moto 5\.3\.0"):
        moto_transactions.install()
    monkeypatch.undo()


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_the_shim_answers_and_stores_what_moto_does(scenario: str, moto_original: Callable[[], None]) -> None:
    transaction = SCENARIOS[scenario]
    results = []
    for shim in (True, False):
        if not shim:
            moto_original()
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            local_env.create_table(client, TABLE)
            for item in SEED:
                client.put_item(TableName=TABLE, Item=item)
            before = _state(client)
            outcome = _outcome(client, transaction)
            results.append((before, outcome, _state(client)))
    (before, shim_outcome, shim_after), (_, moto_outcome, moto_after) = results
    assert shim_outcome == moto_outcome
    assert shim_after == moto_after
    if shim_outcome["code"] is not None:
        assert shim_after == before, "a cancelled transaction left the table changed"
    else:
        assert shim_after != before


def test_a_cancelled_transaction_restores_items_updated_in_place(dynamodb: Any) -> None:
    before = _state(dynamodb)
    outcome = _outcome(dynamodb, SCENARIOS["the last condition fails"])
    assert outcome["code"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in outcome["reasons"]]
    assert reasons == ["None"] * 5 + ["ConditionalCheckFailed"]
    assert _state(dynamodb) == before
    account = dynamodb.get_item(TableName=TABLE, Key=_key("ACCOUNT#1", "ACCOUNT"))["Item"]
    assert account["version"] == _s("1")
    assert "userName" not in account


def test_a_transaction_never_copies_the_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Table, memo: Any) -> Table:
        raise AssertionError("the whole table was copied")

    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)
    assert _outcome(dynamodb, SCENARIOS["all applied"]) == {"code": None}
    assert _outcome(dynamodb, SCENARIOS["the last condition fails"])["code"] == "TransactionCanceledException"


def test_moto_itself_copies_the_table(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch, moto_original: Callable[[], None]
) -> None:
    """The cost the shim removes: moto's own method copies the table for each item."""
    copies = 0
    original = Table.__deepcopy__ if hasattr(Table, "__deepcopy__") else None
    assert original is None

    def count(self: Table, memo: Any) -> Table:
        nonlocal copies
        copies += 1
        return self

    monkeypatch.setattr(Table, "__deepcopy__", count, raising=False)
    moto_original()
    _outcome(dynamodb, SCENARIOS["all applied"])
    assert copies == len(SCENARIOS["all applied"])
