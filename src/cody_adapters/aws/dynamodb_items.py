"""DynamoDB items from model documents and back, and expressions built with placeholders."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from cody_core.models import Record, apply_changes

Item = dict[str, Any]
T = TypeVar("T")
KEY_ATTRIBUTES = frozenset({"jobId", "repositoryName"})

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(document: dict[str, Any]) -> Item:
    """A `Record.to_document()` as typed attribute values (it holds no None)."""
    return {name: _serializer.serialize(_decimals(value)) for name, value in document.items()}


def _decimals(value: Any) -> Any:
    """boto3 refuses floats: DynamoDB numbers are decimal strings, so give it exactly that."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [_decimals(element) for element in value]
    if isinstance(value, dict):
        return {key: _decimals(element) for key, element in value.items()}
    return value


def from_item(item: Item) -> dict[str, Any]:
    """The document back, with DynamoDB's Decimal numbers as the ints the models hold."""
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(element) for element in value]
    if isinstance(value, dict):
        return {key: _plain(element) for key, element in value.items()}
    return value


def changed_attributes(stand_in: Record, changes: dict[str, Any]) -> dict[str, Any]:
    """Each changed field as its stored attribute: validated, camelCase, None to remove it.

    `stand_in` is any valid record of the type: the changes are validated on it exactly as
    `apply_changes` does on the stored one (the models validate field by field).
    """
    document = apply_changes(stand_in, changes).to_document()
    fields = type(stand_in).model_fields
    aliases = [fields[name].alias or name for name in changes]
    return {alias: document.get(alias) for alias in aliases}


def stored_attributes(model: type[Record], document: dict[str, Any]) -> dict[str, Any]:
    """Every non-key attribute the model stores, None for those the document leaves out."""
    aliases = (field.alias or name for name, field in model.model_fields.items())
    return {a: document.get(a) for a in aliases if a not in KEY_ATTRIBUTES}


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Expression:
    """`#n` name and `:v` value placeholders, so no attribute name can meet a reserved word."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        return self._names.setdefault(attribute, f"#n{len(self._names)}")

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self._values)}"
        self._values[placeholder] = _serializer.serialize(_decimals(value))
        return placeholder

    def one_of(self, attribute: str, values: Sequence[str]) -> str:
        placeholders = ", ".join(self.value(str(value)) for value in values)
        return f"{self.name(attribute)} IN ({placeholders})"

    def update(self, attributes: dict[str, Any], *more_sets: str) -> str:
        """SET the attributes that have a value (and `more_sets`), REMOVE those set to None."""
        sets = [f"{self.name(a)} = {self.value(v)}" for a, v in attributes.items() if v is not None]
        sets += more_sets
        removes = [self.name(a) for a, v in attributes.items() if v is None]
        clauses = [f"SET {', '.join(sets)}"] if sets else []
        clauses += [f"REMOVE {', '.join(removes)}"] if removes else []
        return " ".join(clauses)

    def arguments(self, **expressions: str) -> dict[str, Any]:
        """The request arguments: the expressions given and the placeholders they use."""
        arguments: dict[str, Any] = dict(expressions)
        arguments["ExpressionAttributeNames"] = {p: a for a, p in self._names.items()}
        if self._values:
            arguments["ExpressionAttributeValues"] = self._values
        return arguments
