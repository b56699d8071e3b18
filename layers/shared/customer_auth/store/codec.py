"""One declared mapping between a domain record (a dataclass) and its stored attributes.

A field is stored under its camelCase name (``password_hash`` as ``passwordHash``); a codec names
only the fields that break the rule. Values are stored as DynamoDB holds them: a datetime as ISO
8601 text; tuples as lists; sets as sorted lists; a nested record as a map, or with its
attributes beside its parent's when ``flat``; ``None`` not at all. Reading turns each attribute
back by the field's declared type; an absent attribute reads as ``None`` where the type allows
it, else as the field's default. A record's ``expires_at`` (a field or a property) is its item's
TTL: epoch seconds under ``expiresAt``.

Each codec works out its fields on first use, not at import (cold starts).
"""

import dataclasses
import types
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple, get_args, get_origin

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

Item = dict[str, Any]
"""An item in DynamoDB's attribute-value wire format."""

TTL_ATTRIBUTE = "expiresAt"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(item_key: Item, **attributes: Any) -> Item:
    """A whole item: its key plus attributes serialized (``None`` values are left out)."""
    encoded = {name: _serializer.serialize(value) for name, value in attributes.items() if value is not None}
    return {**item_key, **encoded}


def from_item(item: Item) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class _Field(NamedTuple):
    name: str
    stored: str
    read: Callable[[Any], Any]
    write: Callable[[Any], Any]
    optional: bool
    flat: "Codec[Any] | None"
    key_prefix: str | None


class Codec[R]:
    """How one record is stored: its item's ``kind`` and key, and the exceptions to the rules."""

    def __init__(
        self,
        record: type[R],
        *,
        kind: str | None = None,
        key: Callable[[R], Item] | None = None,
        names: Mapping[str, str] | None = None,
        convert: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] | None = None,
        from_key: Mapping[str, str] | None = None,
        flat: Collection[str] = (),
        sparse: Collection[str] = (),
    ) -> None:
        """``names``: field -> stored name, where camelCase does not give it. ``convert``: field ->
        (write, read) for a value no rule covers. ``from_key``: field -> the ``pk`` prefix it
        follows (not stored again). ``flat``: nested records stored beside their parent's fields.
        ``sparse``: fields left out when empty or false."""
        self._record, self.kind, self._key = record, kind, key
        self._names, self._convert = names or {}, convert or {}
        self._from_key, self._flat, self._sparse = from_key or {}, flat, sparse
        self._plan: list[_Field] | None = None

    def key(self, record: R) -> Item:
        if self._key is None:
            raise TypeError(f"{self._record.__name__} is stored only inside another item")
        return self._key(record)

    def item(self, record: R, **extra: Any) -> Item:
        """The record's item: its key, its attributes and any ``extra`` ones."""
        return to_item(self.key(record), **self.attributes(record), **extra)

    def record(self, item: Item) -> R:
        """The record an item holds."""
        return self.read(from_item(item))

    def attributes(self, record: R) -> dict[str, Any]:
        """The record as stored attributes (plain values, ``None`` left out)."""
        values: dict[str, Any] = {"kind": self.kind}
        for f in self._fields():
            value = getattr(record, f.name)
            if f.flat is not None:
                values.update(f.flat.attributes(value))
            elif f.key_prefix is None and not (f.name in self._sparse and not value):
                values[f.stored] = None if value is None else f.write(value)
        if (moment := getattr(record, "expires_at", None)) is not None:
            values[TTL_ATTRIBUTE] = epoch(moment)
        return {name: value for name, value in values.items() if value is not None}

    def read(self, values: Mapping[str, Any]) -> R:
        """The record from its attributes (DynamoDB's numbers arrive as Decimal, JSON's as int)."""
        kwargs: dict[str, Any] = {}
        for f in self._fields():
            if f.flat is not None:
                kwargs[f.name] = f.flat.read(values)
            elif f.key_prefix is not None:
                kwargs[f.name] = values["pk"].removeprefix(f.key_prefix)
            elif f.stored in values:
                kwargs[f.name] = f.read(values[f.stored])
            elif f.optional:
                kwargs[f.name] = None
        return self._record(**kwargs)

    def _fields(self) -> list[_Field]:
        if self._plan is None:
            self._plan = [self._field(f) for f in dataclasses.fields(self._record)]  # type: ignore[arg-type]
        return self._plan

    def _field(self, field: dataclasses.Field[Any]) -> _Field:
        stored = self._names.get(field.name) or _camel(field.name)
        optional = _is_optional(field.type)
        write, read = self._convert.get(field.name) or (_writer, _reader(field.type))
        if stored == TTL_ATTRIBUTE:
            read, write = _from_epoch, epoch
        flat = codec_of(_without_none(field.type)) if field.name in self._flat else None
        return _Field(field.name, stored, read, write, optional, flat, self._from_key.get(field.name))


_nested: dict[type, Codec[Any]] = {}


def nested[R](record: type[R], **options: Any) -> Codec[R]:
    """Declare how a record kept inside another item is stored, where the rules do not do."""
    codec = _nested[record] = Codec(record, **options)
    return codec


def codec_of[R](record: type[R]) -> Codec[R]:
    """The codec of a record stored inside another item (declared with ``nested``, or the rules)."""
    codec = _nested.get(record)
    if codec is None:
        codec = _nested[record] = Codec(record)
    return codec


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _writer(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_writer(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return codec_of(type(value)).attributes(value)
    return value


def _is_optional(kind: Any) -> bool:
    return get_origin(kind) is types.UnionType and type(None) in get_args(kind)


def _without_none(kind: Any) -> Any:
    return next(a for a in get_args(kind) if a is not type(None)) if _is_optional(kind) else kind


def _reader(kind: Any) -> Callable[[Any], Any]:
    kind = _without_none(kind)
    if kind is datetime:
        return datetime.fromisoformat
    if kind in (int, bool, str):
        return kind  # type: ignore[no-any-return]
    if get_origin(kind) in (tuple, frozenset):
        container, each = get_origin(kind), _reader(get_args(kind)[0])
        return lambda values: container(each(v) for v in values)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return codec_of(kind).read
    return lambda value: value


def _from_epoch(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)
