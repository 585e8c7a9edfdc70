"""The size of a DynamoDB item as DynamoDB counts it, from its typed attribute values.

Written apart from cody_core.item_size (which counts plain documents) so that each checks the
other; tests/integration/test_item_size.py checks this one against dynalite's 400 KB limit.
AWS's rule: a name's UTF-8 bytes plus its value's; strings by their UTF-8 bytes; numbers about
one byte per two significant digits plus one; booleans and nulls one byte; lists and maps three
bytes plus one per element (and each map key's bytes).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer

LIMIT = 400 * 1024
_serializer = TypeSerializer()


def document_item_size(document: dict[str, Any]) -> int:
    """The size of the item boto3 makes of a plain document (floats as their decimal)."""
    return typed_item_size({k: _serializer.serialize(_decimal(v)) for k, v in document.items()})


def typed_item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _size(value) for name, value in item.items())


def _size(value: dict[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        digits = "".join(map(str, Decimal(content).as_tuple().digits)).strip("0") or "0"
        return 1 + (len(digits) + 1) // 2 + 1 + content.startswith("-")
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _size(v) for k, v in content.items())
    raise AssertionError(f"no such attribute type here: {kind}")


def _decimal(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [_decimal(v) for v in value]
    if isinstance(value, dict):
        return {k: _decimal(v) for k, v in value.items()}
    return value
