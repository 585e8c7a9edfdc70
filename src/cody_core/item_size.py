"""DynamoDB's item size rule, which bounds every stored record: attribute names plus values."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

DYNAMODB_MAX_ITEM_BYTES = 400 * 1024


def item_size(document: Mapping[str, Any]) -> int:
    """The bytes DynamoDB counts for an item holding `document`: each name's UTF-8 and its value."""
    return sum(text_size(name) + value_size(value) for name, value in document.items())


def value_size(value: Any) -> int:
    """One attribute value as DynamoDB counts it; a number is counted at its largest."""
    if isinstance(value, str):
        return text_size(value)
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int | float | Decimal):
        return _number_size(value)
    if isinstance(value, Mapping):
        return 3 + sum(1 + text_size(str(k)) + value_size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(1 + value_size(element) for element in value)
    raise TypeError(f"DynamoDB holds no {type(value).__name__}")


def text_size(text: str) -> int:
    # Lone surrogates (bytes that were not UTF-8) count as the three bytes they would take.
    return len(text.encode("utf-8", "surrogatepass"))


def _number_size(value: int | float | Decimal) -> int:
    """1 byte per two significant digits, 1 more, and 1 for the sign and the digit pairing."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return 22  # refused by DynamoDB anyway; never smaller than a stored number
    return 2 + (significant_digits(number) + 1) // 2 + (1 if number < 0 else 0)


def significant_digits(number: Decimal) -> int:
    """Digits without the leading and trailing zeros (normalize() would round to 28 first)."""
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    return max(1, len(digits))
