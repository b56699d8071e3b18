"""What one recorded request costs DynamoDB on demand: its read and write request units, worked
out from each call's parameters and the sizes of the items it touched (the table just before and
just after the request), by DynamoDB's published sizing rules. ``make cost`` prices them.

The rules (DynamoDB developer guide, "Item sizes and formats" and "Read/write capacity mode"):

- an item's size is the UTF-8 length of each attribute name plus the size of its value: a string
  its UTF-8 length, a number about one byte per two significant digits plus one, binary its
  length, a boolean or null one byte, a list or map 3 bytes plus its elements (and their names)
  plus one byte each, a set the sum of its elements;
- a read is one unit per 4 KB of the whole item (a projection does not make it cheaper), half of
  that when eventually consistent, and the minimum for an item that does not exist; a query
  adds up the items it reads and rounds once;
- a write is one unit per 1 KB of the larger of the item before and after it (a delete: the
  item deleted), at least one, whether its condition held or not;
- a transaction costs twice that for every item in it. A ``ConditionCheck`` is counted as a
  transactional read of the item it checks (it writes nothing), and a transaction that was
  cancelled as if it had run: both are what AWS documents for the actions, not a measurement.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

READ_UNIT_BYTES = 4 * 1024
WRITE_UNIT_BYTES = 1024
STORAGE_OVERHEAD_BYTES = 100
"""What DynamoDB adds to every item for indexing when it bills storage."""
SHOPPER_KINDS = frozenset({"account", "login", "loginIdentifier"})
"""The items a registered shopper keeps (``kind`` as the store writes it): the account, its login
and one identifier item per email or username."""
KEY_NAMES = ("pk", "sk")
"""The table's key (template.yaml: ``pk`` and ``sk``, both strings)."""

Item = dict[str, Any]
Key = tuple[str, ...]


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return math.ceil(max(len(digits), 1) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    """The size of one attribute value in DynamoDB's wire form (``{"S": ...}``, ``{"M": ...}``)."""
    ((kind, content),) = value.items()
    if kind == "S":
        return len(str(content).encode("utf-8"))
    if kind == "N":
        return _number_size(str(content))
    if kind == "B":
        return len(content)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "SS":
        return sum(len(str(element).encode("utf-8")) for element in content)
    if kind == "NS":
        return sum(_number_size(str(element)) for element in content)
    if kind == "BS":
        return sum(len(element) for element in content)
    if kind == "L":
        return 3 + sum(value_size(element) + 1 for element in content)
    if kind == "M":
        return 3 + sum(len(name.encode("utf-8")) + value_size(v) + 1 for name, v in content.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Item | None) -> int:
    """An item's size in bytes (0 for no item)."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def key_of(item: Item) -> Key:
    return tuple(str(next(iter(item[name].values()))) for name in KEY_NAMES)


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    blocks = max(1, math.ceil(size / READ_UNIT_BYTES))
    return blocks * (1.0 if consistent else 0.5) * (2 if transactional else 1)


def write_units(size: int, *, transactional: bool = False) -> float:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES)) * (2 if transactional else 1)


@dataclass
class CallUnits:
    """One DynamoDB call's request units and the sizes of the items it read and wrote."""

    operation: str
    read_units: float = 0.0
    write_units: float = 0.0
    read_bytes: list[int] = field(default_factory=list)
    written_bytes: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "read_units": self.read_units,
            "write_units": self.write_units,
            "read_bytes": self.read_bytes,
            "written_bytes": self.written_bytes,
        }


class Snapshots:
    """The table before and after the request, by key."""

    def __init__(self, before: list[Item], after: list[Item]) -> None:
        self.before = {key_of(item): item for item in before}
        self.after = {key_of(item): item for item in after}

    def old(self, key: Item) -> int:
        return item_size(self.before.get(key_of(key)))

    def new(self, key: Item) -> int:
        return item_size(self.after.get(key_of(key)))


def call_units(
    operation: str, params: dict[str, Any], response: dict[str, Any], table: Snapshots
) -> CallUnits:
    units = CallUnits(operation)

    def read(key: Item, *, consistent: bool, transactional: bool = False) -> None:
        size = table.old(key)
        units.read_bytes.append(size)
        units.read_units += read_units(size, consistent=consistent, transactional=transactional)

    def write(size: int, *, transactional: bool = False) -> None:
        units.written_bytes.append(size)
        units.write_units += write_units(size, transactional=transactional)

    if operation == "GetItem":
        read(params["Key"], consistent=bool(params.get("ConsistentRead")))
    elif operation == "BatchGetItem":
        for request in params["RequestItems"].values():
            for key in request["Keys"]:
                read(key, consistent=bool(request.get("ConsistentRead")))
    elif operation == "TransactGetItems":
        for action in params["TransactItems"]:
            read(action["Get"]["Key"], consistent=True, transactional=True)
    elif operation == "Query":
        # The stored item where the answer holds its key (a projection returns less than is read).
        sizes = [
            max(item_size(item), table.old(item) if all(k in item for k in KEY_NAMES) else 0)
            for item in response.get("Items", [])
        ]
        units.read_bytes.extend(sizes)
        blocks = max(1, math.ceil(sum(sizes) / READ_UNIT_BYTES))
        units.read_units += blocks * (1.0 if params.get("ConsistentRead") else 0.5)
    elif operation == "PutItem":
        write(max(item_size(params["Item"]), table.old(params["Item"])))
    elif operation == "UpdateItem":
        write(max(table.old(params["Key"]), table.new(params["Key"])))
    elif operation == "DeleteItem":
        write(table.old(params["Key"]))
    elif operation == "BatchWriteItem":
        for requests in params["RequestItems"].values():
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    write(max(item_size(item), table.old(item)))
                else:
                    write(table.old(request["DeleteRequest"]["Key"]))
    elif operation == "TransactWriteItems":
        for action in params["TransactItems"]:
            ((kind, spec),) = action.items()
            if kind == "Put":
                write(max(item_size(spec["Item"]), table.old(spec["Item"])), transactional=True)
            elif kind == "Update":
                write(max(table.old(spec["Key"]), table.new(spec["Key"])), transactional=True)
            elif kind == "Delete":
                write(table.old(spec["Key"]), transactional=True)
            else:  # ConditionCheck
                read(spec["Key"], consistent=True, transactional=True)
    else:
        raise ValueError(f"no capacity rule for DynamoDB {operation}: add one to tools/bench/capacity.py")
    return units


def request_units(calls: list[Any], before: list[Item], after: list[Item]) -> list[CallUnits]:
    """Each DynamoDB call of a recorded request (``replay.Call``), with its units."""
    table = Snapshots(before, after)
    return [
        call_units(call.operation, call.params, call.response, table)
        for call in calls
        if call.service == "dynamodb"
    ]


def event_entries(calls: list[Any]) -> int:
    """EventBridge events the request put, as billed: one per 64 KB chunk of each entry."""
    count = 0
    for call in calls:
        if call.service == "events" and call.operation == "PutEvents":
            for entry in call.params["Entries"]:
                size = sum(
                    len(str(entry.get(name, "")).encode()) for name in ("Source", "DetailType", "Detail")
                )
                count += max(1, math.ceil(size / (64 * 1024)))
    return count


def stored(before: list[Item], after: list[Item]) -> dict[str, int]:
    """What a signed-in shopper keeps in the table, billed sizes: the shopper's own items (after
    the request) and the items a sign-in adds (its session, refresh and access tokens)."""
    known = {key_of(item) for item in before}
    shopper = [item for item in after if str(item.get("kind", {}).get("S")) in SHOPPER_KINDS]
    session = [item for item in after if key_of(item) not in known]
    return {
        "shopper_items": len(shopper),
        "shopper_bytes": sum(item_size(item) + STORAGE_OVERHEAD_BYTES for item in shopper),
        "sign_in_items": len(session),
        "sign_in_bytes": sum(item_size(item) + STORAGE_OVERHEAD_BYTES for item in session),
    }


def summary(units: list[CallUnits]) -> dict[str, Any]:
    """The request's totals, as the bench's JSON keeps them."""
    return {
        "read_units": float(sum(Decimal(str(u.read_units)) for u in units)),
        "write_units": float(sum(Decimal(str(u.write_units)) for u in units)),
        "calls": [u.to_json() for u in units],
    }
