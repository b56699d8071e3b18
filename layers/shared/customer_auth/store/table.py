"""What every aggregate's part of the DynamoDB store shares: the client and table, transactions and
their cancellation reasons, batched reads and deletes, versioned writes, and the write fragments
several aggregates put in one transaction (a login replaced, an account updated, a session started).
Throttling, DynamoDB faults and network failures become ``Unavailable`` here."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.accounts.records import AccountChange
from ..domain.codes.challenge import CodeChallenge
from ..domain.codes.records import OneTimeCode
from ..domain.kernel.errors import ConcurrentUpdate, Unavailable
from ..domain.logins.login import Login
from ..domain.sessions.records import RefreshToken, Session
from . import items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_NOT_EXISTS = "attribute_not_exists(pk)"
_BATCH_ATTEMPTS = 5
_BATCH_WRITE_SIZE = 25


class Table:
    """One DynamoDB table and the helpers every aggregate's writes are made of."""

    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._db = client
        self._table = table_name

    def _replace_versioned[C: (CodeChallenge, OneTimeCode)](
        self, codec: "items.Codec[C]", before: C, after: C | None
    ) -> None:
        """Write ``after`` (or, with ``None``, delete the item) if the stored code is still at
        ``before``'s version (0: none stored); else ``ConcurrentUpdate``."""
        condition = _version_condition(before.version)
        try:
            with _unavailable_on_failure():
                if after is None:
                    self._db.delete_item(TableName=self._table, Key=codec.key(before), **condition)
                else:
                    self._db.put_item(TableName=self._table, Item=codec.item(after), **condition)
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise ConcurrentUpdate() from None
            raise

    def _transact(self, transaction: "list[TransactWriteItemTypeDef]") -> list[str] | None:
        """Run a transaction; ``None`` when written, else the cancellation reason of each item."""
        try:
            with _unavailable_on_failure():
                self._db.transact_write_items(TransactItems=transaction)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            return [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
        return None

    def _concurrent_unless_written(self, transaction: "list[TransactWriteItemTypeDef]") -> None:
        reasons = self._transact(transaction)
        if reasons is None:
            return
        if {"ConditionalCheckFailed", "TransactionConflict"} & set(reasons):
            raise ConcurrentUpdate()
        raise Unavailable(f"unexpected transaction cancellation: {reasons}")

    def _login_replacement(self, before: Login, after: Login) -> "TransactWriteItemTypeDef":
        return self._versioned_put(items.login_item(after), before.version)

    def _versioned_put(self, item: items.Item, expected_version: int) -> "TransactWriteItemTypeDef":
        """A put of ``item`` if the stored one is still at ``expected_version`` (0: none stored)."""
        return {"Put": {"TableName": self._table, "Item": item, **_version_condition(expected_version)}}  # type: ignore[typeddict-item]

    def _account_update(self, change: AccountChange) -> "TransactWriteItemTypeDef":
        before = change.before
        after = items.account_item(before.tenant_id, change.after, before.version + 1)
        return {
            "Update": {
                "TableName": self._table,
                "Key": items.account_key(before.tenant_id, before.account.id),
                "UpdateExpression": "SET #doc = :doc, #version = :next",
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#doc": "doc", "#version": "version"},
                "ExpressionAttributeValues": {
                    ":doc": after["doc"],
                    ":next": {"N": str(before.version + 1)},
                    ":expected": {"N": str(before.version)},
                },
            }
        }

    def _session_puts(
        self, session: Session, refresh: RefreshToken | None
    ) -> "list[TransactWriteItemTypeDef]":
        return [
            self._put(items.session_item(session), _NOT_EXISTS),
            self._put(items.access_item(session), _NOT_EXISTS),
            *([self._put(items.refresh_item(refresh), _NOT_EXISTS)] if refresh is not None else []),
        ]

    def _put(self, item: items.Item, condition: str) -> "TransactWriteItemTypeDef":
        return {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": condition}}

    def _batch_delete(self, keys: list[items.Item]) -> None:
        """Delete up to 25 items by key (more round trips only if throttled)."""
        pending: list[Any] = [{"DeleteRequest": {"Key": k}} for k in keys]
        for _ in range(_BATCH_ATTEMPTS):
            with _unavailable_on_failure():
                response = self._db.batch_write_item(RequestItems={self._table: pending})
            pending = list((response.get("UnprocessedItems") or {}).get(self._table, []))
            if not pending:
                return
        raise Unavailable("DynamoDB left deletes unprocessed after retries")

    def _batch_get(self, keys: list[items.Item]) -> dict[tuple[str, str], items.Item]:
        """Items by (pk, sk), read consistently in one round trip (more only if throttled)."""
        found: dict[tuple[str, str], items.Item] = {}
        pending: list[Any] = keys
        for _ in range(_BATCH_ATTEMPTS):
            with _unavailable_on_failure():
                response = self._db.batch_get_item(
                    RequestItems={self._table: {"Keys": pending, "ConsistentRead": True}}
                )
            for item in response.get("Responses", {}).get(self._table, []):
                found[_key_id(item)] = item
            unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
            pending = unprocessed.get(self._table, {}).get("Keys", [])
            if not pending:
                return found
        raise Unavailable("DynamoDB left keys unprocessed after retries")


def _version_condition(expected: int) -> dict[str, Any]:
    """The condition that an item is at version ``expected`` (0: that it does not exist), as the
    keyword arguments of a write."""
    if expected == 0:
        return {"ConditionExpression": _NOT_EXISTS}
    return {
        "ConditionExpression": "#version = :expected",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":expected": {"N": str(expected)}},
    }


def _key_id(item: items.Item) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
}


@contextmanager
def _unavailable_on_failure() -> Iterator[None]:
    """Turn throttling, DynamoDB faults and network failures (after the SDK's retries) into 503s."""
    try:
        yield
    except ClientError as error:
        if (
            _code(error) in _RETRYABLE
            or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) >= 500
        ):
            raise Unavailable(f"DynamoDB: {_code(error)}") from error
        if _code(error) == "TransactionCanceledException" and any(
            r.get("Code") in {"ThrottlingError", "ProvisionedThroughputExceeded"}
            for r in error.response.get("CancellationReasons", [])
        ):
            raise Unavailable("DynamoDB throttled the transaction") from error
        raise
    except BotoCoreError as error:
        raise Unavailable(f"DynamoDB unreachable: {type(error).__name__}") from error
