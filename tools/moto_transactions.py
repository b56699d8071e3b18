"""moto's ``TransactWriteItems`` with a rollback that costs what the transaction touches.

moto 5.2.5 backs up a transaction by deep-copying the whole table once per transaction item
before applying it (``DynamoDBBackend.transact_write_items``), so a 7-item transaction took 13 ms
at 100 stored items and 1.3 s at 10,000: ``make run``, ``make load`` and the test suite slowed as
their tables grew. This module replaces that one method with a copy of moto's own logic in which
the backup holds only the items the transaction names (their state before the first write,
deep-copied, or their absence), and a cancelled transaction puts exactly those back, with the
table's stream records trimmed to where they were. Everything else (validation, conditions,
``ReturnValuesOnConditionCheckFailure``, the cancellation reasons) is moto's.

It applies to the embedded moto backend only (it patches moto's in-memory model, which a real
endpoint such as DynamoDB Local never runs), and only to the moto version it was written against:
``install()`` refuses any other version, or a ``transact_write_items`` whose source differs from
the one this copy follows, so an upgrade of moto fails loudly instead of running a stale copy.
"""

import copy
import hashlib
import inspect
from typing import Any

import moto
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

MOTO_VERSION = "5.2.5"
ORIGINAL_SOURCE_SHA256 = "81db2cb7d94e39c9"
"""The first 16 hex digits of the SHA-256 of moto's ``transact_write_items`` source, as shipped
in MOTO_VERSION: the method this module's copy follows line for line."""

_ORIGINAL = DynamoDBBackend.transact_write_items

Key = tuple[str, DynamoType, DynamoType | None]
Snapshot = dict[Key, tuple[bool, Any]]
"""(table, hash, range) -> (whether the hash key held a partition before, the item's deep copy or None)."""


def _fingerprint(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def installed() -> bool:
    return DynamoDBBackend.transact_write_items is transact_write_items


def install() -> None:
    """Patch moto's DynamoDB backend (idempotent). Raises if moto is not the version copied."""
    if installed():
        return
    if moto.__version__ != MOTO_VERSION or _fingerprint(_ORIGINAL) != ORIGINAL_SOURCE_SHA256:
        raise RuntimeError(
            f"tools.moto_transactions follows moto {MOTO_VERSION}'s transact_write_items "
            f"(source {ORIGINAL_SOURCE_SHA256}); this is moto {moto.__version__} "
            f"(source {_fingerprint(_ORIGINAL)}): compare the two and update the copy"
        )
    setattr(DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010


def uninstall() -> None:
    setattr(DynamoDBBackend, "transact_write_items", _ORIGINAL)  # noqa: B010


def _key(table: Table, op_type: str, op: dict[str, Any]) -> tuple[DynamoType, DynamoType | None] | None:
    """The item an operation names, as moto indexes it; None if it cannot name one (moto then
    refuses the operation before writing anything)."""
    attrs = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
        return None
    try:
        hash_value = DynamoType(attrs[table.hash_key_attr])
        if table.range_key_attr is None:
            return hash_value, None
        if table.range_key_attr not in attrs:
            return None
        return hash_value, DynamoType(attrs[table.range_key_attr])
    except Exception:  # a malformed attribute value: moto refuses it before any write
        return None


def _snapshot(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> tuple[Snapshot, dict[str, int]]:
    items: Snapshot = {}
    streams: dict[str, int] = {}
    for entry in transact_items:
        if not isinstance(entry, dict) or not entry:
            continue
        op_type, op = next(iter(entry.items()))
        table_name = op.get("TableName") if isinstance(op, dict) else None
        if not table_name or table_name not in backend.tables:
            continue
        table = backend.tables[table_name]
        if table.stream_shard is not None:
            streams.setdefault(table_name, len(table.stream_shard.items))
        key = _key(table, op_type, op)
        if key is None:
            continue
        hash_value, range_value = key
        if (table_name, hash_value, range_value) in items:
            continue
        had_partition = hash_value in table.items
        current = table.get_item(hash_value, range_value) if had_partition else None
        items[(table_name, hash_value, range_value)] = (had_partition, copy.deepcopy(current))
    return items, streams


def _restore(backend: DynamoDBBackend, items: Snapshot, streams: dict[str, int]) -> None:
    for (table_name, hash_value, range_value), (had_partition, before) in items.items():
        table = backend.tables.get(table_name)
        if table is None:
            continue
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
            continue
        partition = table.items.get(hash_value)
        if before is not None:
            table.items[hash_value][range_value] = before
        elif partition is not None:
            partition.pop(range_value, None)
            if not partition and not had_partition:
                del table.items[hash_value]
    for table_name, length in streams.items():
        shard = backend.tables[table_name].stream_shard
        if shard is not None:
            del shard.items[length:]


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's ``transact_write_items``, its whole-table backup replaced by ``_snapshot``."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    backup = _snapshot(self, transact_items)

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression,
                    expression_attribute_names,
                    expression_attribute_values,
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            _restore(self, *backup)
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        _restore(self, *backup)
        raise TransactionCanceledException(errors)
